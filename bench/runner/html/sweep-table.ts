// A sweep (--sweep workers=0,1,2 shards=1,16, or any config keys such as ioThreads) as a table: the last
// dimension across, every combination of the others down; each cell coloured by its throughput on a scale
// from the lowest to the highest of the table (or of both tables, side by side), with req/s, p99 and the server's
// CPU per request in it (per thread in the cell's title).
import type { RunReport, SweepCell } from '../report.js';
import { cells } from '../sweep.js';
import { colourAt, gradientCss, textColourOn } from './colour-scale.js';
import { esc } from './svg-plot.js';
import { cpuPerRequestText } from '../thread-figures.js';

type Sweep = NonNullable<RunReport['sweep']>;

export interface ThroughputScale {
  min: number;
  max: number;
}

/** The range of req/s over the ok cells of the given sweeps (shared when two are compared). */
export function throughputScale(sweeps: Sweep[]): ThroughputScale {
  const values = sweeps.flatMap((s) => s.cells.filter((c) => c.status === 'ok' && Number.isFinite(c.reqPerSec)).map((c) => c.reqPerSec));
  return values.length === 0 ? { min: 0, max: 0 } : { min: Math.min(...values), max: Math.max(...values) };
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function cellHtml(c: SweepCell | undefined, scale: ThroughputScale): string {
  if (c === undefined) return '<td class="cell missing">-</td>';
  const label = Object.entries(c.settings).map(([k, v]) => `${k}=${v}`).join(', ');
  if (c.status !== 'ok') return `<td class="cell not-ok" title="${esc(label)}">${esc(c.status)}</td>`;
  const t = scale.max > scale.min ? (c.reqPerSec - scale.min) / (scale.max - scale.min) : 1;
  const bg = colourAt(t);
  const p99 = c.p99Us / 1000;
  const cpu = c.cpuPerRequestUs ?? null;
  const shares = c.ioShares ?? null;
  const detail = [cpu === null ? '' : `CPU per request ${cpuPerRequestText(cpu)}`,
    shares === null ? '' : `I/O thread shares ${Object.entries(shares).map(([n, s]) => `${n} ${Math.round(s * 100)}%`).join(', ')}`]
    .filter((x) => x !== '').join('; ');
  return `<td class="cell" style="background-color:${bg};color:${textColourOn(bg)}" title="${esc(label)}: ${int(c.reqPerSec)} req/s, p99 ${p99.toFixed(2)} ms${detail === '' ? '' : `; ${esc(detail)}`}">` +
    `<span class="rps">${int(c.reqPerSec)}</span> <span class="unit">req/s</span><br><span class="p99">p99 ${p99.toFixed(2)} ms</span>` +
    `${cpu === null ? '' : `<br><span class="cpu">${cpu.totalUs.toFixed(1)} µs CPU/req</span>`}</td>`;
}

export function sweepTable(sweep: Sweep, scale: ThroughputScale): string {
  const dims = Object.keys(sweep.dimensions);
  if (dims.length === 0) return '';
  const across = dims[dims.length - 1]!;
  const down = dims.slice(0, -1);
  const rows: Record<string, string>[] = down.length === 0 ? [{}] : cells(Object.fromEntries(down.map((d) => [d, sweep.dimensions[d]!])));
  const find = (row: Record<string, string>, v: string): SweepCell | undefined =>
    sweep.cells.find((c) => String(c.settings[across]) === v && down.every((d) => String(c.settings[d]) === row[d]));
  const corner = down.length === 0 ? across : `${down.join(', ')} \\ ${across}`;
  const out: string[] = [];
  out.push(`<p class="how">${esc(sweep.scenario)} in every cell of the sweep, hayate restarted per cell: requests/s and p99 by ` +
    `${dims.map(esc).join(' × ')}, each cell coloured by its requests/s from low (pale) to high (dark).</p>`);
  out.push(`<div class="table-wrap"><table class="sweep" data-scenario="${esc(sweep.scenario)}"><caption>${esc(sweep.scenario)}</caption>`);
  out.push(`<thead><tr><th scope="col">${esc(corner)}</th>${sweep.dimensions[across]!.map((v) => `<th scope="col">${esc(`${across}=${v}`)}</th>`).join('')}</tr></thead><tbody>`);
  for (const row of rows) {
    const head = down.length === 0 ? '' : down.map((d) => `${d}=${row[d]}`).join(', ');
    out.push(`<tr><th scope="row">${esc(head)}</th>${sweep.dimensions[across]!.map((v) => cellHtml(find(row, v), scale)).join('')}</tr>`);
  }
  out.push('</tbody></table></div>');
  return out.join('');
}

/** The colour scale's legend: lowest and highest req/s at the ends of the gradient. */
export function scaleLegend(scale: ThroughputScale): string {
  return `<div class="scale-legend"><span>${int(scale.min)} req/s</span>` +
    `<span class="scale-bar" style="background-image:${gradientCss()}"></span><span>${int(scale.max)} req/s</span></div>`;
}
