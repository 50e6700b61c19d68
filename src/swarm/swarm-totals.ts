// The swarm's view for stats: figures summed over every shard, read straight from shared memory (the
// owner threads write them; any thread may read them, without a message). Other parts read swarm
// figures only through this, never the table layouts.
import { Counter, GC_BUCKET_BOUNDS_MS, peerCounter, PeerCounter, SweepCounter } from './counters.js';
import { H_LIVE } from './record-slots.js';
import type { ShardMemory } from './shard.js';

export interface PeerClassStats { Current: number; Joined: number; Left: number; Reaped: number }
export interface FamilyStats { Peers: PeerClassStats; Seeds: PeerClassStats; Completed: number }
export interface SwarmTotals {
  torrentsSize: number;
  torrentsAdded: number;
  torrentsRemoved: number;
  torrentsReaped: number;
  refusedFull: number;
  refusedUnknownTorrent: number;
  peersIPv4: FamilyStats;
  peersIPv6: FamilyStats;
}

/** The reaper's sweeps over every shard: count, total ms, and counts per GC_BUCKET_BOUNDS_MS bucket
 *  (not cumulative; one more for above the last bound). */
export interface SweepTotals {
  sweeps: number;
  sumMs: number;
  buckets: number[];
}

export { GC_BUCKET_BOUNDS_MS };

export class SwarmTotalsReader {
  private readonly counters: Float64Array[];
  private readonly torrentHeaders: Uint32Array[];

  constructor(memories: readonly ShardMemory[]) {
    this.counters = memories.map((m) => new Float64Array(m.counters));
    this.torrentHeaders = memories.map((m) => new Uint32Array(m.torrents.header));
  }

  private sum(index: number): number {
    let s = 0;
    for (const c of this.counters) s += c[index]!;
    return s;
  }

  private family(f: number): FamilyStats {
    const v = (w: PeerCounter): number => this.sum(peerCounter(f, w));
    return {
      Peers: { Current: v(PeerCounter.PeersCurrent), Joined: v(PeerCounter.PeersJoined), Left: v(PeerCounter.PeersLeft), Reaped: v(PeerCounter.PeersReaped) },
      Seeds: { Current: v(PeerCounter.SeedsCurrent), Joined: v(PeerCounter.SeedsJoined), Left: v(PeerCounter.SeedsLeft), Reaped: v(PeerCounter.SeedsReaped) },
      Completed: v(PeerCounter.Completed),
    };
  }

  read(): SwarmTotals {
    let torrents = 0;
    for (const h of this.torrentHeaders) torrents += h[H_LIVE]!;
    return {
      torrentsSize: torrents,
      torrentsAdded: this.sum(Counter.TorrentsAdded),
      torrentsRemoved: this.sum(Counter.TorrentsRemoved),
      torrentsReaped: this.sum(Counter.TorrentsReaped),
      refusedFull: this.sum(Counter.RefusedFull),
      refusedUnknownTorrent: this.sum(SweepCounter.RefusedUnknown),
      peersIPv4: this.family(0),
      peersIPv6: this.family(1),
    };
  }

  sweeps(): SweepTotals {
    const buckets: number[] = [];
    for (let b = 0; b <= GC_BUCKET_BOUNDS_MS.length; b++) buckets.push(this.sum(SweepCounter.GcBuckets + b));
    return { sweeps: this.sum(SweepCounter.GcSweeps), sumMs: this.sum(SweepCounter.GcMsSum), buckets };
  }
}
