// Fixed-size records in a growable SharedArrayBuffer, addressed by 1-based slot numbers (0 = none),
// with a free list threaded through a word of each freed record. The header (high-water mark, free-list
// head, live count, hash seed) lives in shared memory too, so a restarted worker resumes exactly here.
import { SharedArena } from './shared-arena.js';

const H_HIGH_WATER = 0; // slots 1..highWater have been handed out at least once
const H_FREE_HEAD = 1;
export const H_LIVE = 2;
const H_SEED = 3;
const HEADER_WORDS = 8;

export interface RecordSlotsMemory {
  header: SharedArrayBuffer;
  records: SharedArrayBuffer;
}

export class RecordSlots {
  readonly header: Uint32Array;
  readonly arena: SharedArena;
  readonly recordWords: number;

  constructor(memory: RecordSlotsMemory, readonly recordBytes: number, private readonly linkWord: number) {
    this.header = new Uint32Array(memory.header);
    this.arena = new SharedArena(memory.records);
    this.recordWords = recordBytes >>> 2;
  }

  static allocate(recordBytes: number, maxRecords: number, seed: number): RecordSlotsMemory {
    const header = new SharedArrayBuffer(HEADER_WORDS * 4);
    new Uint32Array(header)[H_SEED] = seed;
    // Slot 0 is never used, so the first record starts at recordBytes.
    const records = SharedArena.create(recordBytes * Math.min(1024, maxRecords + 1), recordBytes * (maxRecords + 1)).sab;
    return { header, records };
  }

  get live(): number {
    return this.header[H_LIVE]!;
  }

  get highWater(): number {
    return this.header[H_HIGH_WATER]!;
  }

  get seed(): number {
    return this.header[H_SEED]!;
  }

  /** A zeroed record's slot, or 0 when the configured maximum is reached. */
  alloc(): number {
    const h = this.header;
    let slot = h[H_FREE_HEAD]!;
    const u32 = this.arena.u32;
    if (slot !== 0) {
      const base = slot * this.recordWords;
      h[H_FREE_HEAD] = u32[base + this.linkWord]!;
      u32.fill(0, base, base + this.recordWords);
    } else {
      slot = h[H_HIGH_WATER]! + 1;
      const needBytes = (slot + 1) * this.recordBytes;
      if (needBytes > this.arena.byteLength) {
        // Grow by an eighth (at least 4096 records): growth commits memory in place, never copies,
        // so small steps keep the unused tail small without a cost per step.
        const step = Math.max(4096 * this.recordBytes, Math.ceil(this.arena.byteLength / 8));
        const want = Math.min(this.arena.maxByteLength, this.arena.byteLength + step);
        if (needBytes > want || !this.arena.grow(want)) return 0;
      }
      h[H_HIGH_WATER] = slot;
    }
    h[H_LIVE] = h[H_LIVE]! + 1;
    return slot;
  }

  /** Returns a slot to the free list; the caller has cleared its live marker. */
  release(slot: number): void {
    const h = this.header;
    this.arena.u32[slot * this.recordWords + this.linkWord] = h[H_FREE_HEAD]!;
    h[H_FREE_HEAD] = slot;
    h[H_LIVE] = h[H_LIVE]! - 1;
  }

  /** Rebuilds the free list and live count from the records' live markers (after a crash). */
  repairFreeList(isLive: (slot: number) => boolean): void {
    const h = this.header;
    let free = 0;
    let live = 0;
    const u32 = this.arena.u32;
    for (let slot = h[H_HIGH_WATER]!; slot >= 1; slot--) {
      if (isLive(slot)) live++;
      else {
        u32[slot * this.recordWords + this.linkWord] = free;
        free = slot;
      }
    }
    h[H_FREE_HEAD] = free;
    h[H_LIVE] = live;
  }
}
