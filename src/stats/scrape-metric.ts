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
 * The samples of one Prometheus histogram (`_bucket` per bound and +Inf, `_sum`, `_count`) over one
 * LatencyHistogram, built once (labels, bounds, which buckets fall under each bound) and refilled at
 * every scrape: a scrape allocates nothing for it. `boundsMicros` ascending; a bound counts the buckets
 * whose upper edge is at or below it (a value in a bucket that straddles the bound is counted at the
 * next bound: exact where the bounds are edges of the histogram, i.e. powers of two, and low by at most
 * one ~9% bucket elsewhere). `scale` turns microseconds into the metric's unit.
 */
export class HistogramSamples {
  private readonly samples: Sample[] = [];
  /** cut[b]: the buckets below bound b are [0, cut[b]). */
  private readonly cut: number[] = [];

  constructor(name: string, labels: Labels, boundsMicros: readonly number[], private readonly scale: number) {
    let i = 0;
    for (const bound of boundsMicros) {
      while (i < LATENCY_BUCKETS && LatencyHistogram.bucketUpperMicros(i) <= bound) i++;
      this.cut.push(i);
      this.samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: round(bound * scale) }, value: 0 });
    }
    this.samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: 0 });
    this.samples.push({ metricName: `${name}_sum`, labels, value: 0 });
    this.samples.push({ metricName: `${name}_count`, labels, value: 0 });
  }

  /** Pushes the samples with `h`'s counts; `total` is its count (summed once per scrape by the caller). */
  push(out: Sample[], h: LatencyHistogram, total: number, sumMicros: number): void {
    const s = this.samples;
    const bounds = this.cut.length;
    let i = 0;
    let seen = 0;
    for (let b = 0; b < bounds; b++) {
      const end = this.cut[b]!;
      for (; i < end; i++) seen += h.counts[i]!;
      s[b]!.value = seen;
    }
    s[bounds]!.value = total;
    s[bounds + 1]!.value = sumMicros * this.scale;
    s[bounds + 2]!.value = total;
    for (const x of s) out.push(x);
  }
}

/** Bounds printed without float noise (9.375, 0.000016). */
function round(x: number): number {
  return Number(x.toPrecision(12));
}
