// UDP requests waiting for the swarm, by small integer id: where to send the reply, and the
// transaction id of a scrape (announce replies carry theirs in the record). Bounded.
import { IdPool } from '../../util/id-pool.js';

export class PendingDatagrams {
  readonly address: string[];
  readonly port: Uint16Array;
  readonly transactionId: Uint32Array;
  readonly startedAt: Float64Array;
  /** The response kind (stats/response-kinds.ts) its answer's time is recorded under. */
  readonly kind: Uint8Array;
  private readonly ids: IdPool;

  constructor(readonly capacity: number) {
    this.ids = new IdPool(capacity);
    this.address = new Array<string>(capacity).fill('');
    this.port = new Uint16Array(capacity);
    this.transactionId = new Uint32Array(capacity);
    this.startedAt = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
  }

  /** An id, or -1 when every id is taken. */
  add(address: string, port: number, startedAt: number, kind: number): number {
    const id = this.ids.take();
    if (id < 0) return -1;
    this.address[id] = address;
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
}
