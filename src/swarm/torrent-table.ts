// Torrent records of one shard: 64 bytes each, indexed by infohash. A torrent holds, per address family,
// the heads of its seeder and leecher lists (in the PeerTables) and their counts, plus its snatches.
//
// Record layout (u32 words): 0..4 infohash | 5 live (1) | 6..9 list heads | 10..13 list counts
//   | 14 snatches | 15 free-list link
import { hashWords } from './keyed-hash.js';
import { RecordSlots, type RecordSlotsMemory } from './record-slots.js';
import { SharedArena } from './shared-arena.js';
import { SlotIndex } from './slot-index.js';

export const TORRENT_BYTES = 64;
const W_LIVE = 5;
const W_HEADS = 6;
const W_COUNTS = 10;
const W_SNATCHES = 14;
const W_LINK = 15;

/** The four peer lists of a torrent: family (0 = IPv4, 1 = IPv6) * 2 + role (0 = seeders, 1 = leechers). */
export const enum List {
  Seeders4 = 0,
  Leechers4 = 1,
  Seeders6 = 2,
  Leechers6 = 3,
}

export interface TorrentTableMemory extends RecordSlotsMemory {
  index: SharedArrayBuffer;
}

export class TorrentTable {
  readonly slots: RecordSlots;
  readonly index: SlotIndex;
  u8!: Uint8Array;
  u32!: Uint32Array;

  constructor(memory: TorrentTableMemory) {
    this.slots = new RecordSlots(memory, TORRENT_BYTES, W_LINK);
    this.index = new SlotIndex(new SharedArena(memory.index), (slot) => this.hashOfSlot(slot));
    this.attach();
  }

  static allocate(maxTorrents: number, seed: number): TorrentTableMemory {
    return { ...RecordSlots.allocate(TORRENT_BYTES, maxTorrents, seed), index: SlotIndex.create(maxTorrents) };
  }

  attach(): void {
    this.slots.arena.refresh();
    this.u8 = this.slots.arena.u8;
    this.u32 = this.slots.arena.u32;
    this.index.attach();
  }

  get live(): number {
    return this.slots.live;
  }

  hashKey(src: Uint8Array, off: number): number {
    return hashWords(src, off, 20, this.slots.seed);
  }

  private hashOfSlot(slot: number): number {
    return this.hashKey(this.u8, slot * TORRENT_BYTES);
  }

  /** The slot of the torrent whose infohash is src[off..off+20), or 0. */
  find(src: Uint8Array, off: number): number {
    const t = this.index.table;
    const cap = this.index.capacity;
    const u8 = this.u8;
    let i = this.index.home(this.hashKey(src, off));
    probe: for (; ; i = i + 1 === cap ? 0 : i + 1) {
      const slot = t[i]!;
      if (slot === 0) return 0;
      const base = slot * TORRENT_BYTES;
      for (let k = 0; k < 20; k++) if (u8[base + k] !== src[off + k]) continue probe;
      return slot;
    }
  }

  /** Creates an empty torrent; 0 when the table is at its configured maximum. */
  insert(src: Uint8Array, off: number): number {
    if (this.index.isTooFull(this.slots.live + 1) && this.index.grow()) {
      this.index.rebuild((visit) => this.forEachLive(visit));
    }
    if (this.index.isTooFull(this.slots.live + 1)) return 0;
    const slot = this.slots.alloc();
    if (slot === 0) return 0;
    if (this.u8 !== this.slots.arena.u8) this.attach();
    this.u8.set(src.subarray(off, off + 20), slot * TORRENT_BYTES);
    this.u32[slot * 16 + W_LIVE] = 1;
    this.index.insert(slot, this.hashOfSlot(slot));
    return slot;
  }

  /** Frees a torrent whose lists are empty. */
  remove(slot: number): void {
    this.index.remove(slot, this.hashOfSlot(slot));
    this.u32[slot * 16 + W_LIVE] = 0;
    this.slots.release(slot);
  }

  /** Offset in `u8` of the torrent's infohash (20 bytes). */
  infoHashAt(slot: number): number {
    return slot * TORRENT_BYTES;
  }

  head(slot: number, list: List): number {
    return this.u32[slot * 16 + W_HEADS + list]!;
  }

  setHead(slot: number, list: List, head: number): void {
    this.u32[slot * 16 + W_HEADS + list] = head;
  }

  count(slot: number, list: List): number {
    return this.u32[slot * 16 + W_COUNTS + list]!;
  }

  addCount(slot: number, list: List, delta: number): void {
    this.u32[slot * 16 + W_COUNTS + list] = this.u32[slot * 16 + W_COUNTS + list]! + delta;
  }

  seeders(slot: number): number {
    const w = slot * 16 + W_COUNTS;
    return this.u32[w + List.Seeders4]! + this.u32[w + List.Seeders6]!;
  }

  leechers(slot: number): number {
    const w = slot * 16 + W_COUNTS;
    return this.u32[w + List.Leechers4]! + this.u32[w + List.Leechers6]!;
  }

  isEmpty(slot: number): boolean {
    return this.seeders(slot) + this.leechers(slot) === 0;
  }

  snatches(slot: number): number {
    return this.u32[slot * 16 + W_SNATCHES]!;
  }

  setSnatches(slot: number, count: number): void {
    this.u32[slot * 16 + W_SNATCHES] = count;
  }

  addSnatch(slot: number): void {
    this.u32[slot * 16 + W_SNATCHES] = this.u32[slot * 16 + W_SNATCHES]! + 1;
  }

  isLive(slot: number): boolean {
    return this.u32[slot * 16 + W_LIVE] === 1;
  }

  forEachLive(visit: (slot: number) => void): void {
    const u32 = this.u32;
    for (let slot = 1, hw = this.slots.highWater; slot <= hw; slot++) if (u32[slot * 16 + W_LIVE] === 1) visit(slot);
  }

  /** Clears every list (heads and counts); `repair` of the shard then relinks the peers. */
  clearLists(slot: number): void {
    this.u32.fill(0, slot * 16 + W_HEADS, slot * 16 + W_COUNTS + 4);
  }

  repair(): void {
    this.attach();
    this.slots.repairFreeList((slot) => this.isLive(slot));
    this.index.rebuild((visit) => this.forEachLive(visit));
  }
}
