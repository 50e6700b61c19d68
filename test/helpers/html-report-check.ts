// Opens a bench HTML report in headless Chromium (Debian's /usr/bin/chromium through playwright-core, a
// fresh empty profile per browser) and lists what is wrong with it as a reader would see it: console
// errors, requests for anything outside the file, charts with no size, curves that are missing, too short,
// not finite or outside their plot area, missing axis tick labels, sweep cells without colour.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'hayate-report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 1000 }, timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What the page shows, measured in the browser (see inspect below). */
export interface PageFacts {
  charts: ChartFacts[];
  sweepCells: { background: string; text: string }[];
  notRun: number;
}

export interface ChartFacts {
  scenario: string;
  width: number;
  height: number;
  area: { x: number; y: number; width: number; height: number } | null;
  curves: { cls: string; label: string; d: string; points: number[][]; bbox: { x: number; y: number; width: number; height: number }; length: number }[];
  xTicks: string[];
  yTicks: string[];
  emptyNote: string | null;
  caption: string;
}

export interface Inspection {
  facts: PageFacts;
  problems: string[];
  page: Page;
}

// Runs in the page (page.evaluate sends its source): the DOM is there, not in this project's type libraries,
// hence `any`. It must not use anything from this module's scope.
function inspect(): PageFacts {
  const doc = (globalThis as any).document;
  const win = globalThis as any;
  const charts: ChartFacts[] = [];
  for (const svg of Array.from(doc.querySelectorAll('svg.percentile-chart')) as any[]) {
    const box = svg.getBoundingClientRect();
    const plot = svg.querySelector('rect.plot-area');
    const area = plot === null ? null : (({ x, y, width, height }: any) => ({ x, y, width, height }))(plot.getBBox());
    const curves = (Array.from(svg.querySelectorAll('path.curve')) as any[]).map((p) => {
      const d = String(p.getAttribute('d') ?? '');
      const points = Array.from(d.matchAll(/[ML]\s*([^,\s]+),([^\s]+)/g)).map((m: any) => [Number(m[1]), Number(m[2])]);
      const b = p.getBBox();
      return { cls: String(p.getAttribute('class')), label: String(p.getAttribute('data-series')), d, points,
        bbox: { x: b.x, y: b.y, width: b.width, height: b.height }, length: p.getTotalLength() };
    });
    const ticks = (axis: string): string[] => (Array.from(svg.querySelectorAll(`.${axis} .tick-label`)) as any[]).map((t) => String(t.textContent));
    const figure = svg.closest('figure');
    charts.push({
      scenario: String(figure?.getAttribute('data-scenario') ?? ''), width: box.width, height: box.height, area, curves,
      xTicks: ticks('x-axis'), yTicks: ticks('y-axis'),
      emptyNote: svg.querySelector('.empty-note')?.textContent ?? null,
      caption: String(figure?.querySelector('figcaption')?.textContent ?? ''),
    });
  }
  const sweepCells = (Array.from(doc.querySelectorAll('table.sweep td.cell')) as any[])
    .map((td) => ({ background: String(win.getComputedStyle(td).backgroundColor), text: String(td.textContent) }));
  return { charts, sweepCells, notRun: doc.querySelectorAll('figure.not-run').length };
}

const X_TICKS = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%'];

/** Problems of one chart; `minPoints`: fewest points a subject curve may have. */
export function chartProblems(c: ChartFacts, minPoints: number): string[] {
  const out: string[] = [];
  const name = c.scenario || '(chart)';
  if (!(c.width > 0 && c.height > 0)) out.push(`${name}: the chart has no size (${c.width} x ${c.height})`);
  if (c.emptyNote !== null) out.push(`${name}: the chart says "${c.emptyNote}"`);
  const dropped = /(\d+) percentile points not drawn/.exec(c.caption);
  if (dropped !== null) out.push(`${name}: ${dropped[1]} percentile points not drawn (its caption says so)`);
  if (c.area === null || !(c.area.width > 0 && c.area.height > 0)) out.push(`${name}: no plot area`);
  for (const t of X_TICKS) if (!c.xTicks.includes(t)) out.push(`${name}: x tick label ${t} missing (have ${c.xTicks.join(' ')})`);
  const yValues = c.yTicks.map(Number);
  if (c.yTicks.length < 3 || yValues.some((v) => !Number.isFinite(v))) out.push(`${name}: y tick labels ${JSON.stringify(c.yTicks)}`);
  if (!c.curves.some((k) => /\bsubject\b/.test(k.cls))) out.push(`${name}: no curve of its own (subject)`);
  const a = c.area;
  for (const k of c.curves) {
    const what = `${name}: curve "${k.label}"`;
    if (/NaN|Infinity|undefined/.test(k.d)) out.push(`${what} has non-finite coordinates: ${k.d.slice(0, 80)}`);
    if (/\bsubject\b/.test(k.cls) && k.points.length < minPoints) out.push(`${what} has ${k.points.length} points (< ${minPoints})`);
    if (k.points.length < 2 || !(k.length > 0)) out.push(`${what} is empty (${k.points.length} points, length ${k.length})`);
    if (!(k.bbox.width > 0)) out.push(`${what} has an empty bounding box`);
    if (a !== null) {
      const outside = k.points.filter(([x, y]) => !(x! >= a.x - 0.5 && x! <= a.x + a.width + 0.5 && y! >= a.y - 0.5 && y! <= a.y + a.height + 0.5));
      if (outside.length > 0) out.push(`${what}: ${outside.length} points outside the plot area, e.g. ${JSON.stringify(outside[0])}`);
      const b = k.bbox;
      if (!(b.x >= a.x - 1 && b.y >= a.y - 1 && b.x + b.width <= a.x + a.width + 1 && b.y + b.height <= a.y + a.height + 1)) {
        out.push(`${what}: its bounding box ${JSON.stringify(b)} leaves the plot area ${JSON.stringify(a)}`);
      }
    }
  }
  return out;
}

/** Loads `file` in a new page of `browser` and lists its problems. `minPoints` as in chartProblems. */
export async function inspectReport(browser: Browser, file: string, minPoints = 20): Promise<Inspection> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:') && !r.url().startsWith('about:')) problems.push(`request outside the file: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  const facts = await page.evaluate(inspect);
  for (const c of facts.charts) problems.push(...chartProblems(c, minPoints));
  for (const cell of facts.sweepCells) {
    if (/^rgba\(0, 0, 0, 0\)$|^transparent$|^rgb\(255, 255, 255\)$/.test(cell.background)) problems.push(`sweep cell "${cell.text}" has no colour (${cell.background})`);
    if (!/req\/s/.test(cell.text) || !/p99 \d/.test(cell.text)) problems.push(`sweep cell "${cell.text}" lacks req/s or p99`);
  }
  return { facts, problems, page };
}
