// UDP requests waiting for the swarm, by small integer id: where to send the reply (address bytes and
// port, no text), and the transaction id of a scrape (announce replies carry theirs in the record).
// Bounded.
import { formatIP } from '../../protocol/ip.js';
import { IdPool } from '../../util/id-pool.js';

export class PendingDatagrams {
  /** 16 bytes per id: the source address (its first 4 for IPv4). */
  readonly address: Uint8Array;
  /** 4 or 6. */
  readonly family: Uint8Array;
  readonly port: Uint16Array;
  readonly transactionId: Uint32Array;
  readonly startedAt: Float64Array;
  /** The response kind (stats/response-kinds.ts) its answer's time is recorded under. */
  readonly kind: Uint8Array;
  private readonly ids: IdPool;

  constructor(readonly capacity: number) {
    this.ids = new IdPool(capacity);
    this.address = new Uint8Array(capacity * 16);
    this.family = new Uint8Array(capacity);
    this.port = new Uint16Array(capacity);
    this.transactionId = new Uint32Array(capacity);
    this.startedAt = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
  }

  /** An id for a request from `source` (4 bytes: IPv4, 16: IPv6), or -1 when every id is taken. */
  add(source: Uint8Array, port: number, startedAt: number, kind: number): number {
    const id = this.ids.take();
    if (id < 0) return -1;
    this.address.set(source, id * 16);
    this.family[id] = source.length === 4 ? 4 : 6;
    this.port[id] = port;
    this.startedAt[id] = startedAt;
    this.kind[id] = kind;
    return id;
  }

  /** Frees `id`; false when it was not pending (already answered). */
  take(id: number): boolean {
    return this.ids.release(id);
  }

  get inFlight(): number {
    return this.ids.inUse;
  }

  isPending(id: number): boolean {
    return this.ids.isTaken(id);
  }

  /** The source address of `id` as text (for logs). */
  addressText(id: number): string {
    return formatIP(this.address, id * 16, this.family[id]!);
  }
}
