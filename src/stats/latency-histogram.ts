// Response-time percentiles without an allocation per request: a log-linear histogram of microseconds
// (8 sub-buckets per power of two, ~9% resolution), recorded with two array writes. Its counts can live
// in shared memory: each I/O thread records into its own, the main thread merges them when asked.

const SUB_BUCKETS = 8;
export const LATENCY_BUCKETS = 32 * SUB_BUCKETS;

export class LatencyHistogram {
  readonly counts: Float64Array;

  /** `counts` defaults to a private array; pass a view of shared memory to read it from other threads. */
  constructor(counts: Float64Array = new Float64Array(LATENCY_BUCKETS)) {
    if (counts.length !== LATENCY_BUCKETS) throw new RangeError(`a latency histogram has ${LATENCY_BUCKETS} buckets`);
    this.counts = counts;
  }

  record(micros: number): void {
    const us = micros < 1 ? 1 : micros;
    const exp = 31 - Math.clz32(us);
    const sub = exp < 3 ? 0 : ((us >>> (exp - 3)) & (SUB_BUCKETS - 1));
    this.counts[exp * SUB_BUCKETS + sub]++;
  }

  get total(): number {
    let n = 0;
    for (let i = 0; i < LATENCY_BUCKETS; i++) n += this.counts[i]!;
    return n;
  }

  /** Adds another histogram's counts into this one (to merge threads). */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < LATENCY_BUCKETS; i++) this.counts[i]! += other.counts[i]!;
  }

  /** Upper bound, in microseconds, of bucket i. */
  static bucketUpperMicros(i: number): number {
    const exp = Math.floor(i / SUB_BUCKETS);
    const sub = i % SUB_BUCKETS;
    return exp < 3 ? 2 ** (exp + 1) : 2 ** exp + (sub + 1) * 2 ** (exp - 3);
  }

  /** Upper bound, in microseconds, under which `q` (0..1) of the recorded values fall. */
  percentileMicros(q: number): number {
    const total = this.total;
    if (total === 0) return 0;
    const target = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < LATENCY_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return LatencyHistogram.bucketUpperMicros(i);
    }
    return 0;
  }
}
