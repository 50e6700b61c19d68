// Latency histograms (hdr-histogram-js, values in microseconds), their summary figures, transfer between
// threads, and the percentile-distribution files written next to the results.
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** 1 µs .. 120 s, 3 significant digits. */
export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records one latency; values outside the range are clamped instead of throwing. */
export function recordMicros(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > 120_000_000 ? 120_000_000 : Math.round(us));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(text: string): Histogram {
  const out = newHistogram();
  out.add(hdr.decodeFromCompressedBase64(text));
  return out;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Figures in microseconds; zeros for an empty histogram. */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    mean: Math.round(h.mean),
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

/** HdrHistogram's percentile distribution text, values in milliseconds (the plotter's convention). */
export function percentileDistribution(h: Histogram): string {
  return h.outputPercentileDistribution(5, 1000);
}

/**
 * A latency distribution as HdrHistogram's percentile plot draws it: the latency at each percentile level
 * of its percentile iteration (`ticksPerHalfDistance` levels in every halving of the distance to 100%: 0,
 * 10, 20, 30, 40, 50, 55, ... 75, 77.5, ...; the levels of the .hgrm files), up to the last level that
 * still holds a recorded value, then 100% at the maximum. Values in microseconds, each the highest value
 * of its bucket (3 significant digits), as HdrHistogram reports them. Kept in the results
 * JSON, so a report or a comparison can draw the curve from the JSON alone.
 */
export interface PercentileCurve {
  count: number;            // values recorded: the curve's resolution ends at 1/(1-p) = count
  percentiles: number[];    // ascending, 0..100
  valuesUs: number[];       // the latency at each percentile, non-decreasing
}

/** At most this many levels: 5 per halving reach 1 - 2^-40 of the way to 100%, past any run's count. */
const MAX_CURVE_POINTS = 200;

export function percentileCurve(h: Histogram, ticksPerHalfDistance = 5): PercentileCurve {
  const percentiles: number[] = [];
  const valuesUs: number[] = [];
  const count = h.totalCount;
  if (count === 0) return { count, percentiles, valuesUs };
  // Past 100·(1 - 1/count) no recorded value is left below the maximum: the iteration ends there.
  const last = 100 * (1 - 1 / count);
  let p = 0;
  while (p < last && percentiles.length < MAX_CURVE_POINTS - 1) {
    percentiles.push(Math.round(p * 1e9) / 1e9);
    valuesUs.push(h.getValueAtPercentile(p));
    const halvings = Math.floor(Math.log2(100 / (100 - p)));
    p += 100 / (ticksPerHalfDistance * 2 ** (halvings + 1));
  }
  // The maximum as the other points give theirs: the highest value of its bucket (as the .hgrm's last
  // line), which is not below the previous point's, where maxValue (the value recorded) may be.
  percentiles.push(100);
  valuesUs.push(h.getValueAtPercentile(100));
  return { count, percentiles, valuesUs };
}
