// One of the `torrentMapShards` independent torrent tables: torrents, IPv4 and IPv6 peers, counters,
// all in SharedArrayBuffers (ShardMemory) that outlive the thread using them. Exactly one thread writes
// a shard. The operations here keep lists, counts and counters consistent; what an announce means
// (events, graduation, snatches) is decided by the announce logic above it.
import { allocateCounters, Counter, peerCounter, PeerCounter } from './counters.js';
import { randomSeed } from './keyed-hash.js';
import type { PeerClock } from './peer-clock.js';
import { MAX_TORRENT_SLOT, PeerTable, type PeerTableMemory } from './peer-table.js';
import { List, TorrentTable, type TorrentTableMemory } from './torrent-table.js';

export interface ShardMemory {
  torrents: TorrentTableMemory;
  peers4: PeerTableMemory;
  peers6: PeerTableMemory;
  counters: SharedArrayBuffer;
}

/** Default bound on peer records per shard and family (and on torrents per shard). */
const DEFAULT_MAX_RECORDS = 1 << 24;

export class Shard {
  readonly torrents: TorrentTable;
  readonly peers: readonly [PeerTable, PeerTable]; // [IPv4, IPv6]
  readonly counters: Float64Array;

  constructor(readonly memory: ShardMemory) {
    this.torrents = new TorrentTable(memory.torrents);
    this.peers = [new PeerTable(memory.peers4, 4), new PeerTable(memory.peers6, 16)];
    this.counters = new Float64Array(memory.counters);
  }

  /** The `torrentMapShards` shards of a tracker, allocated once and handed to their owner threads. */
  static allocateAll(settings: { torrentMapShards: number; maxPeersPerShard: number }): ShardMemory[] {
    return Array.from({ length: settings.torrentMapShards }, () => Shard.allocate(settings.maxPeersPerShard));
  }

  static allocate(maxPeers: number): ShardMemory {
    const max = maxPeers > 0 ? maxPeers : DEFAULT_MAX_RECORDS;
    return {
      torrents: TorrentTable.allocate(Math.min(max, MAX_TORRENT_SLOT), randomSeed()),
      peers4: PeerTable.allocate(4, max, randomSeed()),
      peers6: PeerTable.allocate(16, max, randomSeed()),
      counters: allocateCounters(),
    };
  }

  /** Adds a new peer record to torrent `t` as seeder or leecher; 0 when the table is full. */
  addPeer(t: number, family: 0 | 1, src: Uint8Array, peerIdOff: number, ipOff: number, portOff: number,
    seeder: boolean, tick: number): number {
    const table = this.peers[family];
    const slot = table.insert(t, src, peerIdOff, ipOff, portOff, tick, seeder);
    if (slot === 0) return 0;
    const list = (family * 2 + (seeder ? 0 : 1)) as List;
    this.torrents.setHead(t, list, table.link(this.torrents.head(t, list), slot));
    this.torrents.addCount(t, list, 1);
    const c = this.counters;
    c[peerCounter(family, PeerCounter.PeersCurrent)]++;
    c[peerCounter(family, PeerCounter.PeersJoined)]++;
    if (seeder) {
      c[peerCounter(family, PeerCounter.SeedsCurrent)]++;
      c[peerCounter(family, PeerCounter.SeedsJoined)]++;
    }
    return slot;
  }

  /** Moves a peer between the seeder and leecher lists of its torrent. */
  setRole(t: number, family: 0 | 1, slot: number, seeder: boolean): void {
    const table = this.peers[family];
    if (table.isSeeder(slot) === seeder) return;
    const from = (family * 2 + (seeder ? 1 : 0)) as List;
    const to = (family * 2 + (seeder ? 0 : 1)) as List;
    this.torrents.setHead(t, from, table.unlink(this.torrents.head(t, from), slot));
    this.torrents.addCount(t, from, -1);
    table.setSeeder(slot, seeder);
    this.torrents.setHead(t, to, table.link(this.torrents.head(t, to), slot));
    this.torrents.addCount(t, to, 1);
    const c = this.counters;
    if (seeder) {
      c[peerCounter(family, PeerCounter.SeedsCurrent)]++;
      c[peerCounter(family, PeerCounter.SeedsJoined)]++;
    } else {
      c[peerCounter(family, PeerCounter.SeedsCurrent)]--;
      c[peerCounter(family, PeerCounter.SeedsLeft)]++;
    }
  }

  /** Removes a peer; `reaped` says whether the reaper (not the peer) ended it. */
  removePeer(t: number, family: 0 | 1, slot: number, reaped: boolean): void {
    const table = this.peers[family];
    const seeder = table.isSeeder(slot);
    const list = (family * 2 + (seeder ? 0 : 1)) as List;
    this.torrents.setHead(t, list, table.unlink(this.torrents.head(t, list), slot));
    this.torrents.addCount(t, list, -1);
    table.remove(slot);
    const c = this.counters;
    c[peerCounter(family, PeerCounter.PeersCurrent)]--;
    c[peerCounter(family, reaped ? PeerCounter.PeersReaped : PeerCounter.PeersLeft)]++;
    if (seeder) {
      c[peerCounter(family, PeerCounter.SeedsCurrent)]--;
      c[peerCounter(family, reaped ? PeerCounter.SeedsReaped : PeerCounter.SeedsLeft)]++;
    }
  }

  addTorrent(src: Uint8Array, off: number): number {
    const t = this.torrents.insert(src, off);
    if (t !== 0) this.counters[Counter.TorrentsAdded]++;
    return t;
  }

  /** Deletes a torrent and all its peers. */
  deleteTorrent(t: number, reaped: boolean): void {
    for (let list = 0; list < 4; list++) {
      const family = (list >> 1) as 0 | 1;
      for (let head = this.torrents.head(t, list as List); head !== 0; head = this.torrents.head(t, list as List)) {
        this.removePeer(t, family, head, reaped);
      }
    }
    this.torrents.remove(t);
    this.counters[reaped ? Counter.TorrentsReaped : Counter.TorrentsRemoved]++;
  }

  /**
   * Removes every peer the clock says is idle at `nowTick` and, with `purgeEmpty`, the torrents that
   * leaves empty. Returns the number of peers reaped.
   */
  reap(nowTick: number, clock: PeerClock, purgeEmpty: boolean, onPurge?: (bytes: Uint8Array, at: number) => void): number {
    let reaped = 0;
    for (let family = 0 as 0 | 1; family < 2; family++) {
      const table = this.peers[family];
      const hw = table.slots.highWater;
      for (let slot = 1; slot <= hw; slot++) {
        const t = table.torrentOf(slot);
        if (t === 0) continue;
        if (clock.isIdle(nowTick, table.lastSeen(slot))) {
          this.removePeer(t, family, slot, true);
          reaped++;
        }
      }
    }
    if (purgeEmpty) {
      this.torrents.forEachLive((t) => {
        if (this.torrents.isEmpty(t)) {
          onPurge?.(this.torrents.u8, this.torrents.infoHashAt(t));
          this.torrents.remove(t);
          this.counters[Counter.TorrentsReaped]++;
        }
      });
    }
    return reaped;
  }

  /**
   * After the owner thread died mid-write: rebuilds free lists, indexes, peer lists, counts and the
   * current-peer counters from the records themselves, which every write sets before linking.
   */
  repair(): void {
    const torrents = this.torrents;
    torrents.repair();
    torrents.forEachLive((t) => torrents.clearLists(t));
    const c = this.counters;
    for (let family = 0 as 0 | 1; family < 2; family++) {
      const table = this.peers[family];
      table.repair();
      let peers = 0;
      let seeds = 0;
      table.forEachLive((slot) => {
        const t = table.torrentOf(slot);
        if (!torrents.isLive(t)) { // its torrent was being deleted: finish that
          table.remove(slot);
          return;
        }
        const seeder = table.isSeeder(slot);
        const list = (family * 2 + (seeder ? 0 : 1)) as List;
        torrents.setHead(t, list, table.link(torrents.head(t, list), slot));
        torrents.addCount(t, list, 1);
        peers++;
        if (seeder) seeds++;
      });
      c[peerCounter(family, PeerCounter.PeersCurrent)] = peers;
      c[peerCounter(family, PeerCounter.SeedsCurrent)] = seeds;
    }
  }
}
