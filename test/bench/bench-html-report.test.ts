// The bench's HTML report, looked at in headless Chromium: a run's page draws every scenario's latency
// percentile curve (log scale of 1/(1-p), latency in ms) on the same axes as its generator ceiling's, a
// sweep's page colours its table by throughput with p99 in every cell, and `--compare A.json B.json`
// draws both runs side by side from the two JSON files alone. The runs are synthetic but made the way the
// bench makes them (helpers/bench-runs.ts: real hdr-histogram-js histograms, the bench's result and
// report functions). The checks must catch a broken chart: the last test feeds them broken inputs.
// Skipped only when /usr/bin/chromium is absent (Debian: apt-get install -y chromium).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compareFiles } from '../../bench/runner/compare.js';
import { writeCompareReport, writeReport } from '../../bench/runner/results.js';
import { runBench } from '../helpers/bench-cli.js';
import { suiteRun, sweepRun } from '../helpers/bench-runs.js';
import { CHROMIUM, inspectReport, openBrowser, type Browser } from '../helpers/html-report-check.js';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: the HTML report is checked in Debian's chromium (apt-get install -y chromium)`;

let browser: Browser;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hayate-html-report-'));
  if (skip === false) browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Relative luminance of a computed `rgb(r, g, b)` colour. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).map(Number).map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

test('a run\'s report draws each scenario\'s latency curve beside its generator ceiling\'s', { skip, timeout: 120_000 }, async () => {
  const report = suiteRun(1);
  const files = writeReport(dir, 'suite', report);
  const json = JSON.parse(readFileSync(files.json, 'utf8'));
  assert.ok(json.scenarios['http-announce'].latencyCurve.percentiles.length >= 50, 'the JSON keeps the percentile points');
  assert.ok(json.scenarios['http-announce'].ceiling.latencyCurve.valuesUs.length >= 50, 'and the ceiling\'s');

  const { facts, problems, page } = await inspectReport(browser, files.html);
  await page.close();
  assert.deepEqual(problems, []);
  const ok = Object.entries(report.scenarios).filter(([, r]) => r.status === 'ok').map(([n]) => n);
  assert.deepEqual(facts.charts.map((c) => c.scenario), ok, 'one chart per scenario that ran');
  assert.equal(facts.notRun, 1, 'the skipped scenario is shown, without a chart');
  for (const c of facts.charts) {
    const r = report.scenarios[c.scenario]!;
    const subject = c.curves.find((k) => /\bsubject\b/.test(k.cls))!;
    assert.ok(subject.points.length >= 50, `${c.scenario}: ${subject.points.length} points`);
    // Rising: latency never falls with the percentile (y grows downwards in SVG).
    for (let i = 1; i < subject.points.length; i++) assert.ok(subject.points[i]![1]! <= subject.points[i - 1]![1]!, `${c.scenario}: monotonic at ${i}`);
    const reference = c.curves.filter((k) => /\breference\b/.test(k.cls));
    assert.equal(reference.length, 1, `${c.scenario}: its reference curve (ceiling or the duel's other side)`);
    if (r.duel === undefined) assert.equal(reference[0]!.label, 'generator ceiling (trivial responder)');
    else assert.equal(reference[0]!.label, r.duel.a.label);
    assert.ok(c.caption.includes(`${r.reqPerSec.toLocaleString('en-US')} req/s`), `${c.scenario}: req/s in the caption: ${c.caption}`);
    if (r.ceiling !== null) assert.ok(c.caption.includes(`generator ceiling ${r.ceiling.reqPerSec.toLocaleString('en-US')} req/s`), c.caption);
  }
});

test('a sweep\'s report colours its table by throughput, p99 in every cell (any config keys)', { skip, timeout: 120_000 }, async () => {
  const grids: Record<string, string[]>[] = [{ workers: ['0', '1', '2'], shards: ['1', '16'] }, { workers: ['0', '1'], shards: ['1', '16'], ioThreads: ['1', '2'] }];
  for (const dims of grids) {
    const report = sweepRun(2, dims);
    const files = writeReport(dir, `sweep-${Object.keys(dims).length}`, report);
    const { facts, problems, page } = await inspectReport(browser, files.html);
    await page.close();
    assert.deepEqual(problems, []);
    const n = report.sweep!.cells.length;
    assert.equal(facts.sweepCells.length, n, 'a coloured cell per sweep cell');
    assert.equal(facts.charts.length, n, 'and a chart each');
    assert.ok(new Set(facts.sweepCells.map((c) => c.background)).size >= Math.min(n, 4), 'the colours differ with throughput');
    // The fastest cell is the darkest, the slowest the palest.
    const byRate = [...report.sweep!.cells].sort((x, y) => x.reqPerSec - y.reqPerSec);
    const cellOf = (rate: number) => facts.sweepCells.find((c) => c.text.includes(rate.toLocaleString('en-US')))!;
    assert.ok(luminance(cellOf(byRate[n - 1]!.reqPerSec).background) < luminance(cellOf(byRate[0]!.reqPerSec).background));
    for (const c of report.sweep!.cells) assert.ok(cellOf(c.reqPerSec).text.includes(`p99 ${(c.p99Us / 1000).toFixed(2)} ms`), `p99 of ${c.key}`);
  }
});

test('--compare A.json B.json draws both runs side by side from the JSON files alone', { skip, timeout: 120_000 }, async () => {
  const a = writeReport(dir, 'a', suiteRun(3));
  const b = writeReport(dir, 'b', suiteRun(4));
  const out = join(dir, 'compare');
  const r = await runBench(['--compare', a.json, b.json, '--out', out]);
  assert.ok(r.code === 0 || r.code === 3, `exit ${r.code}: ${r.stderr}`);
  assert.match(r.stdout, /B\/A/, 'the text comparison is still printed');
  const html = /^report: (.+\.html)$/m.exec(r.stdout)?.[1];
  assert.ok(html !== undefined && existsSync(html), `the report's path is printed: ${r.stdout.slice(-300)}`);
  const { facts, problems, page } = await inspectReport(browser, html);
  assert.deepEqual(problems, []);
  assert.equal(facts.charts.length, 2 * 4, 'A and B charts of the four scenarios that ran');
  // Each row's two charts share their axes.
  const rows = await page.$$eval('.pair', (els) => els.map((el) => Array.from(el.querySelectorAll('svg.percentile-chart .y-axis .tick-label'))
    .map((t) => String((t as { textContent: string | null }).textContent)).join(' ')));
  await page.close();
  const chartRows = rows.filter((x) => x !== '');
  assert.equal(chartRows.length, 4);
  for (const row of chartRows) {
    const ticks = row.split(' ');
    assert.deepEqual(ticks.slice(0, ticks.length / 2), ticks.slice(ticks.length / 2), `shared y axis: ${row}`);
  }
  // And the same from compareFiles directly, for two sweeps: one colour scale across both tables.
  const s1 = writeReport(dir, 's1', sweepRun(5));
  const s2 = writeReport(dir, 's2', sweepRun(6));
  const file = writeCompareReport(dir, compareFiles(s1.json, s2.json, 10), s1.json, s2.json);
  const sweeps = await inspectReport(browser, file);
  await sweeps.page.close();
  assert.deepEqual(sweeps.problems, []);
  assert.equal(sweeps.facts.sweepCells.length, 12);
});

test('the checks catch an empty, non-finite or misplaced curve', { skip, timeout: 120_000 }, async () => {
  // Broken data through the writer: a curve of NaN, an empty curve, a curve half NaN.
  const report = suiteRun(7);
  const ha = report.scenarios['http-announce']!;
  ha.latencyCurve = { ...ha.latencyCurve!, valuesUs: ha.latencyCurve!.valuesUs.map(() => NaN) };
  report.scenarios['http-scrape']!.latencyCurve = { count: 0, percentiles: [], valuesUs: [] };
  const udp = report.scenarios['udp-announce']!;
  udp.latencyCurve = { ...udp.latencyCurve!, valuesUs: udp.latencyCurve!.valuesUs.map((v, i) => (i % 2 === 0 ? NaN : v)) };
  const broken = writeReport(dir, 'broken', report);
  const { problems, page } = await inspectReport(browser, broken.html);
  await page.close();
  const about = (name: string, what: RegExp): boolean => problems.some((p) => p.startsWith(`${name}:`) && what.test(p));
  assert.ok(about('http-announce', /no curve of its own/), problems.join('\n'));
  assert.ok(about('http-announce', /no latency data/), problems.join('\n'));
  assert.ok(about('http-scrape', /no curve of its own/), problems.join('\n'));
  assert.ok(about('udp-announce', /not drawn/), problems.join('\n'));
  assert.ok(!problems.some((p) => p.startsWith('udp-duel:')), 'the intact chart passes');

  // Broken markup: a NaN path, a path leaving its plot area, a chart with no size.
  const good = writeReport(dir, 'good', suiteRun(8));
  const html = readFileSync(good.html, 'utf8');
  const cases: [string, (s: string) => string, RegExp][] = [
    ['NaN path', (s) => s.replace(/(<path class="curve subject"[^>]* d=")[^"]*"/, '$1M64,300 L NaN,NaN L NaN,NaN"'), /non-finite/],
    ['path outside', (s) => s.replace(/(<path class="curve subject"[^>]* d=")([^"]*)"/, '$1$2 L 639,2"'), /outside the plot area/],
    ['no size', (s) => s.replace('</style>', 'svg.chart { display: none; }</style>'), /no size/],
  ];
  for (const [label, corrupt, expected] of cases) {
    const file = join(dir, `corrupt-${label.replace(/ /g, '-')}.html`);
    writeFileSync(file, corrupt(html));
    const r = await inspectReport(browser, file);
    await r.page.close();
    assert.ok(r.problems.some((p) => expected.test(p)), `${label}: ${r.problems.join('\n') || 'no problem found'}`);
  }
  const intact = await inspectReport(browser, good.html);
  await intact.page.close();
  assert.deepEqual(intact.problems, []);
});
