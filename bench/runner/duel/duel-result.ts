// A duel's scenario result: the table row is side B's (the subject: hayate, hayate with JWT) summed over
// the rounds, its req/s being its share of a core it split with A (not a solo rate); the figure to read
// is the median ratio B/A of requests per server CPU-second, in `extra` under the scenario's ratio key
// (shown in the notes column) with its range, and every round's figures in `duel`.
import { availableParallelism } from 'node:os';
import { cpuCount, rssBytes } from '../../env/cpu-time.js';
import type { Target } from '../../env/targets.js';
import { percentileDistribution } from '../../load/histogram.js';
import type { RunContext } from '../context.js';
import type { DuelRun } from './duel.js';
import { cpuPerRequestText } from '../thread-figures.js';
import { duelFlags, median, ratioText, round3, type DuelRecord, type DuelRound } from './duel-record.js';
import { emptyResult, limitOf, recordLatency, SATURATED_SHARE, type ScenarioResult } from '../result.js';

export interface DuelNaming {
  /** extra key of the median ratio B/A, e.g. ratioToTrivial (report.ts shows /^ratio|RatioTo/ keys). */
  ratioKey: string;
  /** extra key of side A's median req per CPU-second, e.g. trivialReqPerCpuSec. */
  aReqPerCpuSecKey: string;
  protocol: 'http' | 'udp';
  connections: number;          // per side: HTTP connections, or UDP requests in flight
}

export function duelResult(ctx: RunContext, name: string, run: DuelRun, b: Target, naming: DuelNaming): ScenarioResult {
  const d = run.record;
  const rounds = d.rounds;
  const sum = (f: (x: DuelRound) => number): number => rounds.reduce((acc, x) => acc + f(x), 0);
  const sumOrNull = (f: (x: DuelRound) => number | null): number | null =>
    rounds.some((x) => f(x) === null) ? null : round3(sum((x) => f(x)!));
  const r = emptyResult('ok', null);
  r.protocol = naming.protocol;
  r.generator = d.b.generator;
  r.connections = naming.connections;
  r.durationSec = round3(sum((x) => x.b.elapsedSec));
  r.requests = sum((x) => x.b.requests);
  r.reqPerSec = r.durationSec > 0 ? Math.round(r.requests / r.durationSec) : 0;
  r.errors = sum((x) => x.b.errors);
  r.timeouts = sum((x) => x.b.timeouts);
  r.non2xx = sum((x) => x.b.non2xx);
  r.failures = sum((x) => x.b.failures);
  r.late = sum((x) => x.b.late);
  recordLatency(r, run.b.histogram);
  r.histogramFile = ctx.histograms.write(name, percentileDistribution(run.b.histogram));
  r.serverCpu = run.b.cpu;
  r.reqPerCpuSec = run.b.cpu !== null && run.b.cpu.cpuSec > 0 ? Math.round(r.requests / run.b.cpu.cpuSec) : null;
  r.cpuPerRequestUs = d.b.cpuPerRequestUs ?? null;
  const wallSec = sum((x) => x.wallSec);
  const genSec = sum((x) => x.generatorCpuSec);
  const cores = availableParallelism();
  r.generatorCpu = { cpuSec: round3(genSec), utilisation: round3(genSec / Math.max(wallSec, 1e-9) / cpuCount(ctx.opts.loadCpus, cores)) };
  r.otherProcessesCpuSec = sumOrNull((x) => x.otherProcessesCpuSec);
  r.stealSec = sumOrNull((x) => x.stealSec);
  r.server = { requestsHandled: null, requestsBad: run.b.requestsBad, requestsErrored: run.b.requestsErrored, rssBytesAfter: b.pid === null ? null : rssBytes(b.pid) };

  // Saturated: both servers used their halves of the server CPUs (the weaker side decides).
  const halfShare = cpuCount(ctx.opts.serverCpus, cores) / 2;
  const share = (k: 'a' | 'b'): number => sum((x) => x[k].cpuSec) / Math.max(wallSec, 1e-9) / halfShare;
  r.limit = limitOf(Math.min(share('a'), share('b')), r.generatorCpu.utilisation, null,
    ((r.otherProcessesCpuSec ?? 0) + (r.stealSec ?? 0)) / Math.max(wallSec, 1e-9) / cores);

  r.extra.duelRounds = rounds.length;
  r.extra.duelSec = d.roundSec;
  r.extra[naming.ratioKey] = d.ratioMedian;
  r.extra.ratioRange = d.ratioMin === null ? null : `${d.ratioMin.toFixed(3)}-${d.ratioMax!.toFixed(3)}`;
  const aRates = rounds.map((x) => x.a.reqPerCpuSec).filter((x): x is number => x !== null);
  const aMedian = median(aRates);
  r.extra[naming.aReqPerCpuSecKey] = aMedian === null ? null : Math.round(aMedian);
  const solo = d.solo.filter((s) => s.requests > 0);
  if (solo.length > 0) {
    const soloRate = solo.reduce((acc, s) => acc + s.reqPerSec, 0) / solo.length;
    r.extra.responderSoloReqPerSec = Math.round(soloRate);
    r.extra.projectedReqPerSec = d.ratioMedian === null ? null : Math.round(d.ratioMedian * soloRate);
  }
  r.notes.push(...duelNotes(ctx, d));
  for (const n of run.a.notes) r.notes.push(`${d.a.label}: ${n}`);
  for (const n of run.b.notes) r.notes.push(`${d.b.label}: ${n}`);
  r.duel = d;
  return r;
}

function duelNotes(ctx: RunContext, d: DuelRecord): string[] {
  const notes: string[] = [];
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  notes.push(`duel: ${d.rounds.length} rounds of ${d.roundSec} s, ${d.a.label} (A) and ${d.b.label} (B) loaded at once on server CPUs ` +
    `${d.serverCpus ?? 'any'}; req/s above is B's share of the core, not a solo rate. B/A of requests per server CPU-second: ${ratioText(d)}; ` +
    `per round ${d.rounds.map((x) => x.ratio?.toFixed(3) ?? '-').join(', ')}`);
  if (d.serverCpus === null) notes.push('servers not pinned (--server-cpus): they need not share one core, so they need not see the same drift; pin them');
  for (const u of d.unsaturated) {
    notes.push(`${u.label} did not use its half of the server CPUs in ${u.rounds} of ${d.rounds.length} rounds (lowest ${pct(u.minCpuShare)} ` +
      `of a core, its half is ${pct(u.halfShare)}): its generator or latency limited it, not the CPU. Its req per CPU-second still holds, ` +
      'but a server that is not saturated handles fewer requests per wake-up, so the ratio is not the saturated one');
  }
  const serverCores = cpuCount(ctx.opts.serverCpus, availableParallelism());
  for (const s of d.solo) {
    if (s.cpuShare !== null && s.cpuShare < SATURATED_SHARE * serverCores) {
      notes.push(`${d.a.label} alone (${s.when} the rounds) used ${pct(s.cpuShare)} of the server CPUs: its solo rate ${s.reqPerSec} req/s, ` +
        'and so projectedReqPerSec, is a floor (its generator or latency limited it)');
    }
  }
  if (d.a.cpuPerRequestUs != null && d.b.cpuPerRequestUs != null) {
    notes.push(`server CPU per answered request over the rounds: ${d.a.label} ${cpuPerRequestText(d.a.cpuPerRequestUs)}; ` +
      `${d.b.label} ${cpuPerRequestText(d.b.cpuPerRequestUs)}`);
  }
  const aTrouble = d.rounds.reduce((acc, x) => acc + x.a.errors + x.a.timeouts + x.a.non2xx + x.a.failures, 0);
  if (aTrouble > 0) notes.push(`${d.a.label}: ${aTrouble} errors/timeouts/non-2xx/failures over the rounds (see duel.rounds)`);
  const aRefused = d.rounds.reduce((acc, x) => acc + (x.a.requestsBad ?? 0) + (x.a.requestsErrored ?? 0), 0);
  if (aRefused > 0) notes.push(`${d.a.label}: its /stats counted ${aRefused} refused or failed requests over the rounds`);
  const wallSec = d.rounds.reduce((acc, x) => acc + x.wallSec, 0);
  const others = d.rounds.reduce((acc, x) => acc + (x.otherProcessesCpuSec ?? 0), 0);
  if (others > 0.1 * wallSec) notes.push(`other processes used ${others.toFixed(1)} CPU-s during the ${wallSec.toFixed(1)} s of rounds: both sides shared the disturbance, but it is there`);
  return notes;
}

/** The progress line of a finished duel. */
export function duelLine(name: string, r: ScenarioResult): string {
  const d = r.duel!;
  const fmt = (n: unknown): string => (typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : '-');
  const aKey = Object.keys(r.extra).find((k) => /ReqPerCpuSec$/.test(k));
  const projected = r.extra.projectedReqPerSec === undefined ? '' : `; projected ${fmt(r.extra.projectedReqPerSec)} req/s ` +
    `(x ${d.a.label} alone: ${fmt(r.extra.responderSoloReqPerSec)} req/s)`;
  const flags = duelFlags(d);
  const trouble = r.errors + r.timeouts + r.non2xx + r.failures;
  return `  ${name}: ${d.b.label} / ${d.a.label}, requests per server CPU-second: ${ratioText(d)}; ` +
    `${d.b.label} ${fmt(r.reqPerCpuSec)} req/CPU-s, ${d.a.label} ${fmt(aKey === undefined ? null : r.extra[aKey])}${projected}` +
    `${trouble === 0 ? '' : `; ${d.b.label}: errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}, failures ${r.failures}`}` +
    `${flags.length === 0 ? '' : `; ${flags.join('; ')}`}`;
}
