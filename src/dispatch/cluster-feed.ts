// The shard owner's side of cluster mode: every local announce the engine applies goes out as a change on
// the owner's change ring (read by the cluster link thread every tick, published to Redis in batches);
// every change other instances made comes in on the remote ring and is applied to the same tables, its
// peers marked remote. Redis is never on the announce path: a full change ring drops the change (counted,
// and the link republishes this instance's peers later), it never waits.
import { OFF_INFO_HASH, OFF_EVENT } from '../core/announce-record.js';
import { PeerTable } from '../swarm/peer-table.js';
import { shardOf } from '../swarm/shard-of.js';
import type { Shard } from '../swarm/shard.js';
import type { SwarmChanges, SwarmEngine } from '../swarm/swarm-engine.js';
import {
  CHANGE_AT, CHANGE_BYTES, CHANGE_KIND_AT, CHANGE_MSG_BYTES, CHANGE_TIME_AT, ChangeKind, ClusterMsg, CMSG_TYPE_AT,
  GROUPS_AT, GROUPS_MSG_BYTES, SHARD_GROUPS, SNATCHES_AT, TORRENT_HASH_AT, TORRENT_MSG_BYTES,
} from './cluster-messages.js';
import type { RingConsumer } from './consumer-loop.js';
import { allocateRing, Ring, type RingMemory } from './ring.js';

export interface ClusterFeedMemory {
  /** owner → link */
  changes: RingMemory;
  /** link → owner */
  remote: RingMemory;
  /** FEED_COUNTERS float64 slots, written by the owner, read by the link and the main thread. */
  counters: SharedArrayBuffer;
}

/** Slots of a feed's counters. */
export const enum FeedCounter {
  /** Local changes dropped because the change ring was full (the link then republishes). */
  ChangesDropped = 0,
  /** Remote changes refused by a table bound (maxPeersPerShard). */
  RemoteRefused = 1,
  /** Remote changes applied. */
  RemoteApplied = 2,
}
export const FEED_COUNTERS = 3;

/** The rings and counters between every owner and the cluster link thread. */
export function allocateClusterFeeds(owners: number): ClusterFeedMemory[] {
  return Array.from({ length: owners }, () => ({
    changes: allocateRing(1 << 20),
    remote: allocateRing(1 << 20),
    counters: new SharedArrayBuffer(FEED_COUNTERS * 8),
  }));
}

/** Changes written per drain call while republishing, so one republish never holds the thread long. */
const REPUBLISH_STEP = 4096;

export class ClusterFeed implements SwarmChanges, RingConsumer {
  readonly stalled = false;
  private readonly changes: Ring;
  private readonly remote: Ring;
  private readonly record = Buffer.alloc(80);
  /** A republish in progress: the groups, and where the walk over the tables stands. */
  private republish: { groups: number; shard: number; family: number; slot: number } | null = null;
  private readonly shards: (Shard | undefined)[];

  private readonly counters: Float64Array;

  constructor(memory: ClusterFeedMemory, private readonly engine: SwarmEngine) {
    this.changes = new Ring(memory.changes);
    this.remote = new Ring(memory.remote);
    this.counters = new Float64Array(memory.counters);
    this.shards = engine.shards;
  }

  // SwarmChanges: called by the engine for local announces and purges.

  applied(rec: Buffer, nowMs: number): void {
    this.writeChange(rec, 0, nowMs, ChangeKind.Live);
  }

  purged(bytes: Uint8Array, at: number): void {
    const r = this.changes;
    const o = r.reserve(TORRENT_MSG_BYTES);
    if (o < 0) return; // a snatch count kept a little longer is harmless
    r.bytes[o + CMSG_TYPE_AT] = ClusterMsg.Purged;
    r.bytes.set(bytes.subarray(at, at + 20), o + TORRENT_HASH_AT);
    r.commit();
  }

  private writeChange(src: Uint8Array, at: number, timeMs: number, kind: ChangeKind): boolean {
    const r = this.changes;
    const o = r.reserve(CHANGE_MSG_BYTES);
    if (o < 0) {
      this.counters[FeedCounter.ChangesDropped]++;
      return false;
    }
    const b = r.bytes;
    b[o + CMSG_TYPE_AT] = ClusterMsg.Change;
    b[o + CHANGE_KIND_AT] = kind;
    b.writeDoubleLE(timeMs, o + CHANGE_TIME_AT);
    for (let k = 0; k < CHANGE_BYTES; k++) b[o + CHANGE_AT + k] = src[at + k]!;
    r.commit();
    return true;
  }

  // RingConsumer: changes from the other instances, and republish requests.

  hasWork(): boolean {
    return this.remote.hasMessage() || this.republish !== null;
  }

  drain(): void {
    const r = this.remote;
    const b = r.bytes;
    const nowMs = Date.now();
    for (let o = r.peek(); o >= 0; o = r.peek()) {
      const type = b[o + CMSG_TYPE_AT];
      if (type === ClusterMsg.RemoteChange) {
        b.copy(this.record, 0, o + CHANGE_AT, o + CHANGE_AT + CHANGE_BYTES);
        const timeMs = b.readDoubleLE(o + CHANGE_TIME_AT);
        if (this.engine.applyRemote(this.record, timeMs, nowMs, b[o + CHANGE_KIND_AT] === ChangeKind.Live)) this.counters[FeedCounter.RemoteApplied]++;
        else this.counters[FeedCounter.RemoteRefused]++;
      } else if (type === ClusterMsg.RemoteSnatches) {
        this.engine.setSnatches(b, o + TORRENT_HASH_AT, b.readUInt32LE(o + SNATCHES_AT));
      } else if (type === ClusterMsg.Republish) {
        const groups = b.readUInt32LE(o + GROUPS_AT);
        if (this.republish === null) this.republish = { groups, shard: 0, family: 0, slot: 1 };
        else this.republish.groups |= groups; // restart not needed: the walk will reach them
      }
      r.release();
    }
    if (this.republish !== null) this.stepRepublish(nowMs);
  }

  /** Writes up to REPUBLISH_STEP local peers of the asked groups; stops early when the ring is full. */
  private stepRepublish(nowMs: number): void {
    const w = this.republish!;
    let written = 0;
    for (; w.shard < this.shards.length; w.shard++, w.family = 0, w.slot = 1) {
      const shard = this.shards[w.shard];
      if (shard === undefined) continue;
      for (; w.family < 2; w.family++, w.slot = 1) {
        const table = shard.peers[w.family as 0 | 1];
        for (const hw = table.slots.highWater; w.slot <= hw; w.slot++) {
          const t = table.torrentOf(w.slot);
          if (t === 0 || table.isRemote(w.slot)) continue;
          if ((w.groups & (1 << shardOf(shard.torrents.u8, shard.torrents.infoHashAt(t), SHARD_GROUPS))) === 0) continue;
          if (written >= REPUBLISH_STEP) return; // the rest on the next drain
          this.fillRecord(shard, table, w.family as 0 | 1, w.slot, t);
          if (!this.writeChange(this.record, 0, this.engine.clock.msOf(table.lastSeen(w.slot), nowMs), ChangeKind.Replay)) return;
          written++;
        }
      }
    }
    const o = this.changes.reserve(GROUPS_MSG_BYTES);
    if (o < 0) return; // announce completion on the next drain
    this.changes.bytes[o + CMSG_TYPE_AT] = ClusterMsg.RepublishDone;
    this.changes.bytes.writeUInt32LE(w.groups, o + GROUPS_AT);
    this.changes.commit();
    this.republish = null;
  }

  /** The announce record a peer record stands for (no event: it is still there). */
  private fillRecord(shard: Shard, table: PeerTable, family: 0 | 1, slot: number, t: number): void {
    table.describeInto(slot, family, this.record);
    this.record.set(shard.torrents.u8.subarray(shard.torrents.infoHashAt(t), shard.torrents.infoHashAt(t) + 20), OFF_INFO_HASH);
    this.record[OFF_EVENT] = 0;
  }
}
