// A duel: two servers pinned to the same server CPUs, each loaded by its own generator at the same time
// (both generators on the load CPUs). The scheduler splits the core between them, so both see the same
// drift of this VM's capacity (±15-20% within a minute), and each side's requests per server CPU-second
// (answers / utime+stime of that process) compare within a percent or two, where two scenarios measured
// a minute apart swing by ±15%. Runs `rounds` rounds of `roundSec`, after warming each side alone and
// then both together; optionally measures side A alone before and after (its solo rate).
import { availableParallelism } from 'node:os';
import { CpuMeter, sumCpuUsage } from '../../env/process-cpu.js';
import type { CpuUsage } from '../../env/cpu-time.js';
import { cpuCount, selfCpuSec } from '../../env/cpu-time.js';
import { othersCpuSec, othersSnapshot, stealSec } from '../../env/other-processes.js';
import type { Target } from '../../env/targets.js';
import { newHistogram, percentileCurve, type Histogram } from '../../load/histogram.js';
import { Progress } from '../../load/progress.js';
import type { LoadResult } from '../../load/types.js';
import type { RunContext } from '../context.js';
import { cpuPerRequest } from '../thread-figures.js';
import { median, round3, unsaturatedSides, type DuelRecord, type DuelRound, type DuelSideRound, type SoloRun } from './duel-record.js';

export interface DuelSide {
  label: string;                // e.g. "trivial UDP responder", "hayate", "hayate with JWT"
  /** Its server: pid for CPU time, apiBase for /stats deltas, child to notice a crash. */
  target: Target;
  /** Not measured: the swarm populated (every peer of the pool announced), caches warm. */
  warm(): Promise<void>;
  /** One load of `durationSec` by this side's own generator. */
  load(durationSec: number): Promise<LoadResult>;
}

export interface DuelSpec {
  name: string;
  a: DuelSide;                  // the reference (ratios are B/A)
  b: DuelSide;
  rounds: number;
  roundSec: number;
  /** Side A alone on the server CPUs this long, before and after the rounds; 0: not measured. */
  soloSec: number;
}

/** One side over every round, for the result's table row. */
export interface DuelSideTotals {
  histogram: Histogram;
  cpu: CpuUsage | null;
  notes: string[];
  requestsBad: number | null;
  requestsErrored: number | null;
}

export interface DuelRun {
  record: DuelRecord;
  a: DuelSideTotals;
  b: DuelSideTotals;
}

/** Both sides at once, unmeasured, after each warmed alone: JIT and caches as under the duel's load. */
const JOINT_WARMUP_SEC = 2;

export async function runDuel(ctx: RunContext, spec: DuelSpec): Promise<DuelRun> {
  const { a, b } = spec;
  await a.warm();
  await b.warm();
  await timed(`${spec.name}: both sides, unmeasured`, Math.min(JOINT_WARMUP_SEC, spec.roundSec), (sec) => Promise.all([a.load(sec), b.load(sec)]));
  alive(a, b);

  const solo: SoloRun[] = [];
  if (spec.soloSec > 0) solo.push(await soloRun(a, spec.soloSec, 'before'));
  const rounds: DuelRound[] = [];
  const totals = { a: totalsOf(), b: totalsOf() };
  const cpuParts: { a: CpuUsage[]; b: CpuUsage[] } = { a: [], b: [] };
  let generators = { a: '', b: '' };
  for (let i = 1; i <= spec.rounds; i++) {
    const m = await oneRound(ctx, spec, i);
    alive(a, b);
    rounds.push(m.round);
    generators = { a: m.loads[0].generator, b: m.loads[1].generator };
    for (const [k, load, cpu, side] of [['a', m.loads[0], m.cpu[0], m.round.a], ['b', m.loads[1], m.cpu[1], m.round.b]] as const) {
      const t = totals[k];
      t.histogram.add(load.histogram);
      if (cpu !== null) cpuParts[k].push(cpu);
      for (const n of load.notes) if (!/connect handshakes \(not counted\)/.test(n) && !t.notes.includes(n) && t.notes.length < 8) t.notes.push(n);
      t.requestsBad = side.requestsBad === null || t.requestsBad === null ? null : t.requestsBad + side.requestsBad;
      t.requestsErrored = side.requestsErrored === null || t.requestsErrored === null ? null : t.requestsErrored + side.requestsErrored;
    }
  }
  if (spec.soloSec > 0) solo.push(await soloRun(a, spec.soloSec, 'after'));
  totals.a.cpu = sumCpuUsage(cpuParts.a);
  totals.b.cpu = sumCpuUsage(cpuParts.b);

  const ratios = rounds.map((r) => r.ratio).filter((x): x is number => x !== null);
  const med = median(ratios);
  // A fair half of the server CPUs each (unpinned: half of every core, a weak premise; noted by the result).
  const halfShare = cpuCount(ctx.opts.serverCpus, availableParallelism()) / 2;
  const record: DuelRecord = {
    a: { label: a.label, generator: generators.a, latencyCurve: percentileCurve(totals.a.histogram),
      cpuPerRequestUs: cpuPerRequest(totals.a.cpu, rounds.reduce((acc, r) => acc + r.a.requests, 0)) },
    b: { label: b.label, generator: generators.b, cpuPerRequestUs: cpuPerRequest(totals.b.cpu, rounds.reduce((acc, r) => acc + r.b.requests, 0)) },
    roundSec: spec.roundSec,
    serverCpus: ctx.opts.serverCpus,
    rounds,
    ratioMedian: med === null ? null : round3(med),
    ratioMin: ratios.length === 0 ? null : round3(Math.min(...ratios)),
    ratioMax: ratios.length === 0 ? null : round3(Math.max(...ratios)),
    unsaturated: unsaturatedSides(rounds, { a: a.label, b: b.label }, halfShare),
    solo,
  };
  return { record, a: totals.a, b: totals.b };
}

function totalsOf(): DuelSideTotals {
  return { histogram: newHistogram(), cpu: null, notes: [], requestsBad: 0, requestsErrored: 0 };
}

/** A side whose server died mid-duel ends the scenario (withTarget reports the tracker's exit). */
function alive(...sides: DuelSide[]): void {
  for (const s of sides) {
    const c = s.target.child;
    if (c !== null && !c.running) throw new Error(`${s.label} exited during the duel (code ${c.exitInfo?.code}, signal ${c.exitInfo?.signal}): ${c.output().trim().slice(-800)}`);
  }
}

async function timed<T>(label: string, sec: number, run: (sec: number) => Promise<T>): Promise<T> {
  const progress = new Progress(label, sec);
  try {
    return await run(sec);
  } finally {
    progress.end();
  }
}

interface RoundMeasure {
  round: DuelRound;
  loads: [LoadResult, LoadResult];
  cpu: [CpuUsage | null, CpuUsage | null];
}

async function oneRound(ctx: RunContext, spec: DuelSpec, i: number): Promise<RoundMeasure> {
  const { a, b } = spec;
  const statsBefore = await Promise.all([ctx.stats(a.target), ctx.stats(b.target)]);
  const exclude = new Set([process.pid, ...[a.target.pid, b.target.pid].filter((p): p is number => p !== null)]);
  const othersBefore = othersSnapshot(exclude);
  const stealBefore = stealSec();
  const genBefore = selfCpuSec(); // includes generator children (wrk, udp-load) once reaped
  const meters = [new CpuMeter(a.target.pid), new CpuMeter(b.target.pid)] as const;
  const t0 = performance.now();
  // Both generators start together: neither server has the core to itself at any point worth counting.
  const loads = await timed(`${spec.name} round ${i}/${spec.rounds}`, spec.roundSec, (sec) => Promise.all([a.load(sec), b.load(sec)]));
  const cpu: [CpuUsage | null, CpuUsage | null] = [meters[0].read(), meters[1].read()];
  const wallSec = (performance.now() - t0) / 1000;
  const genSec = selfCpuSec() - genBefore;
  const othersAfter = othersSnapshot(exclude);
  const stealAfter = stealSec();
  const statsAfter = await Promise.all([ctx.stats(a.target), ctx.stats(b.target)]);
  const side = (k: 0 | 1): DuelSideRound => {
    const load = loads[k];
    const c = cpu[k];
    const before = statsBefore[k];
    const after = statsAfter[k];
    const delta = (f: 'requestsBad' | 'requestsErrored'): number | null =>
      before === null || after === null || before[f] === null || after[f] === null ? null : after[f]! - before[f]!;
    return {
      requests: load.requests,
      elapsedSec: round3(load.elapsedSec),
      reqPerSec: Math.round(load.reqPerSec),
      cpuSec: c === null ? 0 : c.cpuSec,
      cpuShare: c === null ? 0 : round3(c.cpuSec / wallSec),
      reqPerCpuSec: c === null || c.cpuSec <= 0 ? null : Math.round(load.requests / c.cpuSec),
      errors: load.errors, timeouts: load.timeouts, non2xx: load.non2xx, failures: load.failures, late: load.late,
      p50Us: load.histogram.totalCount === 0 ? 0 : load.histogram.getValueAtPercentile(50),
      p99Us: load.histogram.totalCount === 0 ? 0 : load.histogram.getValueAtPercentile(99),
      requestsBad: delta('requestsBad'),
      requestsErrored: delta('requestsErrored'),
    };
  };
  const ra = side(0);
  const rb = side(1);
  // Unrounded req/CPU-s for the ratio: the rounded figures would cost a digit at low rates.
  const ratio = ra.cpuSec > 0 && rb.cpuSec > 0 && loads[0].requests > 0
    ? round3((loads[1].requests / rb.cpuSec) / (loads[0].requests / ra.cpuSec)) : null;
  const round: DuelRound = {
    round: i, wallSec: round3(wallSec), a: ra, b: rb, ratio,
    generatorCpuSec: round3(genSec),
    generatorCpuShare: round3(genSec / wallSec / cpuCount(ctx.opts.loadCpus, availableParallelism())),
    otherProcessesCpuSec: othersBefore === null || othersAfter === null ? null : othersCpuSec(othersBefore, othersAfter),
    stealSec: stealBefore === null || stealAfter === null ? null : round3(stealAfter - stealBefore),
  };
  ctx.log(`  round ${i}: ${a.label} ${ra.requests} req / ${ra.cpuSec.toFixed(2)} CPU-s = ${ra.reqPerCpuSec ?? '-'} req/CPU-s (${Math.round(ra.cpuShare * 100)}% CPU); ` +
    `${b.label} ${rb.requests} / ${rb.cpuSec.toFixed(2)} = ${rb.reqPerCpuSec ?? '-'} (${Math.round(rb.cpuShare * 100)}%); B/A ${ratio?.toFixed(3) ?? '-'}`);
  return { round, loads, cpu };
}

/** Side A alone on the server CPUs: its solo rate (the responder's, for projecting B's). */
async function soloRun(a: DuelSide, sec: number, when: SoloRun['when']): Promise<SoloRun> {
  const meter = new CpuMeter(a.target.pid);
  const t0 = performance.now();
  const r = await timed(`${a.label} alone (${when} the rounds)`, sec, (s) => a.load(s));
  const cpu = meter.read();
  const wallSec = (performance.now() - t0) / 1000;
  return {
    when, durationSec: round3(r.elapsedSec), requests: r.requests, reqPerSec: Math.round(r.reqPerSec),
    cpuShare: cpu === null ? null : round3(cpu.cpuSec / wallSec),
    reqPerCpuSec: cpu === null || cpu.cpuSec <= 0 ? null : Math.round(r.requests / cpu.cpuSec),
  };
}
