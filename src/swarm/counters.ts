// Swarm counters of one shard, in shared memory: written only by the shard's owner thread, read by the
// main thread for /stats and /metrics without any message. Float64 so they never wrap in practice.

export const enum Counter {
  TorrentsAdded = 0,
  TorrentsRemoved = 1,
  TorrentsReaped = 2,
  RefusedFull = 3,      // announces refused because a table reached its configured bound
  FamilyBase = 4,       // then FAMILY_COUNTERS per family: IPv4 at FamilyBase, IPv6 after it
}

/** Offsets within a family's block. */
export const enum PeerCounter {
  PeersCurrent = 0,
  PeersJoined = 1,
  PeersLeft = 2,
  PeersReaped = 3,
  SeedsCurrent = 4,
  SeedsJoined = 5,
  SeedsLeft = 6,
  SeedsReaped = 7,
  Completed = 8,
}

const FAMILY_COUNTERS = 9;

/** After the two family blocks: refusals of unknown torrents, and the reaper's sweep times. */
export const enum SweepCounter {
  RefusedUnknown = 22,  // announces refused because the torrent does not exist (createOnAnnounce off)
  GcSweeps = 23,        // reaper sweeps of this shard
  GcMsSum = 24,         // their total duration, ms
  GcLastMs = 25,        // the last one's, ms
  GcBuckets = 26,       // GC_BUCKET_BOUNDS_MS.length + 1 counts (the last: above every bound)
}

/** chihaya's buckets for chihaya_storage_gc_duration_milliseconds: 9.375 ms doubling, 10 of them. */
export const GC_BUCKET_BOUNDS_MS: readonly number[] = Array.from({ length: 10 }, (_, k) => 9.375 * 2 ** k);

const COUNTER_SLOTS = SweepCounter.GcBuckets + GC_BUCKET_BOUNDS_MS.length + 1;

export function allocateCounters(): SharedArrayBuffer {
  return new SharedArrayBuffer(COUNTER_SLOTS * 8);
}

/** Index of a per-family counter; family 0 = IPv4, 1 = IPv6. */
export function peerCounter(family: number, which: PeerCounter): number {
  return Counter.FamilyBase + family * FAMILY_COUNTERS + which;
}

/** One reaper sweep of a shard took `ms` (the owner thread records it: once per shard per reapInterval). */
export function recordSweep(c: Float64Array, ms: number): void {
  c[SweepCounter.GcSweeps]++;
  c[SweepCounter.GcMsSum] += ms;
  c[SweepCounter.GcLastMs] = ms;
  let b = 0;
  while (b < GC_BUCKET_BOUNDS_MS.length && ms > GC_BUCKET_BOUNDS_MS[b]!) b++;
  c[SweepCounter.GcBuckets + b]++;
}
