// Small integer ids for requests in flight (what crosses to the dispatcher or the JWT pool instead of a
// closure): a fixed capacity and a free list in a typed array, so taking and releasing an id never
// allocates. When every id is taken the caller refuses the request rather than grow.

export class IdPool {
  private readonly free: Int32Array;
  private freeTop: number;
  private readonly taken: Uint8Array;

  constructor(readonly capacity: number) {
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i; // hands out 0, 1, 2, ... first
    this.freeTop = capacity;
    this.taken = new Uint8Array(capacity);
  }

  /** Ids currently taken. */
  get inUse(): number {
    return this.capacity - this.freeTop;
  }

  /** A free id, or -1 when every id is taken. */
  take(): number {
    if (this.freeTop === 0) return -1;
    const id = this.free[--this.freeTop]!;
    this.taken[id] = 1;
    return id;
  }

  /** Returns `id` to the pool; false when it was not taken (already released). */
  release(id: number): boolean {
    if (this.taken[id] !== 1) return false;
    this.taken[id] = 0;
    this.free[this.freeTop++] = id;
    return true;
  }

  isTaken(id: number): boolean {
    return this.taken[id] === 1;
  }
}
