// The rings between the threads that take requests (I/O threads) and the threads that own shards:
// swarm workers when `workers >= 1`, else the I/O threads themselves, each owning a slice of the shards
// and forwarding the rest. One request ring and one reply ring per (I/O thread, owner) pair, so every
// ring keeps a single producer and a single consumer; one doorbell per consuming thread. Allocated once
// by the main thread and handed to every thread; it outlives any of them, so a restarted thread resumes
// on the same rings.
import { allocateClusterFeeds, type ClusterFeedMemory } from './cluster-feed.js';
import { allocateDoorbell } from './doorbell.js';
import { allocateRing, type RingMemory } from './ring.js';

export interface MeshMemory {
  ioThreads: number;
  /** Shard owners; shard s belongs to owner s % owners. */
  owners: number;
  /** workers: 0 — owner j is I/O thread j (and owns no ring to itself). */
  ownersAreIo: boolean;
  /** requests[i][j]: I/O thread i → owner j; null where owner j is thread i itself. */
  requests: (RingMemory | null)[][];
  /** replies[i][j]: owner j → I/O thread i; null likewise. */
  replies: (RingMemory | null)[][];
  /** One per I/O thread: rung for replies (and, when owners are I/O threads, for requests). */
  ioDoorbells: SharedArrayBuffer[];
  /** One per owner: the I/O thread's own doorbell when owners are I/O threads. */
  ownerDoorbells: SharedArrayBuffer[];
  /** Cluster mode: each owner's change and remote rings to and from the cluster link thread. */
  cluster: ClusterFeedMemory[] | null;
}

/**
 * Ring sizes shrink as pairs multiply (16 x 16 pairs at full size would reserve 1.3 GB), never below
 * what a burst of a few thousand requests and the largest reply need.
 */
export function ringBytes(owners: number): { requestBytes: number; replyBytes: number } {
  const requestBytes = Math.max(1 << 16, Math.min(1 << 20, pow2Floor((4 << 20) / owners)));
  return { requestBytes, replyBytes: Math.max(1 << 18, requestBytes * 4) };
}

function pow2Floor(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

export function allocateMesh(ioThreads: number, workers: number, clusterMode = false): MeshMemory {
  const ownersAreIo = workers === 0;
  const owners = ownersAreIo ? ioThreads : workers;
  const { requestBytes, replyBytes } = ringBytes(owners);
  const requests: (RingMemory | null)[][] = [];
  const replies: (RingMemory | null)[][] = [];
  for (let i = 0; i < ioThreads; i++) {
    requests.push([]);
    replies.push([]);
    for (let j = 0; j < owners; j++) {
      const self = ownersAreIo && i === j;
      requests[i]!.push(self ? null : allocateRing(requestBytes));
      replies[i]!.push(self ? null : allocateRing(replyBytes));
    }
  }
  const ioDoorbells = Array.from({ length: ioThreads }, () => allocateDoorbell());
  const ownerDoorbells = ownersAreIo ? ioDoorbells : Array.from({ length: owners }, () => allocateDoorbell());
  const cluster = clusterMode ? allocateClusterFeeds(owners) : null;
  return { ioThreads, owners, ownersAreIo, requests, replies, ioDoorbells, ownerDoorbells, cluster };
}

/** Which owner a shard belongs to. */
export function ownerOfShard(shard: number, owners: number): number {
  return shard % owners;
}
