// --compare A.json B.json: B relative to A per scenario (req/s, p99 and server-CPU-per-request ratios;
// for duels, the median ratio B/A of the duel instead of req/s). A
// throughput drop or CPU-per-request rise beyond --noise percent, or a p99 rise beyond twice that, is
// flagged as a regression; results measured at their
// generator ceiling, or on different machines, are called out because their ratios mean little.
import { readFileSync } from 'node:fs';
import { consoleTable, type Row, type RunReport } from './report.js';

export function loadReport(file: string): RunReport {
  const r = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
  if (r.schema !== 'hayate-bench/1' || typeof r.scenarios !== 'object') throw new Error(`${file}: not a hayate bench result (schema ${String(r.schema)})`);
  return r;
}

export interface Comparison {
  a: RunReport;
  b: RunReport;
  /** Which runs, and what differs between them beside the code (machines, options, pinning). */
  head: string[];
  headers: string[];
  rows: Row[];
  summary: string;
  regressions: number;
}

export const COMPARE_HEADERS = ['scenario', 'A req/s', 'B req/s', 'B/A', 'A p99 ms', 'B p99 ms', 'B/A', 'CPU/req B/A', 'flags'];

export function compareFiles(fileA: string, fileB: string, noisePct: number): Comparison {
  return compareReports(loadReport(fileA), loadReport(fileB), fileA, fileB, noisePct);
}

/** The comparison as the terminal prints it. */
export function comparisonText(c: Comparison): string {
  return `${c.head.join('\n')}\n${consoleTable(c.headers, c.rows)}${c.summary}\n`;
}

export function compareReports(a: RunReport, b: RunReport, fileA: string, fileB: string, noisePct: number): Comparison {
  const rows: Row[] = [];
  let regressions = 0;
  const names = [...new Set([...Object.keys(a.scenarios), ...Object.keys(b.scenarios)])];
  for (const name of names) {
    const ra = a.scenarios[name];
    const rb = b.scenarios[name];
    if (ra === undefined || rb === undefined || ra.status !== 'ok' || rb.status !== 'ok') {
      rows.push({ scenario: name, cells: ['', '', '', '', '', '', '', `only comparable when ok in both (A: ${ra?.status ?? 'absent'}, B: ${rb?.status ?? 'absent'})`] });
      continue;
    }
    // A duel's req/s is its share of a core split with the other side: its median ratio B/A of req per
    // CPU-second is the figure that compares across runs.
    const ratioA = ra.duel?.ratioMedian ?? null;
    const ratioB = rb.duel?.ratioMedian ?? null;
    const duel = ratioA !== null && ratioB !== null;
    const what = duel ? 'duel ratio' : 'req/s';
    const rps = duel ? (ratioA > 0 ? ratioB / ratioA : NaN) : ra.reqPerSec > 0 ? rb.reqPerSec / ra.reqPerSec : NaN;
    const p99 = ra.latencyUs.p99 > 0 ? rb.latencyUs.p99 / ra.latencyUs.p99 : NaN;
    // Server CPU per request, B relative to A (> 1: costlier): still meaningful when generator-bound.
    const cost = ra.reqPerCpuSec !== null && rb.reqPerCpuSec !== null && rb.reqPerCpuSec > 0 ? ra.reqPerCpuSec / rb.reqPerCpuSec : NaN;
    const flags: string[] = [];
    if (rps < 1 - noisePct / 100) flags.push(`REGRESSION: ${what} -${((1 - rps) * 100).toFixed(1)}%`);
    else if (rps > 1 + noisePct / 100) flags.push(`improved: ${what} +${((rps - 1) * 100).toFixed(1)}%`);
    if (p99 > 1 + (2 * noisePct) / 100) flags.push(`REGRESSION: p99 +${((p99 - 1) * 100).toFixed(0)}%`);
    if (cost > 1 + noisePct / 100) flags.push(`REGRESSION: server CPU per request +${((cost - 1) * 100).toFixed(1)}%`);
    if (flags.some((f) => f.startsWith('REGRESSION'))) regressions++;
    if (ra.generatorBound === true || rb.generatorBound === true) flags.push('generator-bound in ' + [ra.generatorBound ? 'A' : '', rb.generatorBound ? 'B' : ''].filter((x) => x).join('+'));
    if (ra.generator !== rb.generator) flags.push('different generators');
    rows.push({
      scenario: name,
      cells: [
        duel ? `ratio ${ratioA.toFixed(3)}` : Math.round(ra.reqPerSec).toLocaleString('en-US'),
        duel ? `ratio ${ratioB.toFixed(3)}` : Math.round(rb.reqPerSec).toLocaleString('en-US'), rps.toFixed(3),
        (ra.latencyUs.p99 / 1000).toFixed(2), (rb.latencyUs.p99 / 1000).toFixed(2), p99.toFixed(3),
        Number.isNaN(cost) ? '-' : cost.toFixed(3), flags.join('; '),
      ],
    });
  }
  const head = [
    `A: ${fileA} (${a.date}, git ${a.git.commit}, ${a.machine.cpuModel}, node ${a.machine.node})`,
    `B: ${fileB} (${b.date}, git ${b.git.commit}, ${b.machine.cpuModel}, node ${b.machine.node})`,
  ];
  if (a.machine.cpuModel !== b.machine.cpuModel || a.machine.cores !== b.machine.cores) head.push('WARNING: different machines: ratios compare hardware as much as code');
  if (a.machine.node !== b.machine.node) head.push('note: different Node versions');
  const diff = [...new Set([...Object.keys(a.options), ...Object.keys(b.options)])]
    .filter((k) => JSON.stringify(a.options[k]) !== JSON.stringify(b.options[k]))
    .map((k) => `${k} ${JSON.stringify(a.options[k])} -> ${JSON.stringify(b.options[k])}`);
  if (diff.length > 0) head.push(`note: options differ: ${diff.join(', ')}`);
  if (a.target.serverCpus !== b.target.serverCpus || a.target.loadCpus !== b.target.loadCpus) head.push('note: different CPU pinning');
  head.push(`noise threshold: req/s ±${noisePct}%, p99 +${2 * noisePct}%, server CPU per request +${noisePct}%`, '');
  const summary = regressions === 0 ? '\nno regression beyond the noise threshold' : `\n${regressions} scenario(s) regressed beyond the noise threshold`;
  return { a, b, head, headers: COMPARE_HEADERS, rows, summary, regressions };
}
