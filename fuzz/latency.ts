// Reply latency in power-of-two millisecond buckets (<1, <2, <4, ... ms) and the maximum: enough to tell
// a tracker that answers in a millisecond from one that stalls for seconds now and then.

export class Latency {
  /** bucket i counts latencies in [2^(i-1), 2^i) ms; bucket 0 is < 1 ms */
  readonly buckets = new Array<number>(16).fill(0);
  count = 0;
  maxMs = 0;

  record(ms: number): void {
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
    const i = ms < 1 ? 0 : Math.min(15, Math.floor(Math.log2(ms)) + 1);
    this.buckets[i]!++;
  }

  /** Upper bound (ms) of the bucket holding quantile q. */
  quantileMs(q: number): number {
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= q * this.count) return 2 ** i;
    }
    return this.maxMs;
  }

  summary(): { count: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number; over1s: number } {
    return {
      count: this.count, p50Ms: this.quantileMs(0.5), p99Ms: this.quantileMs(0.99), p999Ms: this.quantileMs(0.999),
      maxMs: Math.round(this.maxMs), over1s: this.buckets.slice(11).reduce((a, b) => a + b, 0),
    };
  }
}

export type LatencySummary = ReturnType<Latency['summary']>;

export function formatLatency(s: LatencySummary): string {
  return `p50 < ${s.p50Ms} ms, p99 < ${s.p99Ms} ms, p99.9 < ${s.p999Ms} ms, max ${s.maxMs} ms, ${s.over1s} over 1 s`;
}
