// What a duel records (the `duel` entry of a duel scenario's result): per round and side, the answers its
// generator got and the CPU seconds its server process used, so requests per server CPU-second compare
// between two servers that shared the same core at the same time; then the per-round ratios B/A, their
// median and range, and which side (if any) did not use its half of the core.
import type { PercentileCurve } from '../../load/histogram.js';
import type { CpuPerRequest } from '../thread-figures.js';

export interface DuelSideRound {
  requests: number;             // answers its generator received
  elapsedSec: number;           // its generator's measured time
  reqPerSec: number;            // on its share of the core: not a solo rate
  cpuSec: number;               // its server process, utime + stime over the round
  cpuShare: number;             // cpuSec / round wall time (1 = one core busy)
  reqPerCpuSec: number | null;
  errors: number;
  timeouts: number;
  non2xx: number;
  failures: number;
  late: number;
  p50Us: number;
  p99Us: number;
  /** Deltas of the server's own /stats counters over the round (hayate; null for a responder). */
  requestsBad: number | null;
  requestsErrored: number | null;
}

export interface DuelRound {
  round: number;                // 1-based
  wallSec: number;              // from starting both generators to the later one's end
  a: DuelSideRound;
  b: DuelSideRound;
  ratio: number | null;         // b.reqPerCpuSec / a.reqPerCpuSec
  generatorCpuSec: number;      // both generators (and the bench itself)
  generatorCpuShare: number;    // the same, share of the load CPUs
  otherProcessesCpuSec: number | null;
  stealSec: number | null;
}

/** A side that used well under its half of the server CPUs: its generator (or latency) limited it. */
export interface Unsaturated {
  side: 'a' | 'b';
  label: string;
  rounds: number;               // in how many rounds
  minCpuShare: number;          // its lowest share of one round, against a fair half of `halfShare`
  halfShare: number;
}

/** A short run of side A alone on the server CPUs (the trivial responder's own rate, for a projection). */
export interface SoloRun {
  when: 'before' | 'after';
  durationSec: number;
  requests: number;
  reqPerSec: number;
  cpuShare: number | null;
  reqPerCpuSec: number | null;
}

export interface DuelRecord {
  /** `latencyCurve`: side A's over every round, drawn beside B's (the scenario's own) in the report. */
  /** `cpuPerRequestUs`: each side's server CPU per answered request over every round, by thread (absent before). */
  a: { label: string; generator: string; latencyCurve?: PercentileCurve | null; cpuPerRequestUs?: CpuPerRequest | null };
  b: { label: string; generator: string; cpuPerRequestUs?: CpuPerRequest | null };
  roundSec: number;
  serverCpus: string | null;
  rounds: DuelRound[];
  ratioMedian: number | null;
  ratioMin: number | null;
  ratioMax: number | null;
  unsaturated: Unsaturated[];
  solo: SoloRun[];
}

/**
 * Below this share of its fair half of the server CPUs a side counts as not saturated ("well under its
 * half"). Lower than SATURATED_SHARE because two saturated servers on one core here use 94-98% of it
 * between them (the rest goes to kernel threads and interrupts), each 45-49%: 0.9 x 50% would flag them.
 */
export const DUEL_SATURATED_SHARE = 0.8;

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Sides that used under DUEL_SATURATED_SHARE of `halfShare` (cores) in any round. */
export function unsaturatedSides(rounds: DuelRound[], labels: { a: string; b: string }, halfShare: number): Unsaturated[] {
  const out: Unsaturated[] = [];
  for (const side of ['a', 'b'] as const) {
    const low = rounds.filter((r) => r[side].cpuShare < DUEL_SATURATED_SHARE * halfShare);
    if (low.length === 0) continue;
    out.push({ side, label: labels[side], rounds: low.length, minCpuShare: round3(Math.min(...low.map((r) => r[side].cpuShare))), halfShare });
  }
  return out;
}

/** "0.856 (5 rounds: 0.848-0.865)" */
export function ratioText(d: DuelRecord): string {
  if (d.ratioMedian === null) return 'no ratio (a side answered nothing or used no CPU)';
  return `${d.ratioMedian.toFixed(3)} (${d.rounds.length} rounds: ${d.ratioMin!.toFixed(3)}-${d.ratioMax!.toFixed(3)})`;
}

/** The table's flags for a duel: each unsaturated side. */
export function duelFlags(d: DuelRecord): string[] {
  return d.unsaturated.map((u) => `UNSATURATED: ${u.label} (min ${Math.round((u.minCpuShare / u.halfShare) * 100)}% of its half, ${u.rounds}/${d.rounds.length} rounds)`);
}
