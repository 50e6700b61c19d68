// Peer records of one shard and one address family: fixed-size records, no JS object per peer.
// Identity is (torrent, peer_id, IP). Each torrent keeps its seeders and its leechers in two circular
// doubly-linked lists threaded through the records, so joining, leaving and graduating are O(1), and
// handing out numwant peers walks numwant records from a head that then moves on (round robin).
//
// Record layout (bytes): 0 torrent slot (low 24 bits; 0 = free record) and flags (high 8 bits: seeder,
//   remote)
//   | 4 prev | 8 next (free-list link when free) | 12 peer_id[20] | 32 port (network order)
//   | 34 last seen (u16 PeerClock tick) | 36 ip[4|16]
// IPv4: 40 bytes a peer, IPv6: 52.
import {
  FLAG_HAS_V4, FLAG_HAS_V6, FLAG_SEEDING, FLAG_V6_CAPABLE, OFF_FLAGS, OFF_IPV4, OFF_IPV6, OFF_PEER_ID, OFF_PORT,
} from '../core/announce-record.js';
import { finalize, mixWord, wordAt } from './keyed-hash.js';
import { RecordSlots, type RecordSlotsMemory } from './record-slots.js';
import { SharedArena } from './shared-arena.js';
import { SlotIndex } from './slot-index.js';

const W_TORRENT = 0;
const W_PREV = 1;
const W_NEXT = 2;
export const B_PEER_ID = 12;
export const B_PORT = 32;
const B_LAST_SEEN = 34;
export const B_IP = 36;
const TORRENT_MASK = 0xff_ffff;
const FLAG_SEEDER = 1 << 24;
/** Cluster mode: the peer announced to another instance (its changes are not published from here). */
const FLAG_REMOTE = 1 << 25;
/** Torrent slots must fit the record's 24 bits. */
export const MAX_TORRENT_SLOT = TORRENT_MASK;

export interface PeerTableMemory extends RecordSlotsMemory {
  index: SharedArrayBuffer;
}

export class PeerTable {
  readonly slots: RecordSlots;
  readonly index: SlotIndex;
  readonly recordBytes: number;
  readonly recordWords: number;
  u8!: Uint8Array;
  u16!: Uint16Array;
  u32!: Uint32Array;

  constructor(memory: PeerTableMemory, readonly ipBytes: 4 | 16) {
    this.recordBytes = B_IP + ipBytes;
    this.recordWords = this.recordBytes >>> 2;
    this.slots = new RecordSlots(memory, this.recordBytes, W_NEXT);
    this.index = new SlotIndex(new SharedArena(memory.index), (slot) => this.hashOfSlot(slot));
    this.attach();
  }

  static allocate(ipBytes: 4 | 16, maxPeers: number, seed: number): PeerTableMemory {
    return { ...RecordSlots.allocate(B_IP + ipBytes, maxPeers, seed), index: SlotIndex.create(maxPeers) };
  }

  /** Re-reads views after growth (here or, for a reader thread, in the owner). */
  attach(): void {
    this.slots.arena.refresh();
    this.u8 = this.slots.arena.u8;
    this.u16 = this.slots.arena.u16;
    this.u32 = this.slots.arena.u32;
    this.index.attach();
  }

  get live(): number {
    return this.slots.live;
  }

  /** Hash of (torrent, peer_id, ip) where peer_id and ip are read from `src` at the given offsets. */
  hashKey(torrent: number, src: Uint8Array, peerIdOff: number, ipOff: number): number {
    let h = mixWord(this.slots.seed, torrent);
    for (let i = 0; i < 20; i += 4) h = mixWord(h, wordAt(src, peerIdOff + i));
    for (let i = 0; i < this.ipBytes; i += 4) h = mixWord(h, wordAt(src, ipOff + i));
    return finalize(h, 24 + this.ipBytes);
  }

  private hashOfSlot(slot: number): number {
    const base = slot * this.recordBytes;
    return this.hashKey(this.torrentOf(slot), this.u8, base + B_PEER_ID, base + B_IP);
  }

  /** The slot of (torrent, peer_id, ip), or 0. */
  find(torrent: number, src: Uint8Array, peerIdOff: number, ipOff: number): number {
    const t = this.index.table;
    const cap = this.index.capacity;
    const u8 = this.u8;
    const u32 = this.u32;
    const rw = this.recordWords;
    const rb = this.recordBytes;
    const ipBytes = this.ipBytes;
    let i = this.index.home(this.hashKey(torrent, src, peerIdOff, ipOff));
    probe: for (; ; i = i + 1 === cap ? 0 : i + 1) {
      const slot = t[i]!;
      if (slot === 0) return 0;
      if ((u32[slot * rw + W_TORRENT]! & TORRENT_MASK) !== torrent) continue;
      const base = slot * rb;
      for (let k = 0; k < 20; k++) if (u8[base + B_PEER_ID + k] !== src[peerIdOff + k]) continue probe;
      for (let k = 0; k < ipBytes; k++) if (u8[base + B_IP + k] !== src[ipOff + k]) continue probe;
      return slot;
    }
  }

  /**
   * Creates the record of a new peer (not linked into any list yet). Returns its slot, or 0 when the
   * table is at its configured maximum.
   */
  insert(torrent: number, src: Uint8Array, peerIdOff: number, ipOff: number, portOff: number, tick: number, seeder: boolean): number {
    if (this.index.isTooFull(this.slots.live + 1) && this.index.grow()) {
      this.index.rebuild((visit) => this.forEachLive(visit));
    }
    if (this.index.isTooFull(this.slots.live + 1)) return 0;
    const slot = this.slots.alloc();
    if (slot === 0) return 0;
    if (this.u8 !== this.slots.arena.u8) this.attach(); // the records grew
    const base = slot * this.recordBytes;
    for (let k = 0; k < 20; k++) this.u8[base + B_PEER_ID + k] = src[peerIdOff + k]!;
    this.u8[base + B_PORT] = src[portOff]!;
    this.u8[base + B_PORT + 1] = src[portOff + 1]!;
    this.u16[(base + B_LAST_SEEN) >>> 1] = tick;
    for (let k = 0; k < this.ipBytes; k++) this.u8[base + B_IP + k] = src[ipOff + k]!;
    // The torrent word marks the record live: written last, so a worker killed mid-insert leaves
    // either no record or a complete one for Shard.repair to relink.
    this.u32[slot * this.recordWords + W_TORRENT] = torrent | (seeder ? FLAG_SEEDER : 0);
    this.index.insert(slot, this.hashOfSlot(slot));
    return slot;
  }

  /** Frees an (already unlinked) record. */
  remove(slot: number): void {
    this.index.remove(slot, this.hashOfSlot(slot));
    this.u32[slot * this.recordWords + W_TORRENT] = 0;
    this.slots.release(slot);
  }

  isSeeder(slot: number): boolean {
    return (this.u32[slot * this.recordWords + W_TORRENT]! & FLAG_SEEDER) !== 0;
  }

  setSeeder(slot: number, seeder: boolean): void {
    const w = slot * this.recordWords + W_TORRENT;
    this.u32[w] = (this.u32[w]! & ~FLAG_SEEDER) | (seeder ? FLAG_SEEDER : 0);
  }

  isRemote(slot: number): boolean {
    return (this.u32[slot * this.recordWords + W_TORRENT]! & FLAG_REMOTE) !== 0;
  }

  setRemote(slot: number, remote: boolean): void {
    const w = slot * this.recordWords + W_TORRENT;
    this.u32[w] = remote ? this.u32[w]! | FLAG_REMOTE : this.u32[w]! & ~FLAG_REMOTE;
  }

  touch(slot: number, src: Uint8Array, portOff: number, tick: number): void {
    const base = slot * this.recordBytes;
    this.u16[(base + B_LAST_SEEN) >>> 1] = tick;
    this.u8[base + B_PORT] = src[portOff]!;
    this.u8[base + B_PORT + 1] = src[portOff + 1]!;
  }

  /**
   * Writes what an announce record would say of this peer (peer_id, address, port, family and role
   * flags) into `rec`; the info_hash and event are the caller's. For republishing a peer (cluster mode).
   */
  describeInto(slot: number, family: 0 | 1, rec: Buffer): void {
    const base = slot * this.recordBytes;
    rec.set(this.u8.subarray(base + B_PEER_ID, base + B_PEER_ID + 20), OFF_PEER_ID);
    rec.set(this.u8.subarray(base + B_IP, base + B_IP + this.ipBytes), family === 0 ? OFF_IPV4 : OFF_IPV6);
    rec[OFF_PORT] = this.u8[base + B_PORT]!;
    rec[OFF_PORT + 1] = this.u8[base + B_PORT + 1]!;
    rec[OFF_FLAGS] = (family === 0 ? FLAG_HAS_V4 : FLAG_HAS_V6 | FLAG_V6_CAPABLE) | (this.isSeeder(slot) ? FLAG_SEEDING : 0);
  }

  /** The torrent slot of a live record, 0 for a free one. */
  torrentOf(slot: number): number {
    return this.u32[slot * this.recordWords + W_TORRENT]! & TORRENT_MASK;
  }

  lastSeen(slot: number): number {
    return this.u16[(slot * this.recordBytes + B_LAST_SEEN) >>> 1]!;
  }

  /** Links `slot` into the circular list whose head is `head`, just before the head (its tail). */
  link(head: number, slot: number): number {
    const u32 = this.u32;
    const w = slot * this.recordWords;
    if (head === 0) {
      u32[w + W_PREV] = slot;
      u32[w + W_NEXT] = slot;
      return slot;
    }
    const tail = u32[head * this.recordWords + W_PREV]!;
    u32[w + W_PREV] = tail;
    u32[w + W_NEXT] = head;
    u32[tail * this.recordWords + W_NEXT] = slot;
    u32[head * this.recordWords + W_PREV] = slot;
    return head;
  }

  /** Unlinks `slot` from the list whose head is `head`; returns the new head. */
  unlink(head: number, slot: number): number {
    const u32 = this.u32;
    const w = slot * this.recordWords;
    const next = u32[w + W_NEXT]!;
    if (next === slot) return 0; // it was alone
    const prev = u32[w + W_PREV]!;
    u32[prev * this.recordWords + W_NEXT] = next;
    u32[next * this.recordWords + W_PREV] = prev;
    return head === slot ? next : head;
  }

  next(slot: number): number {
    return this.u32[slot * this.recordWords + W_NEXT]!;
  }

  forEachLive(visit: (slot: number) => void): void {
    const u32 = this.u32;
    const rw = this.recordWords;
    for (let slot = 1, hw = this.slots.highWater; slot <= hw; slot++) if (u32[slot * rw + W_TORRENT] !== 0) visit(slot);
  }

  /** Rebuilds the free list and the index from the records themselves (after a worker crash). */
  repair(): void {
    this.attach();
    this.slots.repairFreeList((slot) => this.u32[slot * this.recordWords + W_TORRENT] !== 0);
    this.index.rebuild((visit) => this.forEachLive(visit));
  }
}
