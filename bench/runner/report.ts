// The results file (one JSON per run) and its human forms: the console table and the .md summary.
import type { MachineInfo, GitInfo } from './machine.js';
import { duelFlags } from './duel/duel-record.js';
import { limitText, type CeilingRef, type ScenarioResult } from './result.js';
import type { TrackerConfig } from '../env/targets.js';
import { cpuPerRequestText, threadLines, type CpuPerRequest } from './thread-figures.js';

export const SCHEMA = 'hayate-bench/1';

export interface SweepCell {
  settings: Record<string, string>;     // by sweep dimension (e.g. shards)
  config: TrackerConfig;                // the config keys set (e.g. torrentMapShards)
  scenario: string;
  key: string;              // its entry in `scenarios`
  status: ScenarioResult['status'];
  reqPerSec: number;
  p99Us: number;
  /** Server CPU per answered request, whole and by thread (absent in results written before). */
  cpuPerRequestUs?: CpuPerRequest | null;
  /** Each I/O thread's share of the requests (absent before; null when the tracker does not say). */
  ioShares?: Record<string, number> | null;
}

export interface RunReport {
  schema: typeof SCHEMA;
  name: string;
  date: string;             // ISO time the run started
  wallSec: number;
  machine: MachineInfo;
  /** 1-minute load average at start and end: other work on the machine disturbs every figure. */
  loadAvg: { start: number; end: number };
  git: GitInfo;
  command: string[];
  options: Record<string, unknown>;
  target: {
    kind: 'self' | 'external';
    http: string | null;
    udp: string | null;
    api: string | null;
    serverCpus: string | null;
    loadCpus: string | null;
  };
  trackerConfig: TrackerConfig | null;
  ceilings: Record<string, CeilingRef>;
  scenarios: Record<string, ScenarioResult>;
  sweep: { scenario: string; dimensions: Record<string, string[]>; cells: SweepCell[] } | null;
}

function ms(us: number): string {
  return us >= 100_000 ? (us / 1000).toFixed(0) : us >= 10_000 ? (us / 1000).toFixed(1) : (us / 1000).toFixed(2);
}

function int(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
}

export interface Row {
  scenario: string;
  cells: string[];
}

export const HEADERS = ['scenario', 'req/s', 'ceiling', '%ceil', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms',
  'err/tmo/non2xx/fail', 'req/CPU-s', 'srv CPU', 'notes'];

export function rowsOf(report: Pick<RunReport, 'scenarios'>): Row[] {
  const rows: Row[] = [];
  for (const [name, r] of Object.entries(report.scenarios)) {
    if (r.status !== 'ok') {
      rows.push({ scenario: name, cells: [r.status.toUpperCase(), '', '', '', '', '', '', '', '', '', '', (r.reason ?? '').slice(0, 140)] });
      continue;
    }
    const notes: string[] = [];
    if (r.generatorBound === true) notes.push('generator-bound');
    if (r.limit !== null && r.limit !== undefined) notes.push(`saturated: ${limitText(r.limit)}`);
    for (const [k, v] of Object.entries(r.extra)) {
      if (/^ratio|RatioTo|BytesPerPeer$|^projected/.test(k) && v !== null) notes.push(`${k}=${String(v)}`);
    }
    if (r.duel !== undefined) notes.push(...duelFlags(r.duel));
    if (r.sample !== null && r.sample.failed > 0) notes.push(`SAMPLE FAILED ${r.sample.failed}/${r.sample.checked}: ${r.sample.firstFailure}`);
    if (r.server !== null && (r.server.requestsErrored ?? 0) > 0) notes.push(`TRACKER ERRORS: requestsErrored +${r.server.requestsErrored}`);
    if (r.server !== null && (r.server.requestsBad ?? 0) > 0) notes.push(`TRACKER REFUSED: requestsBad +${r.server.requestsBad} of ${r.requests}`);
    if (r.trackerExit !== null) notes.push('TRACKER EXIT');
    if (r.otherProcessesCpuSec !== null && r.otherProcessesCpuSec > 0.1 * r.durationSec) notes.push(`BUSY MACHINE: others used ${r.otherProcessesCpuSec.toFixed(1)} CPU-s`);
    if (r.stealSec !== null && r.stealSec > 0.1 * r.durationSec) notes.push(`STEAL: hypervisor took ${r.stealSec.toFixed(1)} CPU-s`);
    const cpu = r.serverCpu;
    rows.push({
      scenario: name,
      cells: [
        int(r.reqPerSec),
        r.ceiling === null ? '-' : int(r.ceiling.reqPerSec),
        r.ceiling === null || r.ceiling.reqPerSec === 0 ? '-' : `${Math.round((r.reqPerSec / r.ceiling.reqPerSec) * 100)}%`,
        ms(r.latencyUs.p50), ms(r.latencyUs.p90), ms(r.latencyUs.p99), ms(r.latencyUs.p999), ms(r.latencyUs.max),
        `${r.errors}/${r.timeouts}/${r.non2xx}/${r.failures}`,
        int(r.reqPerCpuSec),
        cpu === null ? '-' : `${cpu.cpuSec.toFixed(1)}s (main ${Math.round((cpu.mainThreadSec / Math.max(cpu.cpuSec, 1e-9)) * 100)}%)`,
        notes.join('; '),
      ],
    });
  }
  return rows;
}

export function consoleTable(headers: string[], rows: Row[]): string {
  const all = [headers, ...rows.map((r) => [r.scenario, ...r.cells])];
  const widths = headers.map((_, i) => (i === headers.length - 1 ? 0 : Math.max(...all.map((row) => (row[i] ?? '').length))));
  return all.map((row) => row.map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

function mdTable(headers: string[], rows: Row[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (i === 0 || i === headers.length - 1 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${[r.scenario, ...r.cells].map(esc).join(' | ')} |`),
  ].join('\n');
}

export function ceilingLines(report: Pick<RunReport, 'ceilings'>): string[] {
  const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '?' : `${Math.round(x * 100)}%`);
  return Object.values(report.ceilings).map((c) =>
    `${c.key}: ${int(c.reqPerSec)} req/s (p50 ${ms(c.latencyUs.p50)} ms, p99 ${ms(c.latencyUs.p99)} ms; ` +
    `CPU busy: generator ${pct(c.generatorCpu)}, responder ${pct(c.responderCpu)})`);
}

export function sweepTable(sweep: NonNullable<RunReport['sweep']>): string {
  const dims = Object.keys(sweep.dimensions);
  const cell = (c: SweepCell | undefined): string =>
    c === undefined ? '-' : c.status !== 'ok' ? c.status : `${int(c.reqPerSec)} req/s, p99 ${ms(c.p99Us)} ms`;
  if (dims.length === 2) {
    const [a, b] = dims as [string, string];
    const headers = [`${a} \\ ${b}`, ...sweep.dimensions[b]!.map((v) => `${b}=${v}`)];
    const rows: Row[] = sweep.dimensions[a]!.map((va) => ({
      scenario: `${a}=${va}`,
      cells: sweep.dimensions[b]!.map((vb) => cell(sweep.cells.find((c) => String(c.settings[a]) === va && String(c.settings[b]) === vb))),
    }));
    return consoleTable([...headers, ''], rows.map((r) => ({ scenario: r.scenario, cells: [...r.cells, ''] })));
  }
  return consoleTable(['cell', sweep.scenario, ''], sweep.cells.map((c) => ({
    scenario: Object.entries(c.settings).map(([k, v]) => `${k}=${v}`).join(' '), cells: [cell(c), ''],
  })));
}

/** Per cell: server CPU per answered request by thread, and the I/O threads' shares. */
export function sweepThreadLines(sweep: NonNullable<RunReport['sweep']>): string[] {
  return sweep.cells.filter((c) => c.status === 'ok' && (c.cpuPerRequestUs != null || c.ioShares != null)).map((c) => {
    const label = Object.entries(c.settings).map(([k, v]) => `${k}=${v}`).join(' ');
    const cpu = c.cpuPerRequestUs == null ? '' : `CPU/req ${cpuPerRequestText(c.cpuPerRequestUs)}`;
    const shares = c.ioShares == null ? '' : `shares ${Object.entries(c.ioShares).map(([n, s]) => `${n} ${Math.round(s * 100)}%`).join(', ')}`;
    return `${label}: ${[cpu, shares].filter((x) => x !== '').join('; ')}`;
  });
}

/** The lines under the table: per-thread CPU per request and the I/O threads' shares, per scenario (or sweep cell). */
export function perThreadLines(report: Pick<RunReport, 'scenarios' | 'sweep'>): string[] {
  return report.sweep !== null ? sweepThreadLines(report.sweep) : threadLines(report.scenarios);
}

export const PER_THREAD_HEAD = 'server CPU per answered request (µs, by thread: main, io-NN I/O threads, swarm-NN shard owners, ' +
  'jwt-01 …, cluster-01, other = V8/libuv helpers) and how the kernel spread the load over the I/O threads:';

export function markdown(report: RunReport): string {
  const m = report.machine;
  const lines = [
    `# hayate bench: ${report.name}`,
    '',
    `- date: ${report.date}, ${report.wallSec.toFixed(0)} s`,
    `- machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.platform} ${m.kernel}`,
    `- load average (1 min): ${report.loadAvg.start.toFixed(2)} at start, ${report.loadAvg.end.toFixed(2)} at end` +
      (report.loadAvg.start > 0.3 * m.cores ? ' (machine was busy: figures disturbed)' : ''),
    `- node ${m.node}, git ${report.git.commit}${report.git.dirty ? ' (uncommitted changes)' : ''}, wrk ${m.wrk ?? 'not installed'}`,
    `- target: ${report.target.kind === 'self' ? 'hayate started by the bench' : 'external'} (http ${report.target.http ?? '-'}, udp ${report.target.udp ?? '-'}); ` +
      `server CPUs ${report.target.serverCpus ?? 'any'}, load CPUs ${report.target.loadCpus ?? 'any'}`,
    `- command: \`${report.command.join(' ')}\``,
    '',
  ];
  if (Object.keys(report.scenarios).length > 0 && report.sweep === null) {
    lines.push(mdTable(HEADERS, rowsOf(report)), '');
  }
  if (report.sweep !== null) lines.push('```', sweepTable(report.sweep), '```', '');
  const perThread = perThreadLines(report);
  if (perThread.length > 0) lines.push(`${PER_THREAD_HEAD[0]!.toUpperCase()}${PER_THREAD_HEAD.slice(1)}`, '', ...perThread.map((l) => `- ${l}`), '');
  const ceilings = ceilingLines(report);
  if (ceilings.length > 0) lines.push('Generator ceilings (the same generator against a trivial responder on the server CPUs):', '', ...ceilings.map((c) => `- ${c}`), '');
  const notes = Object.entries(report.scenarios).flatMap(([n, r]) => r.notes.map((x) => `- ${n}: ${x}`));
  if (notes.length > 0) lines.push('Notes:', '', ...notes, '');
  lines.push('Latency charts: the `.html` file of the same name. Latency histograms: the `.hgrm` files next to this one ' +
    '(HdrHistogram percentile distributions, values in ms).', '');
  return lines.join('\n');
}
