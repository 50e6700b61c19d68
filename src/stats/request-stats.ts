// The request counters of one I/O thread, named after chihaya v1's /stats fields, in shared memory: the
// thread counts with plain increments (one writer), the main thread sums every thread's block for
// /stats and /metrics without a message. Float64 so they never wrap in practice. Beside the named
// counters: failure answers by protocol and reason, the thread's event-loop delay, and one response-time
// histogram (with its sum) per response kind (stats/response-kinds.ts).
import { LATENCY_BUCKETS, LatencyHistogram } from './latency-histogram.js';
import { FAILURE_REASONS, failureIndex } from './failure-reasons.js';
import { PROTOCOLS, RESPONSE_KINDS, type Proto } from './response-kinds.js';
import { LOOP_DELAY_SLOTS } from '../util/loop-delay.js';

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
  'udpRepliesDropped',   // UDP replies dropped: the kernel's send buffer was full, or it refused the destination
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
const REASONS = FAILURE_REASONS.length;
const FAILURES_AT = COUNTERS;
const LOOP_DELAY_AT = FAILURES_AT + PROTOCOLS.length * REASONS;
const LATENCY_SUMS_AT = LOOP_DELAY_AT + LOOP_DELAY_SLOTS;
const LATENCY_AT = LATENCY_SUMS_AT + RESPONSE_KINDS;
const SLOTS = LATENCY_AT + RESPONSE_KINDS * LATENCY_BUCKETS;

export function allocateRequestStats(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * 8);
}

// Named accessors over the slots, so the hot path reads `stats.requestsHandled++`.
type Counters = { [K in RequestCounter]: number };

export interface RequestStats extends Counters {}
export class RequestStats {
  readonly slots: Float64Array;
  /** Response times by response kind (responseKind() + Outcome), in microseconds. */
  readonly latency: readonly LatencyHistogram[];
  /** This thread's event-loop delay (util/loop-delay.ts writes it): p50, p99, max in ms. */
  readonly loopDelay: Float64Array;

  constructor(memory: SharedArrayBuffer = allocateRequestStats()) {
    this.slots = new Float64Array(memory);
    this.loopDelay = this.slots.subarray(LOOP_DELAY_AT, LOOP_DELAY_AT + LOOP_DELAY_SLOTS);
    this.latency = Array.from({ length: RESPONSE_KINDS }, (_, k) =>
      new LatencyHistogram(this.slots.subarray(LATENCY_AT + k * LATENCY_BUCKETS, LATENCY_AT + (k + 1) * LATENCY_BUCKETS)));
  }

  /** One response of `kind` (responseKind() + Outcome) that took `micros`: two array writes and an add. */
  recordLatency(kind: number, micros: number): void {
    this.latency[kind]!.record(micros);
    this.slots[LATENCY_SUMS_AT + kind]! += micros;
  }

  /** The sum of every response time recorded for `kind`, in microseconds. */
  latencySumMicros(kind: number): number {
    return this.slots[LATENCY_SUMS_AT + kind]!;
  }

  /** An answer with failure `reason` (a client-visible text): a Map lookup, on failures only. */
  countFailure(proto: Proto, reason: string): void {
    this.slots[FAILURES_AT + proto * REASONS + failureIndex(reason)]!++;
  }

  /** Answers of `proto` with failure FAILURE_REASONS[reason]. */
  failures(proto: Proto, reason: number): number {
    return this.slots[FAILURES_AT + proto * REASONS + reason]!;
  }

  /** Every response kind of `proto` merged into one histogram (for /stats; allocates). */
  mergedLatency(proto: Proto): LatencyHistogram {
    const h = new LatencyHistogram();
    const per = RESPONSE_KINDS / PROTOCOLS.length;
    for (let k = proto * per; k < (proto + 1) * per; k++) h.add(this.latency[k]!);
    return h;
  }

  /** Adds another block (another thread's) into this one (loop delays too: meaningless in a sum). */
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
