// Response-time percentiles for /stats without an allocation per request: a log-linear histogram of
// microseconds (8 sub-buckets per power of two, ~9% resolution), recorded with two array writes.

const SUB_BUCKETS = 8;
const BUCKETS = 32 * SUB_BUCKETS;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  total = 0;

  record(micros: number): void {
    const us = micros < 1 ? 1 : micros;
    const exp = 31 - Math.clz32(us);
    const sub = exp < 3 ? 0 : ((us >>> (exp - 3)) & (SUB_BUCKETS - 1));
    this.counts[exp * SUB_BUCKETS + sub]++;
    this.total++;
  }

  /** Upper bound, in microseconds, under which `q` (0..1) of the recorded values fall. */
  percentileMicros(q: number): number {
    if (this.total === 0) return 0;
    const target = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) {
        const exp = Math.floor(i / SUB_BUCKETS);
        const sub = i % SUB_BUCKETS;
        return exp < 3 ? 2 ** (exp + 1) : 2 ** exp + (sub + 1) * 2 ** (exp - 3);
      }
    }
    return 0;
  }
}
