// Single-producer single-consumer byte ring in SharedArrayBuffers: length-prefixed messages, positions
// as wrapping 32-bit counters, a pad marker where a message would straddle the end. Publication is an
// Atomics.store of the position (what was written before it is visible to whoever Atomics.loads it).
// A consumer with nothing to do sleeps on Atomics.waitAsync (its event loop keeps running: timers and
// control messages still work); a producer wakes it only when it said it was going to sleep, so a busy
// pair exchanges no notifications at all.

const H_WRITE = 0;
const H_READ = 16;    // each counter on its own 64-byte line: no false sharing between the two threads
const H_SEQ = 32;
const H_WAITING = 48;
const HEADER_INTS = 64;
const PAD = -1;

export interface RingMemory {
  header: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export function allocateRing(capacityBytes: number): RingMemory {
  if ((capacityBytes & (capacityBytes - 1)) !== 0 || capacityBytes < 1024) throw new Error('ring capacity must be a power of two >= 1024');
  return { header: new SharedArrayBuffer(HEADER_INTS * 4), data: new SharedArrayBuffer(capacityBytes) };
}

export class Ring {
  readonly header: Int32Array;
  readonly bytes: Buffer;
  private readonly words: Int32Array;
  private readonly capacity: number;
  private readonly mask: number;
  private writePos: number;
  private pendingWrite: number;
  private readPos: number;
  /** Payload length of the message `peek` returned. */
  length = 0;
  private total = 0;

  constructor(memory: RingMemory) {
    this.header = new Int32Array(memory.header);
    this.bytes = Buffer.from(memory.data);
    this.words = new Int32Array(memory.data);
    this.capacity = memory.data.byteLength;
    this.mask = this.capacity - 1;
    this.writePos = this.pendingWrite = Atomics.load(this.header, H_WRITE);
    this.readPos = Atomics.load(this.header, H_READ);
  }

  // Producer side

  /** Offset in `bytes` where a payload of `length` bytes may be written, or -1 when the ring is full. */
  reserve(length: number): number {
    const total = 4 + ((length + 3) & ~3);
    const w = this.writePos;
    const used = (w - Atomics.load(this.header, H_READ)) | 0;
    const index = w & this.mask;
    const tillEnd = this.capacity - index;
    const wraps = tillEnd < total;
    if (this.capacity - used < (wraps ? tillEnd + total : total)) return -1;
    let at = index;
    let start = w;
    if (wraps) {
      this.words[index >> 2] = PAD;
      start = (w + tillEnd) | 0;
      at = 0;
    }
    this.words[at >> 2] = length;
    this.pendingWrite = (start + total) | 0;
    return at + 4;
  }

  /** Publishes what was reserved and written. */
  commit(): void {
    this.writePos = this.pendingWrite;
    Atomics.store(this.header, H_WRITE, this.writePos);
  }

  /** Wakes the consumer if it announced it would sleep. */
  wake(): void {
    if (Atomics.compareExchange(this.header, H_WAITING, 1, 0) === 1) {
      Atomics.add(this.header, H_SEQ, 1);
      Atomics.notify(this.header, H_SEQ);
    }
  }

  // Consumer side

  /** Offset of the next payload (its length in `this.length`), or -1 when the ring is empty. */
  peek(): number {
    if (this.readPos === Atomics.load(this.header, H_WRITE)) return -1;
    let index = this.readPos & this.mask;
    let length = this.words[index >> 2]!;
    if (length === PAD) {
      this.readPos = (this.readPos + this.capacity - index) | 0;
      index = 0;
      length = this.words[0]!;
    }
    this.length = length;
    this.total = 4 + ((length + 3) & ~3);
    return index + 4;
  }

  /** Consumes the message `peek` returned and publishes the new read position. */
  release(): void {
    this.readPos = (this.readPos + this.total) | 0;
    Atomics.store(this.header, H_READ, this.readPos);
  }

  /**
   * Resolves when a producer may have written more (or at once if it already has). Call only after
   * `peek()` returned -1. Returns null when there is already something to read.
   */
  sleep(): Promise<unknown> | null {
    const seq = Atomics.load(this.header, H_SEQ);
    Atomics.store(this.header, H_WAITING, 1);
    if (this.readPos !== Atomics.load(this.header, H_WRITE)) {
      Atomics.store(this.header, H_WAITING, 0);
      return null;
    }
    const r = Atomics.waitAsync(this.header, H_SEQ, seq);
    return r.async ? r.value : null;
  }

  /** Messages written but not yet released (for failing them after the consumer died). */
  forEachUnread(visit: (offset: number, length: number) => void): void {
    const end = Atomics.load(this.header, H_WRITE);
    this.readPos = Atomics.load(this.header, H_READ);
    while (this.readPos !== end) {
      const off = this.peek();
      visit(off, this.length);
      this.release();
    }
  }

  /** Re-reads the positions after another thread consumed or produced in our place. */
  resync(): void {
    this.writePos = this.pendingWrite = Atomics.load(this.header, H_WRITE);
    this.readPos = Atomics.load(this.header, H_READ);
  }
}
