// A latency percentile chart as HdrHistogram's plotter draws one: x is the percentile on a log scale of
// 1/(1-p) (ticks 0%, 90%, 99%, 99.9%, ... one per decade), y the latency in ms (linear, from 0), one
// curve per series through its percentile points (load/histogram.ts percentileCurve). The subject (the
// scenario's own curve) is drawn over its references (the generator ceiling's, a duel's other side).
import type { LatencySummary, PercentileCurve } from '../../load/histogram.js';
import { linearScale, niceAxis, renderFrame, tickText, type Series, type Tick } from './svg-plot.js';

export interface CurveInput {
  label: string;
  role: 'subject' | 'reference';
  curve: PercentileCurve;
  /** Only a few summary percentiles are known (results written before curves were kept): marked. */
  approximate: boolean;
}

/** What several charts share to be compared by eye: decades of the x axis and the y axis end (ms). */
export interface ChartDomain {
  decades: number;
  yMaxMs: number;
}

/** 0% 90% 99% 99.9% 99.99% 99.999% ...: the percentile at 1/(1-p) = 10^k. */
export function decadeLabel(k: number): string {
  return k === 0 ? '0%' : k === 1 ? '90%' : k === 2 ? '99%' : `99.${'9'.repeat(k - 2)}%`;
}

const MIN_DECADES = 5;      // the axis always reaches 99.999%, so charts of one report line up
const MAX_DECADES = 9;      // 1 - 10^-9: a billion values; beyond it nothing is resolved anyway

/**
 * A curve's points in chart units: x = log10(1/(1-p)), y = ms. The 100% point (the maximum) sits where
 * the histogram's resolution ends, 1/(1-p) = count: HdrHistogram's last finite level. Points that are
 * not finite or out of range are left out and counted.
 */
export function curvePoints(c: PercentileCurve): { points: [number, number][]; dropped: number } {
  const points: [number, number][] = [];
  let dropped = 0;
  const n = Math.min(c.percentiles?.length ?? 0, c.valuesUs?.length ?? 0);
  const endX = Math.log10(Math.max(1, Number.isFinite(c.count) ? c.count : 1));
  for (let i = 0; i < n; i++) {
    const p = c.percentiles[i]!;
    const us = c.valuesUs[i]!;
    if (!Number.isFinite(p) || !Number.isFinite(us) || p < 0 || p > 100 || us < 0) {
      dropped++;
      continue;
    }
    const prevX = points.length === 0 ? 0 : points[points.length - 1]![0];
    const x = p >= 100 ? Math.max(prevX, endX) : -Math.log10(1 - p / 100);
    points.push([Math.min(x, MAX_DECADES), us / 1000]);
  }
  dropped += Math.abs((c.percentiles?.length ?? 0) - (c.valuesUs?.length ?? 0));
  return { points, dropped };
}

/** A curve from the five summary figures of a result without one. */
export function summaryCurve(l: LatencySummary): PercentileCurve {
  return { count: l.count, percentiles: [50, 90, 99, 99.9, 100], valuesUs: [l.p50, l.p90, l.p99, l.p999, l.max] };
}

export function chartDomain(inputs: CurveInput[]): ChartDomain {
  let maxX = 0;
  let maxY = 0;
  for (const input of inputs) {
    for (const [x, y] of curvePoints(input.curve).points) {
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  return { decades: Math.min(MAX_DECADES, Math.max(MIN_DECADES, Math.ceil(maxX - 1e-9))), yMaxMs: niceAxis(maxY).end };
}

/** Widens `a` to hold `b` too (side-by-side charts share their axes). */
export function unionDomain(a: ChartDomain, b: ChartDomain): ChartDomain {
  return { decades: Math.max(a.decades, b.decades), yMaxMs: Math.max(a.yMaxMs, b.yMaxMs) };
}

const WIDTH = 640;
const HEIGHT = 366;
// Room above for the legend, and on the right for half of the last tick label.
const AREA = { x: 64, y: 30, width: 540, height: 286 };

function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export interface Chart {
  svg: string;
  /** Points left out for not being finite (a broken input: the caption says so). */
  dropped: number;
}

export function percentileChart(inputs: CurveInput[], domain: ChartDomain, ariaLabel: string): Chart {
  const x = linearScale(0, domain.decades, AREA.x, AREA.x + AREA.width);
  const axis = niceAxis(domain.yMaxMs);
  const y = linearScale(0, axis.end, AREA.y + AREA.height, AREA.y);
  const xTicks: Tick[] = [];
  for (let k = 0; k <= domain.decades; k++) xTicks.push({ at: x(k), label: decadeLabel(k) });
  const yTicks: Tick[] = [];
  for (let v = 0; v <= axis.end + axis.step / 1e6; v += axis.step) yTicks.push({ at: y(v), label: tickText(v, axis.step) });
  let dropped = 0;
  const series: Series[] = [];
  // Subject first: the frame lists it first in the legend and draws it last, on top.
  const ordered = [...inputs.filter((i) => i.role === 'subject'), ...inputs.filter((i) => i.role !== 'subject')];
  for (const input of ordered) {
    const { points, dropped: d } = curvePoints(input.curve);
    dropped += d;
    if (points.length === 0) continue;
    const scaled = points.map(([px, py]): [number, number] => [x(Math.min(px, domain.decades)), y(Math.min(py, axis.end))]);
    const at = (p: number): string => {
      const i = input.curve.percentiles.findIndex((q) => q >= p);
      return i < 0 ? '-' : `${ms(input.curve.valuesUs[i]! / 1000)} ms`;
    };
    series.push({
      label: input.label + (input.approximate ? ' (5 points)' : ''),
      cls: `${input.role}${input.approximate ? ' approximate' : ''}`,
      points: scaled,
      title: `${input.label}: p50 ${at(50)}, p99 ${at(99)}, max ${at(100)}; ${input.curve.count.toLocaleString('en-US')} values`,
      marks: input.approximate ? points.map(([px, py], i) => ({
        x: x(Math.min(px, domain.decades)), y: y(Math.min(py, axis.end)),
        title: `p${input.curve.percentiles[i] === 100 ? '100 (max)' : input.curve.percentiles[i]}: ${ms(py)} ms`,
      })) : [],
    });
  }
  const hasSubject = series.some((s) => s.cls.startsWith('subject'));
  const svg = renderFrame({
    width: WIDTH, height: HEIGHT, area: AREA, xTicks, yTicks,
    xTitle: 'percentile (log scale of 1/(1-p))', yTitle: 'latency (ms)', series,
    empty: hasSubject ? null : 'no latency data', cls: 'chart percentile-chart', ariaLabel,
  });
  return { svg, dropped };
}

