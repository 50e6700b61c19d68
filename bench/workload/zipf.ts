// Zipf(s) over ranks 0..n-1: P(k) ∝ 1/(k+1)^s. A cumulative table and a binary search per sample; built
// once per run (n up to a few million is a few MB).
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(readonly n: number, readonly s: number) {
    if (!(n >= 1)) throw new Error(`zipf: n must be >= 1, got ${n}`);
    if (!(s >= 0)) throw new Error(`zipf: s must be >= 0, got ${s}`);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / Math.pow(k + 1, s);
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= sum;
  }

  /** The rank for a uniform draw u in [0, 1). */
  sample(u: number): number {
    const cdf = this.cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Probability of rank k. */
  share(k: number): number {
    return k === 0 ? this.cdf[0]! : this.cdf[k]! - this.cdf[k - 1]!;
  }
}
