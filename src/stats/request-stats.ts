// The request counters of one I/O thread, named after chihaya v1's /stats fields, in shared memory: the
// thread counts with plain increments (one writer), the main thread sums every thread's block for
// /stats and /metrics without a message. Float64 so they never wrap in practice.
import { LATENCY_BUCKETS, LatencyHistogram } from './latency-histogram.js';

/** Slots of the counter block, in order. */
export const REQUEST_COUNTERS = [
  'connectionsOpen',
  'connectionsAccepted',
  'requestsHandled',
  'requestsErrored',     // internal errors (our fault)
  'requestsBad',         // answered with a failure reason (the client's fault, or refused)
  'trackerAnnounces',
  'trackerScrapes',
  'udpPackets',          // UDP datagrams received (every action, good or bad)
  'udpPacketsBad',       // UDP datagrams dropped or answered with an error
  'udpRepliesDropped',   // UDP replies dropped because too many sends were already queued (kernel buffer full)
  'refusedBusy',         // refused because a ring or in-flight table was full ("tracker busy")
  'failedOwnerDied',     // accepted, then failed because the thread owning their shard died
  // JWT checks of this thread (auth/jwt/checker.ts)
  'jwtCacheHits',
  'jwtAccepted',
  'jwtRefused',          // invalid: signature, claims, format, another torrent's token
  'jwtMissing',
  'jwtUnavailable',      // no usable key set: failed closed
  'jwtBusy',             // the verification queue (or the client's share of it) was full
  'jwtCoalesced',
  'jwtScreened',         // refused before any RSA work
] as const;

export type RequestCounter = (typeof REQUEST_COUNTERS)[number];

const COUNTERS = REQUEST_COUNTERS.length;
const HTTP_LATENCY_AT = COUNTERS;
const UDP_LATENCY_AT = COUNTERS + LATENCY_BUCKETS;
const SLOTS = COUNTERS + 2 * LATENCY_BUCKETS;

export function allocateRequestStats(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * 8);
}

// Named accessors over the slots, so the hot path reads `stats.requestsHandled++`.
type Counters = { [K in RequestCounter]: number };

export interface RequestStats extends Counters {}
export class RequestStats {
  readonly slots: Float64Array;
  readonly httpLatency: LatencyHistogram;
  readonly udpLatency: LatencyHistogram;

  constructor(memory: SharedArrayBuffer = allocateRequestStats()) {
    this.slots = new Float64Array(memory);
    this.httpLatency = new LatencyHistogram(this.slots.subarray(HTTP_LATENCY_AT, HTTP_LATENCY_AT + LATENCY_BUCKETS));
    this.udpLatency = new LatencyHistogram(this.slots.subarray(UDP_LATENCY_AT, UDP_LATENCY_AT + LATENCY_BUCKETS));
  }

  /** Adds another block (another thread's) into this one. */
  add(other: RequestStats): void {
    for (let i = 0; i < SLOTS; i++) this.slots[i]! += other.slots[i]!;
  }
}
REQUEST_COUNTERS.forEach((name, slot) => {
  Object.defineProperty(RequestStats.prototype, name, {
    get(this: RequestStats) { return this.slots[slot]!; },
    set(this: RequestStats, v: number) { this.slots[slot] = v; },
  });
});
