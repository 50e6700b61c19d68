// The messages that cross the rings between the shard owners and the cluster link thread (cluster mode),
// with every field's offset named once for both sides. A change is the first 64 bytes of the announce
// record (info_hash, peer_id, IPv4, IPv6, port, flags, event): what Redis carries, and what the other
// instances apply as an announce of theirs.

export const CHANGE_BYTES = 64;

export const enum ClusterMsg {
  // owner → link (the owner's change ring)
  /** A local announce was applied: publish it. */
  Change = 1,
  /** A torrent was purged (no peer left): its snatch count may go. */
  Purged = 2,
  /** A republish asked for has been written entirely. */
  RepublishDone = 3,
  // link → owner (the owner's remote ring)
  /** Another instance's change: apply it. */
  RemoteChange = 4,
  /** A torrent's snatch count as Redis has it (join). */
  RemoteSnatches = 5,
  /** Write every local peer of these shard groups again (Redis lost them, or changes were dropped). */
  Republish = 6,
}

export const CMSG_TYPE_AT = 0;

// Change and RemoteChange
export const CHANGE_KIND_AT = 1;       // u8: ChangeKind
export const CHANGE_TIME_AT = 8;       // f64: when the announce was applied (the origin's clock, epoch ms)
export const CHANGE_AT = 16;           // the 64-byte change
export const CHANGE_MSG_BYTES = CHANGE_AT + CHANGE_BYTES;

export const enum ChangeKind {
  /** An announce as it happened: a `completed` in it counts a snatch. */
  Live = 0,
  /** A peer written again (republish, or loaded at join): nothing new happened, no snatch counts. */
  Replay = 1,
}

// Purged and RemoteSnatches
export const SNATCHES_AT = 4;          // u32 (RemoteSnatches)
export const TORRENT_HASH_AT = 8;      // 20 bytes
export const TORRENT_MSG_BYTES = TORRENT_HASH_AT + 20;

// Republish and RepublishDone
export const GROUPS_AT = 4;            // u32: bit g = shard group g
export const GROUPS_MSG_BYTES = 8;

/**
 * The shard groups of the cluster's Redis keys: a fixed count, so that instances with different
 * `torrentMapShards` agree on where a swarm's changes go. A group is a hash tag: Redis Cluster spreads
 * groups over its masters.
 */
export const SHARD_GROUPS = 16;
