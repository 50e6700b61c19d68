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
