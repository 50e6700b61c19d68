// A Prometheus metric whose samples are read when Prometheus scrapes, never updated per request: the
// counters and histograms it shows already live in shared memory (per-thread blocks, shard counters).
// prom-client formats it (Registry.metrics() calls get() on every registered metric); the metric keeps
// no state of its own, so there is no label lookup anywhere near a request.
import type { Metric } from 'prom-client';
import { LatencyHistogram, LATENCY_BUCKETS } from './latency-histogram.js';

export type Labels = Record<string, string | number>;
export interface Sample {
  value: number;
  labels: Labels;
  /** For histograms: `<name>_bucket`, `_sum`, `_count`. */
  metricName?: string;
}
export type MetricType = 'counter' | 'gauge' | 'histogram';

export class ScrapeMetric {
  constructor(readonly name: string, readonly help: string, readonly type: MetricType, private readonly read: (out: Sample[]) => void) {}

  /** What prom-client's Registry asks of a metric. */
  async get(): Promise<{ name: string; help: string; type: MetricType; values: Sample[]; aggregator: 'sum' }> {
    const values: Sample[] = [];
    this.read(values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  /** Registry.resetMetrics(): nothing to reset, the figures belong to the threads. */
  reset(): void {}

  /** The shape Registry.registerMetric is typed for (it only reads name and calls get()). */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}

/**
 * Pushes a Prometheus histogram's samples (`_bucket` per bound and +Inf, `_sum`, `_count`) for one
 * LatencyHistogram. `boundsMicros` ascending; a bound counts the buckets whose upper edge is at or
 * below it (a value in a bucket that straddles the bound is counted at the next bound: exact where
 * the bounds are edges of the histogram, i.e. powers of two, and low by at most one ~9% bucket
 * elsewhere). `total` is the histogram's count (computed once per scrape by the caller); `scale` turns
 * microseconds into the metric's unit.
 */
export function pushHistogram(out: Sample[], name: string, labels: Labels, h: LatencyHistogram, total: number, sumMicros: number,
  boundsMicros: readonly number[], scale: number): void {
  let i = 0;
  let seen = 0;
  for (const bound of boundsMicros) {
    while (i < LATENCY_BUCKETS && LatencyHistogram.bucketUpperMicros(i) <= bound) seen += h.counts[i++]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: round(bound * scale) }, value: seen });
  }
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: total });
  out.push({ metricName: `${name}_sum`, labels, value: sumMicros * scale });
  out.push({ metricName: `${name}_count`, labels, value: total });
}

/** Bounds printed without float noise (9.375, 0.000016). */
function round(x: number): number {
  return Number(x.toPrecision(12));
}
