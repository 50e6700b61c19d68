// What the main thread and the cluster link thread tell each other by postMessage (rare).
import type { MeshMemory } from '../dispatch/mesh.js';

export interface ClusterThreadData {
  redis: {
    url: string;
    cluster: boolean;
    prefix: string;
    tickMs: number;
    outboxChanges: number;
    connectTimeoutMs: number;
    reconnectMs: number;
  };
  mesh: MeshMemory;
  /** The tracker's shard count (which owner a change goes to). */
  shards: number;
  /** The stream keeps this much: the peer lifetime plus a margin for clock skew. */
  windowMs: number;
  state: SharedArrayBuffer;
  /** A restarted link thread lost its outbox: it republishes this instance's peers after joining. */
  republishAfterJoin: boolean;
}

// cluster thread → main
export type FromCluster =
  | { type: 'synced'; changes: number; ms: number }
  | { type: 'log'; level: number; line: string };
