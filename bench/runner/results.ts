// Where a run's files go: <dir>/<YYYY-MM-DD>-<name>.json and .md, plus one <base>-<scenario>.hgrm per
// scenario. An existing base name gets a -2, -3, ... suffix rather than being overwritten.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

export function writeReport(dir: string, base: string, report: RunReport): { json: string; md: string } {
  const json = join(dir, `${base}.json`);
  const md = join(dir, `${base}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, markdown(report));
  return { json, md };
}
