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
const COUNTER_SLOTS = Counter.FamilyBase + 2 * FAMILY_COUNTERS;

export function allocateCounters(): SharedArrayBuffer {
  return new SharedArrayBuffer(COUNTER_SLOTS * 8);
}

/** Index of a per-family counter; family 0 = IPv4, 1 = IPv6. */
export function peerCounter(family: number, which: PeerCounter): number {
  return Counter.FamilyBase + family * FAMILY_COUNTERS + which;
}
