// The soak's figures: one sample per report line (printed as it comes), and the verdicts at the end:
// tracker RSS at the end against minute 1, and p99 of the last minute against the first.
import type { MergedWindow } from './soak-threads.js';

export interface SoakSample {
  elapsedSec: number;
  rssBytes: number | null;
  /** Tracker CPU over the interval, in cores. */
  cpuCores: number | null;
  /** The generator's CPU (this process), and every other process's, over the interval, in cores. */
  generatorCores: number;
  othersCores: number | null;
  reqPerSec: number;
  httpPerSec: number;
  udpPerSec: number;
  httpP99Ms: number;
  udpP99Ms: number;
  httpMaxMs: number;
  udpMaxMs: number;
  /** Failure answers by text, HTTP and UDP together. */
  failures: Record<string, number>;
  timeouts: number;
  resets: number;
  badReplies: number;
  /** Connection events (connects that failed, server closes, UDP handshakes unanswered). */
  events: Record<string, number>;
}

export interface CpuFigures { tracker: number | null; generator: number; others: number | null }

export function sampleOf(elapsedSec: number, w: MergedWindow, rssBytes: number | null, cpu: CpuFigures): SoakSample {
  const sec = w.elapsedMs / 1000;
  const answered = (f: MergedWindow['http']): number => f.ok + Object.values(f.failures).reduce((a, b) => a + b, 0);
  const failures: Record<string, number> = {};
  const events: Record<string, number> = {};
  for (const f of [w.http, w.udp]) {
    for (const [k, v] of Object.entries(f.failures)) failures[k] = (failures[k] ?? 0) + v;
    for (const [k, v] of Object.entries(f.events)) events[k] = (events[k] ?? 0) + (v ?? 0);
  }
  const ms = (us: number): number => Math.round(us / 10) / 100;
  return {
    elapsedSec: Math.round(elapsedSec),
    rssBytes,
    cpuCores: round2(cpu.tracker),
    generatorCores: round2(cpu.generator)!,
    othersCores: round2(cpu.others),
    reqPerSec: Math.round((answered(w.http) + answered(w.udp)) / sec),
    httpPerSec: Math.round(answered(w.http) / sec),
    udpPerSec: Math.round(answered(w.udp) / sec),
    httpP99Ms: ms(w.http.latency.p99),
    udpP99Ms: ms(w.udp.latency.p99),
    httpMaxMs: ms(w.http.latency.max),
    udpMaxMs: ms(w.udp.latency.max),
    failures,
    timeouts: w.http.lost.timeout + w.udp.lost.timeout,
    resets: w.http.lost.reset + w.udp.lost.reset,
    badReplies: w.http.lost['bad-reply'] + w.udp.lost['bad-reply'],
    events,
  };
}

function round2(x: number | null): number | null {
  return x === null ? null : Math.round(x * 100) / 100;
}

export const COLUMNS = ['elapsed', 'RSS MB', 'CPU', 'gen CPU', 'others CPU', 'req/s', 'HTTP/s', 'UDP/s', 'p99 HTTP ms', 'p99 UDP ms', 'max ms', 'failures', 'timeouts', 'resets', 'other'];

export function cells(s: SoakSample): string[] {
  const fail = Object.entries(s.failures).map(([k, v]) => `${v}× ${k}`).join('; ') || '0';
  const other = [
    s.badReplies > 0 ? `${s.badReplies} bad replies` : '',
    ...Object.entries(s.events).map(([k, v]) => `${v} ${k}`),
  ].filter((x) => x !== '').join('; ') || '-';
  return [
    `${s.elapsedSec} s`,
    s.rssBytes === null ? 'n/a' : (s.rssBytes / 1048576).toFixed(1),
    s.cpuCores === null ? 'n/a' : s.cpuCores.toFixed(2),
    s.generatorCores.toFixed(2),
    s.othersCores === null ? 'n/a' : s.othersCores.toFixed(2),
    String(s.reqPerSec), String(s.httpPerSec), String(s.udpPerSec),
    s.httpP99Ms.toFixed(2), s.udpP99Ms.toFixed(2), Math.max(s.httpMaxMs, s.udpMaxMs).toFixed(1),
    fail, String(s.timeouts), String(s.resets), other,
  ];
}

const WIDTHS = [8, 7, 5, 8, 11, 7, 7, 7, 12, 11, 8, 10, 9, 7, 0];

export function consoleHeader(): string {
  return COLUMNS.map((c, i) => c.padStart(WIDTHS[i]!)).join(' ');
}

export function consoleRow(s: SoakSample): string {
  return cells(s).map((c, i) => c.padStart(WIDTHS[i]!)).join(' ');
}

export function markdownTable(samples: SoakSample[]): string {
  const head = `| ${COLUMNS.join(' | ')} |\n|${COLUMNS.map((_, i) => (i === 11 || i === 14 ? '---' : '---:')).join('|')}|`;
  return `${head}\n${samples.map((s) => `| ${cells(s).join(' | ')} |`).join('\n')}`;
}

export interface Verdicts {
  /** RSS of the sample at minute 1 (the first at or after 60 s; the first sample in a shorter run). */
  rssMinute1Bytes: number | null;
  rssEndBytes: number | null;
  rssChangePct: number | null;
  rssWithin10Pct: boolean | null;
  /** From minute 1 on: lowest and highest RSS, and the least-squares slope in MB per minute. */
  rssMinBytes: number | null;
  rssMaxBytes: number | null;
  rssSlopeMBPerMin: number | null;
  /** Median p99 of the windows in the first and the last minute, per protocol. */
  p99: { http: { first: number; last: number; max: number }; udp: { first: number; last: number; max: number } };
  p99Flat: boolean;
  text: string;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** p99 is called flat when the last minute's median is at most 1.5× the first minute's (+1 ms for noise). */
const P99_FLAT_RATIO = 1.5;
const P99_NOISE_MS = 1;

export function verdicts(samples: SoakSample[]): Verdicts {
  const withRss = samples.filter((s) => s.rssBytes !== null);
  const m1 = withRss.find((s) => s.elapsedSec >= 60) ?? withRss[0] ?? null;
  const end = withRss[withRss.length - 1] ?? null;
  const rssChangePct = m1 === null || end === null ? null : Math.round(((end.rssBytes! - m1.rssBytes!) / m1.rssBytes!) * 1000) / 10;
  const total = samples[samples.length - 1]?.elapsedSec ?? 0;
  const first = samples.filter((s) => s.elapsedSec <= Math.min(60, total / 2));
  const last = samples.filter((s) => s.elapsedSec > Math.max(total - 60, total / 2));
  const proto = (pick: (s: SoakSample) => number): { first: number; last: number; max: number } => ({
    first: median(first.map(pick)), last: median(last.map(pick)), max: Math.max(0, ...samples.map(pick)),
  });
  const p99 = { http: proto((s) => s.httpP99Ms), udp: proto((s) => s.udpP99Ms) };
  const flat = (p: { first: number; last: number }): boolean => p.last <= p.first * P99_FLAT_RATIO + P99_NOISE_MS;
  const p99Flat = flat(p99.http) && flat(p99.udp);
  const steady = withRss.filter((s) => m1 !== null && s.elapsedSec >= m1.elapsedSec);
  const rssMin = steady.length === 0 ? null : Math.min(...steady.map((s) => s.rssBytes!));
  const rssMax = steady.length === 0 ? null : Math.max(...steady.map((s) => s.rssBytes!));
  const slope = slopeMBPerMin(steady);
  const mb = (b: number | null): string => (b === null ? 'n/a' : `${(b / 1048576).toFixed(1)} MB`);
  const text = [
    `RSS: ${mb(m1?.rssBytes ?? null)} at ${m1?.elapsedSec ?? '-'} s, ${mb(end?.rssBytes ?? null)} at the end` +
      (rssChangePct === null ? '' : ` (${rssChangePct >= 0 ? '+' : ''}${rssChangePct}%: ${Math.abs(rssChangePct) <= 10 ? 'within' : 'NOT within'} 10% of minute 1)`) +
      (slope === null ? '' : `; from then on between ${mb(rssMin)} and ${mb(rssMax)}, trend ${slope >= 0 ? '+' : ''}${slope} MB/min`),
    `p99 HTTP: median ${p99.http.first} ms over the first minute, ${p99.http.last} ms over the last, worst window ${p99.http.max} ms`,
    `p99 UDP: median ${p99.udp.first} ms over the first minute, ${p99.udp.last} ms over the last, worst window ${p99.udp.max} ms`,
    `p99 ${p99Flat ? 'flat' : 'NOT flat'} (last minute's median at most ${P99_FLAT_RATIO}× the first's + ${P99_NOISE_MS} ms)`,
  ].join('\n');
  return {
    rssMinute1Bytes: m1?.rssBytes ?? null, rssEndBytes: end?.rssBytes ?? null, rssChangePct,
    rssWithin10Pct: rssChangePct === null ? null : Math.abs(rssChangePct) <= 10,
    rssMinBytes: rssMin, rssMaxBytes: rssMax, rssSlopeMBPerMin: slope, p99, p99Flat, text,
  };
}

/** Least-squares slope of RSS over time, MB per minute; null with fewer than 3 samples. */
function slopeMBPerMin(xs: SoakSample[]): number | null {
  if (xs.length < 3) return null;
  const mt = xs.reduce((a, s) => a + s.elapsedSec, 0) / xs.length;
  const mr = xs.reduce((a, s) => a + s.rssBytes!, 0) / xs.length;
  let num = 0;
  let den = 0;
  for (const s of xs) {
    num += (s.elapsedSec - mt) * (s.rssBytes! - mr);
    den += (s.elapsedSec - mt) ** 2;
  }
  return den === 0 ? null : Math.round(((num / den) * 60) / 1048576 * 100) / 100;
}
