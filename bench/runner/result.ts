// The figures recorded for one scenario (one entry of the results file's `scenarios`).
import type { CpuUsage } from '../env/cpu-time.js';
import type { ExitInfo } from '../env/child.js';
import { percentileCurve, summarize, type Histogram, type LatencySummary, type PercentileCurve } from '../load/histogram.js';
import type { DuelRecord } from './duel/duel-record.js';
import type { CpuPerRequest, IoSpread } from './thread-figures.js';

export interface CeilingRef {
  key: string;              // which generator setup was measured
  reqPerSec: number;
  latencyUs: LatencySummary;
  /** Its percentile curve (absent in results written before curves were kept). */
  latencyCurve?: PercentileCurve | null;
  /** Busy share of the CPUs each side may use (1 = all of them): tells whether the generator or the
   *  responder set the ceiling. */
  generatorCpu: number | null;
  responderCpu: number | null;
}

/** What limited a measurement, from CPU use: the server's CPUs, the generator's, both, the machine (not
 *  pinned: together they used every core), other processes or the hypervisor (contended: they took
 *  >= 10% of the cores while neither side was saturated), or neither (then latency: too few requests in flight, or waits
 *  inside the server). */
export type Limit = 'server' | 'generator' | 'both' | 'machine' | 'contended' | 'neither';

export interface SampleCheck {
  checked: number;
  failed: number;
  firstFailure: string | null;
}

export interface ScenarioResult {
  status: 'ok' | 'skipped' | 'error';
  reason: string | null;
  protocol: 'http' | 'udp' | null;
  generator: string;
  connections: number;      // HTTP connections, or UDP requests in flight
  durationSec: number;      // measured wall time of the load phase
  requests: number;         // answers received
  reqPerSec: number;
  errors: number;           // socket errors and resets
  timeouts: number;
  non2xx: number;
  failures: number;         // answers carrying a tracker failure (HTTP `failure reason` when seen, UDP error action)
  late: number;             // UDP answers after their request timed out
  statusCodes: Record<string, number>;
  latencyUs: LatencySummary;
  /** The latency percentile curve the HTML report draws (absent in results written before curves were
   *  kept; null when nothing was measured). */
  latencyCurve?: PercentileCurve | null;
  histogramFile: string | null;
  ceiling: CeilingRef | null;
  generatorBound: boolean | null;
  limit: Limit | null;
  generatorCpu: { cpuSec: number; utilisation: number } | null; // utilisation of the load CPUs
  serverCpu: CpuUsage | null;
  /** CPU seconds used by every other process on the machine meanwhile: interference (other jobs). */
  otherProcessesCpuSec: number | null;
  /** CPU seconds the hypervisor took away (steal, all CPUs) meanwhile. */
  stealSec: number | null;
  reqPerCpuSec: number | null;
  /** Server CPU per answered request, µs, whole process and by thread (absent in results written before). */
  cpuPerRequestUs?: CpuPerRequest | null;
  /** How the I/O threads shared the load (hayate's /stats `ioThreads`; absent before, null for other trackers). */
  ioThreads?: IoSpread | null;
  server: ServerDeltas | null;
  sample: SampleCheck | null;
  extra: Record<string, number | string | boolean | null>;
  notes: string[];
  trackerExit: ExitInfo | null;
  /** Self-started tracker: the last lines it wrote (stdout and stderr), for the curious and the post-mortem. */
  trackerLog: string[];
  /** Duel scenarios only (duel/duel.ts): every round's figures for both sides, the ratios B/A. */
  duel?: DuelRecord;
}

/** Changes in the tracker's own /stats counters over the load phase, and its memory afterwards. */
export interface ServerDeltas {
  requestsHandled: number | null;
  requestsErrored: number | null;
  requestsBad: number | null;
  rssBytesAfter: number | null;
}

const ZERO_LATENCY: LatencySummary = { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };

export function emptyResult(status: ScenarioResult['status'], reason: string | null): ScenarioResult {
  return {
    status, reason, protocol: null, generator: '', connections: 0, durationSec: 0, requests: 0, reqPerSec: 0,
    errors: 0, timeouts: 0, non2xx: 0, failures: 0, late: 0, statusCodes: {}, latencyUs: { ...ZERO_LATENCY },
    latencyCurve: null, histogramFile: null, ceiling: null, generatorBound: null, limit: null, generatorCpu: null, serverCpu: null, otherProcessesCpuSec: null, stealSec: null, reqPerCpuSec: null, cpuPerRequestUs: null, ioThreads: null, server: null,
    sample: null, extra: {}, notes: [], trackerExit: null, trackerLog: [],
  };
}

/** A result's latency figures from its histogram: the summary of the table and the curve of the report. */
export function recordLatency(r: ScenarioResult, h: Histogram): void {
  r.latencyUs = summarize(h);
  r.latencyCurve = percentileCurve(h);
}

export function ceilingRef(key: string, reqPerSec: number, h: Histogram, generatorCpu: number | null, responderCpu: number | null): CeilingRef {
  return { key, reqPerSec: Math.round(reqPerSec), latencyUs: summarize(h), latencyCurve: percentileCurve(h), generatorCpu, responderCpu };
}

/** At or above this share of the generator's ceiling, a result measures the generator, not the server. */
export const GENERATOR_BOUND_SHARE = 0.9;
/** At or above this share of its CPUs, a side counts as saturated. */
export const SATURATED_SHARE = 0.9;

/**
 * Whether a result measures the generator: it reached GENERATOR_BOUND_SHARE of the ceiling, and the
 * generator could have been the limit. A ceiling set by the responder alone (responder saturated, the
 * generator not) is only a floor of the generator's capacity: the native UDP generator against the node
 * responder, say, whose cost per packet is about a tracker's. Then a result beside it counts as
 * generator-bound only when the generator was saturated during the load itself (`generatorShare`).
 */
export function generatorBoundOf(reqPerSec: number, ceiling: CeilingRef | null, generatorShare: number): boolean | null {
  if (ceiling === null) return null;
  if (reqPerSec < GENERATOR_BOUND_SHARE * ceiling.reqPerSec) return false;
  const responderOnly = ceiling.responderCpu !== null && ceiling.responderCpu >= SATURATED_SHARE &&
    ceiling.generatorCpu !== null && ceiling.generatorCpu < SATURATED_SHARE;
  return !responderOnly || generatorShare >= SATURATED_SHARE;
}

/** `machineShare`: both sides' CPU over all cores when they share them (no pinning), else null;
 *  `othersShare`: other processes' CPU over all cores. */
export function limitOf(serverShare: number | null, generatorShare: number | null, machineShare: number | null = null,
  othersShare = 0): Limit | null {
  if (serverShare === null && generatorShare === null) return null;
  const s = (serverShare ?? 0) >= SATURATED_SHARE;
  const g = (generatorShare ?? 0) >= SATURATED_SHARE;
  if (s || g) return s && g ? 'both' : s ? 'server' : 'generator';
  if (machineShare !== null && machineShare >= SATURATED_SHARE) return 'machine';
  return othersShare >= 0.1 ? 'contended' : 'neither';
}

export function limitText(l: Limit): string {
  return l === 'neither' ? 'neither side (latency-bound)' : l === 'both' ? 'server + generator'
    : l === 'machine' ? 'machine (server + generator share all cores)'
      : l === 'contended' ? 'neither side: other processes took the CPU (disturbed)' : l;
}
