// In-flight HTTP requests waiting for the swarm, by small integer id (what crosses to the dispatcher
// instead of a closure). Bounded: when every id is taken the request is refused with a failure.
import type { HttpResponse } from 'uWebSockets.js';
import { IdPool } from '../../util/id-pool.js';

export class PendingReplies {
  private readonly responses: (HttpResponse | null)[];
  private readonly aborted: Uint8Array;
  readonly startedAt: Float64Array;
  /** The response kind (stats/response-kinds.ts) its answer's time is recorded under. */
  readonly kind: Uint8Array;
  private readonly ids: IdPool;
  scrapeHashes: (Buffer | null)[];

  constructor(readonly capacity: number) {
    this.ids = new IdPool(capacity);
    this.responses = new Array<HttpResponse | null>(capacity).fill(null);
    this.scrapeHashes = new Array<Buffer | null>(capacity).fill(null);
    this.aborted = new Uint8Array(capacity);
    this.startedAt = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
  }

  get inFlight(): number {
    return this.ids.inUse;
  }

  /** An id for `res`, or -1 when the table is full. */
  add(res: HttpResponse, nowMs: number, kind: number): number {
    const id = this.ids.take();
    if (id < 0) return -1;
    this.responses[id] = res;
    this.aborted[id] = 0;
    this.startedAt[id] = nowMs;
    this.kind[id] = kind;
    return id;
  }

  /** The response to write for `id` and frees the id; null when the client went away meanwhile. */
  take(id: number): HttpResponse | null {
    const res = this.responses[id] ?? null;
    if (res === null || !this.ids.release(id)) return null;
    const wasAborted = this.aborted[id] === 1;
    this.responses[id] = null;
    this.scrapeHashes[id] = null;
    return wasAborted ? null : res;
  }

  isPending(id: number): boolean {
    return this.ids.isTaken(id);
  }

  markAborted(id: number): void {
    this.aborted[id] = 1;
  }
}
