// The HTML report: one self-contained file per run (and per --compare), with its CSS inline and its
// charts as inline SVG: no script, font, image or style sheet from outside the file, so it opens the same
// from a laptop, a CI artifact or an air-gapped host. A run's page: what was measured where, the results
// table, the sweep table when there is one, then one latency chart per scenario. A comparison's page: the
// comparison table, then A and B side by side on shared axes and a shared colour scale.
import type { Comparison } from '../compare.js';
import { ceilingLines, HEADERS, rowsOf, type Row, type RunReport } from '../report.js';
import { unionDomain } from './percentile-chart.js';
import { scenarioDomain, scenarioFigure } from './scenario-figure.js';
import { esc } from './svg-plot.js';
import { scaleLegend, sweepTable, throughputScale } from './sweep-table.js';

const CSS = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --subject: #0b57d0; --reference: #c2410c; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 24px auto; max-width: 1440px; padding: 0 20px; background: #ffffff; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", sans-serif; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 6px; }
code { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; color: var(--muted); }
dl.facts dt { font-weight: 600; color: var(--ink); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.how { color: var(--muted); max-width: 110ch; margin: 4px 0 12px; }
.table-wrap { overflow-x: auto; }
table.overview { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
table.overview th, table.overview td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
table.overview th { background: #f6f8fa; }
table.overview th:first-child, table.overview td:first-child { text-align: left; }
table.overview td:last-child, table.overview th:last-child { text-align: left; white-space: normal; min-width: 28ch; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 18px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; margin-bottom: 18px; }
figure.scenario { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px 8px; background: #ffffff; }
figure.not-run .status { color: var(--muted); }
figcaption p { margin: 3px 0; font-variant-numeric: tabular-nums; }
figcaption p:nth-child(n+3) { color: var(--muted); font-size: 12.5px; }
.run-tag { display: inline-block; min-width: 1.6em; padding: 0 5px; border-radius: 4px; background: var(--ink); color: #ffffff; text-align: center; }
.flag { color: var(--bad); font-weight: 600; }
svg.chart { display: block; width: 100%; height: auto; }
svg .plot-area { fill: #fbfcfd; }
svg .grid line { stroke: #e3e7eb; stroke-width: 1; }
svg .axis line { stroke: #8c959f; stroke-width: 1; }
svg .tick-label { font-size: 11px; fill: var(--muted); }
svg .axis-title { font-size: 12px; fill: var(--ink); }
svg .curve { fill: none; stroke-linejoin: round; stroke-linecap: round; }
svg .curve.subject { stroke: var(--subject); stroke-width: 2.25; }
svg .curve.reference { stroke: var(--reference); stroke-width: 1.75; stroke-dasharray: 7 4; }
svg .curve.approximate { stroke-dasharray: 2 3; }
svg .mark.subject { fill: var(--subject); }
svg .mark.reference { fill: var(--reference); }
svg .legend text { font-size: 11.5px; fill: var(--ink); }
svg .empty-note { font-size: 15px; font-weight: 600; fill: var(--bad); }
table.sweep { border-collapse: separate; border-spacing: 3px; font-variant-numeric: tabular-nums; }
table.sweep caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 3px 2px; }
table.sweep th { font-weight: 600; padding: 4px 10px; text-align: center; background: #f6f8fa; border-radius: 4px; }
table.sweep td.cell { min-width: 118px; padding: 8px 10px; text-align: center; border-radius: 4px; line-height: 1.3; }
table.sweep td.cell .rps { font-size: 15px; font-weight: 700; }
table.sweep td.cell .p99 { font-size: 12px; }
table.sweep td.not-ok, table.sweep td.missing { background: #eaeef2; color: var(--muted); }
.scale-legend { display: flex; align-items: center; gap: 8px; margin: 6px 3px 0; color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.scale-legend .scale-bar { display: inline-block; width: 220px; height: 12px; border-radius: 3px; border: 1px solid var(--line); }
ul.ceilings { color: var(--muted); font-size: 12.5px; padding-left: 18px; }
footer { margin: 32px 0 8px; color: var(--muted); font-size: 12px; }
@media (max-width: 1150px) { .pair { grid-template-columns: 1fr; } }
`;

const HOW_TO_READ = 'x: the percentile, on a log scale of 1/(1-p), so each tick is ten times rarer than the one before ' +
  '(99% = one request in 100 was slower); y: latency in ms. Solid: the scenario. Dashed: its reference, drawn on the same axes: ' +
  'the generator ceiling (the same generator and settings against a trivial responder on the server CPUs, measured right before ' +
  'the scenario), or for a duel the other side. Where the two curves meet, the generator, not the tracker, shapes the latency. ' +
  'Hover a curve for its figures.';

function shell(title: string, body: string): string {
  return '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>${body}</body></html>\n`;
}

function facts(r: RunReport, file: string | null): string {
  const m = r.machine;
  const items: [string, string][] = [];
  if (file !== null) items.push(['file', `<code>${esc(file)}</code>`]);
  items.push(
    ['date', `${esc(r.date)} (${r.wallSec.toFixed(0)} s)`],
    ['machine', esc(`${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.platform} ${m.kernel}`)],
    ['software', esc(`node ${m.node}, git ${r.git.commit}${r.git.dirty ? ' (uncommitted changes)' : ''}, wrk ${m.wrk ?? 'not installed'}`)],
    ['target', esc(`${r.target.kind === 'self' ? 'hayate started by the bench' : `external (http ${r.target.http ?? '-'}, udp ${r.target.udp ?? '-'})`}; ` +
      `server CPUs ${r.target.serverCpus ?? 'any'}, load CPUs ${r.target.loadCpus ?? 'any'}`)],
    ['load average', esc(`${r.loadAvg.start.toFixed(2)} at start, ${r.loadAvg.end.toFixed(2)} at end (1 min)`) +
      (r.loadAvg.start > 0.3 * m.cores ? ' <span class="flag">busy machine: figures disturbed</span>' : '')],
    ['command', `<code>npm run bench -- ${esc(r.command.join(' '))}</code>`],
  );
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function htmlTable(headers: string[], rows: Row[]): string {
  return '<div class="table-wrap"><table class="overview"><thead><tr>' + headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('') +
    '</tr></thead><tbody>' + rows.map((r) => `<tr><td>${esc(r.scenario)}</td>${r.cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table></div>';
}

/** The report of one run. `file`: the results JSON it is written beside. */
export function runPage(report: RunReport, file: string | null = null): string {
  const body: string[] = [];
  body.push(`<header><h1>hayate bench: ${esc(report.name)}</h1>${facts(report, file)}</header>`);
  if (report.sweep !== null) {
    const scale = throughputScale([report.sweep]);
    body.push(`<section id="sweep"><h2>Sweep</h2>${sweepTable(report.sweep, scale)}${scaleLegend(scale)}</section>`);
  }
  const names = Object.keys(report.scenarios);
  if (names.length > 0) {
    body.push(`<section id="results"><h2>Results</h2>${htmlTable(HEADERS, rowsOf(report))}</section>`);
    body.push(`<section id="latency"><h2>Latency by percentile</h2><p class="how">${esc(HOW_TO_READ)}</p><div class="figures">` +
      names.map((n) => scenarioFigure(n, report.scenarios[n]!, null)).join('') + '</div></section>');
  }
  const ceilings = ceilingLines(report);
  if (ceilings.length > 0) {
    body.push(`<section id="ceilings"><h2>Generator ceilings</h2><ul class="ceilings">${ceilings.map((c) => `<li>${esc(c)}</li>`).join('')}</ul></section>`);
  }
  const notes = Object.entries(report.scenarios).flatMap(([n, r]) => r.notes.map((x) => `${n}: ${x}`));
  if (notes.length > 0) body.push(`<section id="notes"><h2>Notes</h2><ul class="ceilings">${notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></section>`);
  body.push(`<footer>Written by <code>npm run bench</code> (schema ${esc(report.schema)}). Every figure is in the results JSON beside this file; ` +
    'the .hgrm files hold each scenario\'s HdrHistogram percentile distribution.</footer>');
  return shell(`hayate bench: ${report.name}`, body.join('\n'));
}

/** The report of `--compare A.json B.json`: the comparison table, then A and B side by side. */
export function comparePage(c: Comparison, fileA: string, fileB: string): string {
  const { a, b } = c;
  const body: string[] = [];
  body.push(`<header><h1>hayate bench: ${esc(a.name)} (A) vs ${esc(b.name)} (B)</h1>` +
    `<div class="pair"><div><h3><span class="run-tag">A</span> ${esc(a.name)}</h3>${facts(a, fileA)}</div>` +
    `<div><h3><span class="run-tag">B</span> ${esc(b.name)}</h3>${facts(b, fileB)}</div></div></header>`);
  const head = c.head.filter((l) => l !== '' && !/^[AB]: /.test(l));
  body.push(`<section id="comparison"><h2>B relative to A</h2>${head.map((l) => `<p class="how">${esc(l)}</p>`).join('')}` +
    `${htmlTable(c.headers, c.rows)}<p>${esc(c.summary.trim())}</p></section>`);
  if (a.sweep !== null && b.sweep !== null) {
    const scale = throughputScale([a.sweep, b.sweep]);
    body.push(`<section id="sweep"><h2>Sweeps (one colour scale for both)</h2><div class="pair">` +
      `<div><h3><span class="run-tag">A</span></h3>${sweepTable(a.sweep, scale)}</div><div><h3><span class="run-tag">B</span></h3>${sweepTable(b.sweep, scale)}</div>` +
      `</div>${scaleLegend(scale)}</section>`);
  }
  const names = [...new Set([...Object.keys(a.scenarios), ...Object.keys(b.scenarios)])];
  if (names.length > 0) {
    const pairs = names.map((n) => {
      const ra = a.scenarios[n];
      const rb = b.scenarios[n];
      // Shared axes, so the two charts of a row compare by eye.
      const domain = unionDomain(ra === undefined ? scenarioDomain(n, rb!) : scenarioDomain(n, ra), rb === undefined ? scenarioDomain(n, ra!) : scenarioDomain(n, rb));
      const side = (r: typeof ra, tag: string): string => (r === undefined
        ? `<figure class="scenario not-run" data-scenario="${esc(n)}"><h3><span class="run-tag">${tag}</span> ${esc(n)}</h3><p class="status">not in this run</p></figure>`
        : scenarioFigure(n, r, domain, tag));
      return `<div class="pair">${side(ra, 'A')}${side(rb, 'B')}</div>`;
    });
    body.push(`<section id="latency"><h2>Latency by percentile, A beside B</h2><p class="how">${esc(HOW_TO_READ)} ` +
      'Both charts of a row share their axes.</p>' + pairs.join('') + '</section>');
  }
  body.push('<footer>Written by <code>npm run bench -- --compare</code> from the two results files alone.</footer>');
  return shell(`hayate bench: ${a.name} vs ${b.name}`, body.join('\n'));
}
