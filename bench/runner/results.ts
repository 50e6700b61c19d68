// Where a run's files go: <dir>/<YYYY-MM-DD>-<name>.json (every figure), .md (the table) and .html (the
// report: latency charts, sweep table), plus one <base>-<scenario>.hgrm per scenario; a comparison's
// report is <dir>/<YYYY-MM-DD>-compare-<A>-vs-<B>.html. An existing base name gets a -2, -3, ... suffix
// rather than being overwritten. The default dir, bench/results/, is git-ignored: runs are not source
// (a dated write-up in docs/benchmarks/ keeps the figures worth keeping).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Comparison } from './compare.js';
import { comparePage, runPage } from './html/page.js';
import { markdown, type RunReport } from './report.js';

export function localDate(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'run';
}

/** Creates the folder and picks a base name that is not taken yet. */
export function reserveBase(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const stem = `${localDate()}-${safeName(name)}`;
  for (let i = 1; ; i++) {
    const base = i === 1 ? stem : `${stem}-${i}`;
    if (!existsSync(join(dir, `${base}.json`)) && !existsSync(join(dir, `${base}.md`))) {
      writeFileSync(join(dir, `${base}.json`), '{}\n'); // hold the name while the run goes on
      return base;
    }
  }
}

/**
 * JSON with two-space indentation, except arrays of plain numbers (the percentile curves), which stay on
 * one line: a curve is a hundred-odd numbers, and one per line would make the file unreadable.
 */
export function resultsJson(report: unknown): string {
  return `${JSON.stringify(report, null, 2).replace(/\[\s+(-?[\d.eE+-]+(?:,\s+-?[\d.eE+-]+)*)\s+\]/g,
    (_m, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`)}\n`;
}

export interface RunFiles {
  json: string;
  md: string;
  html: string;
}

export function writeReport(dir: string, base: string, report: RunReport): RunFiles {
  const json = join(dir, `${base}.json`);
  const md = join(dir, `${base}.md`);
  const html = join(dir, `${base}.html`);
  writeFileSync(json, resultsJson(report));
  writeFileSync(md, markdown(report));
  writeFileSync(html, runPage(report, basename(json)));
  return { json, md, html };
}

/** The HTML of a comparison, in `dir` under a name not taken yet. */
export function writeCompareReport(dir: string, c: Comparison, fileA: string, fileB: string): string {
  mkdirSync(dir, { recursive: true });
  const stem = `${localDate()}-compare-${safeName(basename(fileA, '.json'))}-vs-${safeName(basename(fileB, '.json'))}`;
  let file = join(dir, `${stem}.html`);
  for (let i = 2; existsSync(file); i++) file = join(dir, `${stem}-${i}.html`);
  writeFileSync(file, comparePage(c, fileA, fileB));
  return file;
}
