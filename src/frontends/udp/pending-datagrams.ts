// UDP requests waiting for the swarm, by small integer id: where to send the reply, and the
// transaction id of a scrape (announce replies carry theirs in the record). Bounded.

export class PendingDatagrams {
  readonly address: string[];
  readonly port: Uint16Array;
  readonly transactionId: Uint32Array;
  readonly startedAt: Float64Array;
  private readonly live: Uint8Array;
  private readonly free: Int32Array;
  private freeTop: number;

  constructor(readonly capacity: number) {
    this.address = new Array<string>(capacity).fill('');
    this.port = new Uint16Array(capacity);
    this.transactionId = new Uint32Array(capacity);
    this.startedAt = new Float64Array(capacity);
    this.live = new Uint8Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  /** An id, or -1 when every id is taken. */
  add(address: string, port: number, startedAt: number): number {
    if (this.freeTop === 0) return -1;
    const id = this.free[--this.freeTop]!;
    this.address[id] = address;
    this.port[id] = port;
    this.startedAt[id] = startedAt;
    this.live[id] = 1;
    return id;
  }

  /** Frees `id`; false when it was not pending (already answered). */
  take(id: number): boolean {
    if (this.live[id] !== 1) return false;
    this.live[id] = 0;
    this.free[this.freeTop++] = id;
    return true;
  }
}
