// Single-producer single-consumer byte ring in SharedArrayBuffers: length-prefixed messages, positions
// as wrapping 32-bit counters, a pad marker where a message would straddle the end. Publication is an
// Atomics.store of the position (what was written before it is visible to whoever Atomics.loads it).
// Waking a sleeping consumer is its Doorbell's job (one per consuming thread, whatever its ring count).

const H_WRITE = 0;
const H_READ = 16;    // each counter on its own 64-byte line: no false sharing between the two threads
const HEADER_INTS = 32;
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

  /** True when a message is waiting (for a doorbell's last look before sleeping). */
  /** Producer side: whether the consumer has yet to release something this producer committed. */
  hasUnreleased(): boolean {
    return Atomics.load(this.header, H_WRITE) !== Atomics.load(this.header, H_READ);
  }

  hasMessage(): boolean {
    return this.readPos !== Atomics.load(this.header, H_WRITE);
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

/**
 * A read-only look at a ring's fill from any thread (the main thread, for /metrics): the two published
 * positions, never the producer's or consumer's private state. Not for a request's path.
 */
export class RingOccupancy {
  private readonly header: Int32Array;
  readonly capacityBytes: number;

  constructor(memory: RingMemory) {
    this.header = new Int32Array(memory.header);
    this.capacityBytes = memory.data.byteLength;
  }

  /** Bytes written and not yet released (pad markers included). */
  get usedBytes(): number {
    // The read position first: the consumer may pass a write position read earlier, never a later one.
    const read = Atomics.load(this.header, H_READ);
    return Math.min(this.capacityBytes, Math.max(0, (Atomics.load(this.header, H_WRITE) - read) | 0));
  }
}
