// Applies announces and scrapes to the shards one thread owns and decides each announce's outcome:
// counts, the peers handed out, or a refusal. This is the code that runs inline on an I/O thread
// (workers: 0) or inside a swarm worker: it reads the 80-byte announce record and knows nothing of
// sockets or wire formats (dispatch/announce-handler.ts encodes the outcome).
import {
  ANNOUNCE_RECORD_BYTES, Event, FLAG_HAS_V4, FLAG_HAS_V6, FLAG_SEEDING, FLAG_V6_CAPABLE, OFF_EVENT, OFF_FLAGS,
  OFF_INFO_HASH, OFF_IPV4, OFF_IPV6, OFF_NUM_WANT, OFF_PEER_ID, OFF_PORT, OFF_REPLY_KIND, ReplyKind,
} from '../core/announce-record.js';
import { AnnounceFailure, AnnounceOutcome } from '../core/announce-outcome.js';
import { Counter, peerCounter, PeerCounter, recordSweep, SweepCounter } from './counters.js';
import { PeerClock } from './peer-clock.js';
import { B_IP, B_PEER_ID, B_PORT } from './peer-table.js';
import { Shard, type ShardMemory } from './shard.js';
import { shardOf } from './shard-of.js';
import type { PeerStore, TorrentSummary } from './peer-store.js';
import type { SwarmSettings } from './settings.js';
import { List } from './torrent-table.js';

/** What the cluster link needs to hear of a swarm: each applied local announce and each purged torrent. */
export interface SwarmChanges {
  /** `rec` (its first 64 bytes: the peer and its event) was applied at `nowMs`. */
  applied(rec: Buffer, nowMs: number): void;
  /** The torrent whose infohash is bytes[at, at + 20) was deleted because it had no peer left. */
  purged(bytes: Uint8Array, at: number): void;
}

export class SwarmEngine implements PeerStore {
  /** shards[i] is shard i when this thread owns it, else undefined. */
  readonly shards: (Shard | undefined)[];
  private readonly outcome: AnnounceOutcome;
  readonly clock: PeerClock;

  /** Where applied announces and purged torrents are reported (cluster mode), or null. */
  changes: SwarmChanges | null = null;

  constructor(readonly settings: SwarmSettings, memories: readonly (ShardMemory | undefined)[], repair = false) {
    this.shards = memories.map((m) => (m === undefined ? undefined : new Shard(m)));
    if (repair) for (const s of this.shards) s?.repair();
    this.outcome = new AnnounceOutcome(settings.maxNumWant);
    this.clock = new PeerClock(settings.maxIdleMs, settings.reapIntervalMs);
  }

  shardFor(infoHash: Uint8Array, offset: number): Shard {
    const s = this.shards[shardOf(infoHash, offset, this.settings.torrentMapShards)];
    if (s === undefined) throw new Error('announce routed to a thread that does not own its shard');
    return s;
  }

  /** Applies the announce in `rec` at wall-clock `nowMs`; the outcome is valid until the next call. */
  announce(rec: Buffer, nowMs: number): AnnounceOutcome {
    const tick = this.clock.tick(nowMs);
    const shard = this.shardFor(rec, OFF_INFO_HASH);
    const torrents = shard.torrents;
    const event = rec[OFF_EVENT]!;
    let t = torrents.find(rec, OFF_INFO_HASH);
    if (t === 0) {
      if (event === Event.Stopped || event === Event.Paused) return this.decide(0, 0, false);
      if (!this.settings.createOnAnnounce) {
        shard.counters[SweepCounter.RefusedUnknown]++;
        return this.refuse(AnnounceFailure.TorrentDoesNotExist);
      }
      t = shard.addTorrent(rec, OFF_INFO_HASH);
      if (t === 0) return this.refuseFull(shard);
    }
    if (!this.applyPeers(shard, t, rec, tick, false, true)) return this.refuseFull(shard);
    this.changes?.applied(rec, nowMs);
    const seeders = torrents.seeders(t);
    const leechers = torrents.leechers(t);
    // The selection buffers hold maxNumWant peers: never trust a record to respect that.
    const numWant = Math.min(rec.readUInt32LE(OFF_NUM_WANT), this.settings.maxNumWant);
    const seeding = (rec[OFF_FLAGS]! & FLAG_SEEDING) !== 0 || event === Event.Completed;
    const withPeers = numWant > 0 && event !== Event.Stopped && event !== Event.Paused;
    if (withPeers) this.select(shard, t, rec, seeding, this.self4, this.self6, numWant);
    if (this.settings.purgeInactiveTorrents && torrents.isEmpty(t)) this.purge(shard, t);
    return this.decide(seeders, leechers, withPeers);
  }

  /**
   * Applies a change another instance made (cluster mode): the same rules as an announce, with the
   * peers marked remote and last seen at `timeMs` (the other instance's clock), and no reply. A change
   * already older than a peer's lifetime is dropped (it would be reaped at once); `countSnatch` is false
   * for changes that carry no new completion (a republish). False when a table bound refused it.
   */
  applyRemote(rec: Buffer, timeMs: number, nowMs: number, countSnatch: boolean): boolean {
    if (nowMs - timeMs > this.settings.maxIdleMs) return true;
    const shard = this.shardFor(rec, OFF_INFO_HASH);
    const torrents = shard.torrents;
    const event = rec[OFF_EVENT]!;
    let t = torrents.find(rec, OFF_INFO_HASH);
    if (event === Event.TorrentRemoved) {
      if (t !== 0) shard.deleteTorrent(t, false);
      return true;
    }
    if (t === 0) {
      if (event === Event.Stopped || event === Event.Paused) return true;
      // The instance that took the announce decided it was admissible (createOnAnnounce, or a torrent
      // created through its API): every instance holds the swarm.
      t = shard.addTorrent(rec, OFF_INFO_HASH);
      if (t === 0) return this.refusedFull(shard);
    }
    if (!this.applyPeers(shard, t, rec, this.clock.tick(Math.min(timeMs, nowMs)), true, countSnatch)) return this.refusedFull(shard);
    if (this.settings.purgeInactiveTorrents && torrents.isEmpty(t)) this.purge(shard, t);
    return true;
  }

  // Slots of the announcer's own records after applyPeers (for the self-peer fallback of select).
  private self4 = 0;
  private self6 = 0;

  /**
   * Registers, refreshes or removes the announcer's endpoints (one record per family) and moves them
   * between seeders and leechers. `remote`: the peer's origin is another instance. False when a table
   * bound refused a new record (an emptied new torrent is deleted again).
   */
  private applyPeers(shard: Shard, t: number, rec: Buffer, tick: number, remote: boolean, countSnatch: boolean): boolean {
    const torrents = shard.torrents;
    const event = rec[OFF_EVENT]!;
    const flags = rec[OFF_FLAGS]!;
    const seeding = (flags & FLAG_SEEDING) !== 0 || event === Event.Completed;
    const leaving = event === Event.Stopped || event === Event.Paused; // chihaya v1 removes paused peers too
    let snatched = false;
    this.self4 = 0;
    this.self6 = 0;
    for (let family = 0 as 0 | 1; family < 2; family++) {
      if ((flags & (family === 0 ? FLAG_HAS_V4 : FLAG_HAS_V6)) === 0) continue;
      const table = shard.peers[family];
      const ipOff = family === 0 ? OFF_IPV4 : OFF_IPV6;
      let slot = table.find(t, rec, OFF_PEER_ID, ipOff);
      if (leaving) {
        if (slot !== 0) shard.removePeer(t, family, slot, false);
        continue;
      }
      if (slot === 0) {
        slot = shard.addPeer(t, family, rec, OFF_PEER_ID, ipOff, OFF_PORT, seeding, tick);
        if (slot === 0) {
          if (torrents.isEmpty(t)) shard.deleteTorrent(t, false);
          return false;
        }
        if (remote) table.setRemote(slot, true);
        if (event === Event.Completed) snatched = true;
      } else {
        if (event === Event.Completed && !table.isSeeder(slot)) snatched = true;
        // A late remote change (held during an outage) must not make a fresher peer look older.
        if (!remote || !this.clock.isNewer(table.lastSeen(slot), tick)) table.touch(slot, rec, OFF_PORT, tick);
        table.setRemote(slot, remote);
        shard.setRole(t, family, slot, seeding);
      }
      if (family === 0) this.self4 = slot;
      else this.self6 = slot;
    }
    if (snatched && countSnatch) {
      torrents.addSnatch(t);
      shard.counters[peerCounter(this.self4 !== 0 ? 0 : 1, PeerCounter.Completed)]++;
    }
    return true;
  }

  private purge(shard: Shard, t: number): void {
    this.changes?.purged(shard.torrents.u8, shard.torrents.infoHashAt(t));
    shard.deleteTorrent(t, false);
  }

  private select(shard: Shard, t: number, rec: Buffer, seeding: boolean, self4: number, self6: number, numWant: number): void {
    const sel = this.outcome.selection;
    const kind = rec[OFF_REPLY_KIND]!;
    const flags = rec[OFF_FLAGS]!;
    sel.reset(kind === ReplyKind.HttpDict);
    let allow4: boolean;
    let allow6: boolean;
    if (kind === ReplyKind.Udp4 || kind === ReplyKind.Udp6) {
      // A UDP reply carries peers of one size only: that of the packet's source family (BEP 15).
      allow4 = kind === ReplyKind.Udp4;
      allow6 = !allow4;
    } else {
      allow6 = (flags & (FLAG_HAS_V6 | FLAG_V6_CAPABLE)) !== 0;
      allow4 = (flags & FLAG_HAS_V4) !== 0 || (allow6 && !this.settings.respectAF);
    }
    // A seeder gets leechers; a leecher gets seeders first, then leechers. IPv6 before IPv4.
    if (!seeding) {
      if (allow6) this.walk(shard, t, List.Seeders6, self6, numWant);
      if (allow4) this.walk(shard, t, List.Seeders4, self4, numWant);
    }
    if (allow6) this.walk(shard, t, List.Leechers6, self6, numWant);
    if (allow4) this.walk(shard, t, List.Leechers4, self4, numWant);
    // chihaya returns the announcer itself rather than an empty list; clients cope with that.
    if (sel.count === 0) {
      if (allow4 && self4 !== 0) this.take(shard, 0, self4);
      if (allow6 && self6 !== 0) this.take(shard, 1, self6);
    }
  }

  /** Takes peers from one list, starting at its head, and moves the head past them (round robin). */
  private walk(shard: Shard, t: number, list: List, selfSlot: number, numWant: number): void {
    const head = shard.torrents.head(t, list);
    const sel = this.outcome.selection;
    if (head === 0 || sel.count >= numWant) return;
    const family = (list >> 1) as 0 | 1;
    const table = shard.peers[family];
    let slot = head;
    do {
      if (slot !== selfSlot) this.take(shard, family, slot);
      slot = table.next(slot);
    } while (slot !== head && sel.count < numWant);
    shard.torrents.setHead(t, list, slot);
  }

  private take(shard: Shard, family: 0 | 1, slot: number): void {
    const sel = this.outcome.selection;
    const table = shard.peers[family];
    const u8 = table.u8;
    const base = slot * table.recordBytes;
    if (family === 0) {
      const o = sel.n4 * 6;
      const c = sel.compact4;
      c[o] = u8[base + B_IP]!; c[o + 1] = u8[base + B_IP + 1]!; c[o + 2] = u8[base + B_IP + 2]!; c[o + 3] = u8[base + B_IP + 3]!;
      c[o + 4] = u8[base + B_PORT]!; c[o + 5] = u8[base + B_PORT + 1]!;
      if (sel.wantIds) sel.ids4.set(u8.subarray(base + B_PEER_ID, base + B_PEER_ID + 20), sel.n4 * 20);
      sel.n4++;
    } else {
      const o = sel.n6 * 18;
      sel.compact6.set(u8.subarray(base + B_IP, base + B_IP + 16), o);
      sel.compact6[o + 16] = u8[base + B_PORT]!;
      sel.compact6[o + 17] = u8[base + B_PORT + 1]!;
      if (sel.wantIds) sel.ids6.set(u8.subarray(base + B_PEER_ID, base + B_PEER_ID + 20), sel.n6 * 20);
      sel.n6++;
    }
  }

  private decide(seeders: number, leechers: number, withPeers: boolean): AnnounceOutcome {
    const o = this.outcome;
    o.failure = AnnounceFailure.None;
    o.seeders = seeders;
    o.leechers = leechers;
    o.withPeers = withPeers;
    return o;
  }

  private refuse(failure: AnnounceFailure): AnnounceOutcome {
    const o = this.outcome;
    o.failure = failure;
    o.withPeers = false;
    return o;
  }

  private refuseFull(shard: Shard): AnnounceOutcome {
    shard.counters[Counter.RefusedFull]++;
    return this.refuse(AnnounceFailure.SwarmFull);
  }

  private refusedFull(shard: Shard): false {
    shard.counters[Counter.RefusedFull]++;
    return false;
  }

  /** Seeders, snatches and leechers of infoHash[off..off+20) into counts[at..at+3) (zeros if unknown). */
  scrape(infoHashes: Uint8Array, off: number, counts: Uint32Array, at: number): void {
    const shard = this.shardFor(infoHashes, off);
    const t = shard.torrents.find(infoHashes, off);
    counts[at] = t === 0 ? 0 : shard.torrents.seeders(t);
    counts[at + 1] = t === 0 ? 0 : shard.torrents.snatches(t);
    counts[at + 2] = t === 0 ? 0 : shard.torrents.leechers(t);
  }

  /**
   * Sweeps every owned shard for idle peers (and empty torrents); returns the number reaped. Each
   * shard's sweep time goes to its counters (chihaya_storage_gc_duration_milliseconds).
   */
  reap(nowMs: number): number {
    let n = 0;
    const tick = this.clock.tick(nowMs);
    const purged = this.changes === null ? undefined : this.onPurged;
    for (const s of this.shards) {
      if (s === undefined) continue;
      const t0 = performance.now();
      n += s.reap(tick, this.clock, this.settings.purgeInactiveTorrents, purged);
      recordSweep(s.counters, performance.now() - t0);
    }
    return n;
  }

  private readonly onPurged = (bytes: Uint8Array, at: number): void => this.changes?.purged(bytes, at);

  // Control plane (admin API): rare, may allocate.

  describe(infoHash: Buffer): TorrentSummary | null {
    const shard = this.shardFor(infoHash, 0);
    const t = shard.torrents.find(infoHash, 0);
    if (t === 0) return null;
    return {
      infoHash: infoHash.toString('hex'),
      seeders: shard.torrents.seeders(t),
      leechers: shard.torrents.leechers(t),
      snatches: shard.torrents.snatches(t),
    };
  }

  /**
   * A torrent's snatch count as the cluster has it (loaded at join): never lowers a count this instance
   * already holds. Unknown torrents are left alone (they would be empty).
   */
  setSnatches(bytes: Uint8Array, at: number, count: number): void {
    const shard = this.shardFor(bytes, at);
    const t = shard.torrents.find(bytes, at);
    if (t !== 0 && shard.torrents.snatches(t) < count) shard.torrents.setSnatches(t, count);
  }

  /** Creates the torrent if absent; false when its shard is full. */
  create(infoHash: Buffer): boolean {
    const shard = this.shardFor(infoHash, 0);
    return shard.torrents.find(infoHash, 0) !== 0 || shard.addTorrent(infoHash, 0) !== 0;
  }

  /**
   * Deletes the torrent and its peers; false when it did not exist. In cluster mode one change says so
   * to the other instances (an operator's DELETE through a load balancer reaches one instance only), and
   * the torrent's snatch count leaves Redis.
   */
  remove(infoHash: Buffer): boolean {
    const shard = this.shardFor(infoHash, 0);
    const t = shard.torrents.find(infoHash, 0);
    if (t === 0) return false;
    if (this.changes !== null) {
      const rec = (this.removalRecord ??= Buffer.alloc(ANNOUNCE_RECORD_BYTES));
      infoHash.copy(rec, OFF_INFO_HASH, 0, 20);
      rec[OFF_EVENT] = Event.TorrentRemoved;
      this.changes.applied(rec, Date.now());
      this.changes.purged(infoHash, 0);
    }
    shard.deleteTorrent(t, false);
    return true;
  }

  private removalRecord: Buffer | null = null;
}
