// Open-addressing hash index from a key to a 1-based record slot, in shared memory. Linear probing over
// a Uint32Array (0 = empty) of any capacity: a hash maps to its home bucket by multiplication (not a
// power-of-two mask), so the table grows by half at a time and stays close to its 3/4 load bound
// (memory per peer matters: 4 bytes a bucket). Deletion by backward shift (no tombstones, so lookups
// never slow down with churn). Lookups are written in each table (they compare that table's key); this
// class holds what is common: homes, insertion, removal, growth and rebuilding.
import { SharedArena } from './shared-arena.js';

const INDEX_MIN_CAPACITY = 1024;
const TWO_32 = 4294967296;

export class SlotIndex {
  table!: Uint32Array;
  capacity = 0;
  private scale = 0;

  constructor(readonly arena: SharedArena, private readonly hashOfSlot: (slot: number) => number) {
    this.attach();
  }

  static create(maxSlots: number): SharedArrayBuffer {
    // Room for the largest table we could need: up to 2 buckets a slot (the load after growth).
    const maxCap = Math.max(INDEX_MIN_CAPACITY, Math.ceil(maxSlots * 2));
    return SharedArena.create(INDEX_MIN_CAPACITY * 4, maxCap * 4).sab;
  }

  /** Re-reads the capacity (after this or another thread grew the arena). */
  attach(): void {
    this.arena.refresh();
    this.table = this.arena.u32;
    this.capacity = this.table.length;
    this.scale = this.capacity / TWO_32;
  }

  /** The first bucket to probe for a 32-bit hash. */
  home(hash: number): number {
    return Math.floor((hash >>> 0) * this.scale);
  }

  insert(slot: number, hash: number): void {
    const t = this.table;
    const cap = this.capacity;
    let i = this.home(hash);
    while (t[i] !== 0) if (++i === cap) i = 0;
    t[i] = slot;
  }

  /** Removes `slot` (whose key hashes to `hash`), shifting later entries of its cluster back. */
  remove(slot: number, hash: number): void {
    const t = this.table;
    const cap = this.capacity;
    let i = this.home(hash);
    while (t[i] !== slot) {
      if (t[i] === 0) return; // not indexed: nothing to do
      if (++i === cap) i = 0;
    }
    for (let j = i + 1 === cap ? 0 : i + 1; ; j = j + 1 === cap ? 0 : j + 1) {
      const s = t[j]!;
      if (s === 0) break;
      const home = this.home(this.hashOfSlot(s));
      // Entry j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        t[i] = s;
        i = j;
      }
    }
    t[i] = 0;
  }

  /** True when `liveAfter` entries would push the load above 3/4. */
  isTooFull(liveAfter: number): boolean {
    return liveAfter * 4 > this.capacity * 3;
  }

  /** Grows by half (false at the arena's maximum); the caller then calls `rebuild`. */
  grow(): boolean {
    const want = Math.min(this.arena.maxByteLength, Math.ceil(this.capacity * 1.5) * 4);
    if (want <= this.arena.byteLength || !this.arena.grow(want)) return false;
    this.attach();
    return true;
  }

  /** Clears the index and re-inserts every live slot; `forEachLive` yields them. */
  rebuild(forEachLive: (visit: (slot: number) => void) => void): void {
    this.table.fill(0);
    forEachLive((slot) => this.insert(slot, this.hashOfSlot(slot)));
  }
}
