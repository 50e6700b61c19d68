// Open-addressing hash index from a key to a 1-based record slot, in shared memory. Linear probing over
// a power-of-two Uint32Array (0 = empty), load kept <= 3/4, deletion by backward shift (no tombstones,
// so lookups never slow down with churn). Lookups are written in each table (they compare that table's
// key); this class holds what is common: insertion, removal, growth and rebuilding.
import { SharedArena } from './shared-arena.js';

export const INDEX_MIN_CAPACITY = 1024;

export class SlotIndex {
  table!: Uint32Array;
  mask = 0;

  constructor(readonly arena: SharedArena, private readonly hashOfSlot: (slot: number) => number) {
    this.attach();
  }

  static create(maxSlots: number): SharedArrayBuffer {
    // Room for the largest table we could need: 2 index entries per slot, rounded up to a power of two.
    let maxCap = INDEX_MIN_CAPACITY;
    while (maxCap < maxSlots * 2) maxCap *= 2;
    return SharedArena.create(INDEX_MIN_CAPACITY * 4, maxCap * 4).sab;
  }

  /** Re-reads the capacity (after this or another thread grew the arena). */
  attach(): void {
    this.arena.refresh();
    this.table = this.arena.u32;
    this.mask = this.table.length - 1;
  }

  get capacity(): number {
    return this.table.length;
  }

  insert(slot: number, hash: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = hash & mask;
    while (t[i] !== 0) i = (i + 1) & mask;
    t[i] = slot;
  }

  /** Removes `slot` (whose key hashes to `hash`), shifting later entries of its cluster back. */
  remove(slot: number, hash: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = hash & mask;
    while (t[i] !== slot) {
      if (t[i] === 0) return; // not indexed: nothing to do
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = t[j]!;
      if (s === 0) break;
      const home = this.hashOfSlot(s) & mask;
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
    return liveAfter * 4 > this.table.length * 3;
  }

  /** Doubles the capacity (false at the arena's maximum); the caller then calls `rebuild`. */
  grow(): boolean {
    if (!this.arena.grow(this.arena.byteLength * 2)) return false;
    this.attach();
    return true;
  }

  /** Clears the index and re-inserts every live slot; `forEachLive` yields them. */
  rebuild(forEachLive: (visit: (slot: number) => void) => void): void {
    this.table.fill(0);
    forEachLive((slot) => this.insert(slot, this.hashOfSlot(slot)));
  }
}
