// One scenario of a run as a figure: its latency percentile chart, drawn on the same axes as its
// reference (the generator ceiling's curve, measured against the trivial responder right before it; for
// a duel, the other side's curve), and a caption with the throughput figures and the table's notes.
import type { PercentileCurve } from '../../load/histogram.js';
import { rowsOf } from '../report.js';
import type { ScenarioResult } from '../result.js';
import { chartDomain, percentileChart, summaryCurve, type ChartDomain, type CurveInput } from './percentile-chart.js';
import { esc } from './svg-plot.js';

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function ms(us: number): string {
  const v = us / 1000;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ms`;
}

/** The recorded curve, or (results written before curves were kept) one from the summary figures. */
function curveOf(curve: PercentileCurve | null | undefined, summary: ScenarioResult['latencyUs'] | undefined): { curve: PercentileCurve; approximate: boolean } | null {
  if (curve !== undefined && curve !== null) return { curve, approximate: false };
  if (curve === undefined && summary !== undefined && summary.count > 0) return { curve: summaryCurve(summary), approximate: true };
  return null;
}

/** The curves of a scenario's chart: its own first, then its reference when one was measured. */
export function scenarioCurves(name: string, r: ScenarioResult): CurveInput[] {
  const out: CurveInput[] = [];
  const own = curveOf(r.latencyCurve, r.latencyUs);
  // An ok scenario always gets its subject, even an empty one: the chart then says "no latency data".
  out.push({ label: r.duel !== undefined ? r.duel.b.label : name, role: 'subject', ...(own ?? { curve: { count: 0, percentiles: [], valuesUs: [] }, approximate: false }) });
  if (r.duel !== undefined) {
    const a = curveOf(r.duel.a.latencyCurve, undefined);
    if (a !== null) out.push({ label: r.duel.a.label, role: 'reference', ...a });
  } else if (r.ceiling !== null) {
    const c = curveOf(r.ceiling.latencyCurve, r.ceiling.latencyUs);
    if (c !== null) out.push({ label: 'generator ceiling (trivial responder)', role: 'reference', ...c });
  }
  return out;
}

export function scenarioDomain(name: string, r: ScenarioResult): ChartDomain {
  return chartDomain(r.status === 'ok' ? scenarioCurves(name, r) : []);
}

/** The caption's lines: the headline throughput, the latency figures, the notes of the results table. */
function captionLines(name: string, r: ScenarioResult, dropped: number): string[] {
  const lines: string[] = [];
  const l = r.latencyUs;
  const d = r.duel;
  if (d !== undefined) {
    const ratioKey = Object.keys(r.extra).find((k) => /^ratioTo/.test(k));
    const ratio = d.ratioMedian === null ? 'no ratio' : `${d.ratioMedian.toFixed(3)} (rounds ${d.ratioMin!.toFixed(3)}-${d.ratioMax!.toFixed(3)})`;
    lines.push(`<strong>${esc(d.b.label)} / ${esc(d.a.label)}: ${esc(ratio)}</strong> ` +
      `requests per server CPU-second${ratioKey === undefined ? '' : ` (${esc(ratioKey)})`}`);
    const projected = r.extra.projectedReqPerSec;
    lines.push(`${int(r.reqPerSec)} req/s as its share of a core split with ${esc(d.a.label)} (not a solo rate)` +
      (typeof projected === 'number' ? `; projected alone: ${int(projected)} req/s` : ''));
  } else {
    const c = r.ceiling;
    lines.push(`<strong>${int(r.reqPerSec)} req/s</strong>` + (c === null ? '' :
      `; generator ceiling ${int(c.reqPerSec)} req/s (${c.reqPerSec > 0 ? Math.round((r.reqPerSec / c.reqPerSec) * 100) : 0}%)` +
      (r.generatorBound === true ? ' <span class="flag">generator-bound</span>' : '')));
  }
  lines.push(`p50 ${ms(l.p50)} · p90 ${ms(l.p90)} · p99 ${ms(l.p99)} · p99.9 ${ms(l.p999)} · max ${ms(l.max)}; ` +
    `${int(r.requests)} answers in ${r.durationSec.toFixed(1)} s` +
    (r.reqPerCpuSec === null ? '' : `; ${int(r.reqPerCpuSec)} req per server CPU-second`));
  const trouble = r.errors + r.timeouts + r.non2xx + r.failures;
  if (trouble > 0) lines.push(`<span class="flag">errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}, failures ${r.failures}</span>`);
  const notes = rowsOf({ scenarios: { [name]: r } })[0]?.cells.at(-1) ?? '';
  if (notes !== '') lines.push(esc(notes));
  if (r.latencyCurve === undefined && r.latencyUs.count > 0) lines.push('this results file holds no percentile curve: the chart joins its five summary figures');
  if (dropped > 0) lines.push(`<span class="flag">${dropped} percentile points not drawn (not finite or out of range)</span>`);
  return lines;
}

/**
 * The figure of one scenario. `domain`: shared axes (side-by-side comparisons), else the scenario's own.
 * `run`: which run it belongs to, when a page shows two.
 */
export function scenarioFigure(name: string, r: ScenarioResult, domain: ChartDomain | null, run: string | null = null): string {
  const heading = `<h3>${run === null ? '' : `<span class="run-tag">${esc(run)}</span> `}${esc(name)}</h3>`;
  if (r.status !== 'ok') {
    return `<figure class="scenario not-run" data-scenario="${esc(name)}">${heading}` +
      `<p class="status">${esc(r.status.toUpperCase())}: ${esc(r.reason ?? '')}</p></figure>`;
  }
  const curves = scenarioCurves(name, r);
  const chart = percentileChart(curves, domain ?? chartDomain(curves), `${name}: latency by percentile`);
  return `<figure class="scenario" data-scenario="${esc(name)}">${heading}${chart.svg}` +
    `<figcaption>${captionLines(name, r, chart.dropped).map((line) => `<p>${line}</p>`).join('')}</figcaption></figure>`;
}
