// Synthetic but realistic bench runs for the report's tests, built through the bench's own code: latencies
// recorded one by one into real hdr-histogram-js histograms (load/histogram.ts, as the generators record
// them), results filled in by the functions the scenarios use (recordLatency, ceilingRef, sweepCell), the
// report's frame from reportSkeleton with this machine's facts, and written by writeReport. Shapes are
// those of this machine's runs: a log-normal body around the median and a thin tail of stalls.
import type { Histogram } from '../../bench/load/histogram.js';
import { newHistogram, percentileCurve, recordMicros } from '../../bench/load/histogram.js';
import type { DuelRecord } from '../../bench/runner/duel/duel-record.js';
import { gitInfo, machineInfo } from '../../bench/runner/machine.js';
import { parseOptions } from '../../bench/runner/options.js';
import type { RunReport, SweepCell } from '../../bench/runner/report.js';
import { ceilingRef, emptyResult, recordLatency, type ScenarioResult } from '../../bench/runner/result.js';
import { makeTargets, reportSkeleton } from '../../bench/runner/suite.js';
import { cellLabel, cells, sweepCell } from '../../bench/runner/sweep.js';
import { Prng } from '../../bench/workload/prng.js';

export interface Shape {
  count: number;
  medianUs: number;
  spread: number;           // sigma of the log-normal body
  tailShare: number;        // share of requests that stalled
  tailUs: number;           // longest stall
}

/** `count` latencies of the given shape, recorded into a bench histogram; seeded, so runs repeat. */
export function latencyHistogram(seed: number, s: Shape): Histogram {
  const rng = new Prng(seed);
  const h = newHistogram();
  for (let i = 0; i < s.count; i++) {
    // Box-Muller: a standard normal from two uniforms.
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    let us = s.medianUs * Math.exp(s.spread * z);
    if (rng.next() < s.tailShare) us += rng.next() * s.tailUs;
    recordMicros(h, us);
  }
  return h;
}

function okResult(name: string, seed: number, reqPerSec: number, durationSec: number, shape: Omit<Shape, 'count'>,
  ceiling: { reqPerSec: number; shape: Omit<Shape, 'count'> } | null): ScenarioResult {
  const r = emptyResult('ok', null);
  r.protocol = name.startsWith('udp') ? 'udp' : 'http';
  r.generator = r.protocol === 'udp' ? 'native udp-load (sendmmsg/recvmmsg, 1 thread x 4 sockets x 64 in flight)' : 'wrk (1 thread, 64 connections)';
  r.connections = r.protocol === 'udp' ? 256 : 64;
  r.durationSec = durationSec;
  r.requests = Math.round(reqPerSec * durationSec);
  r.reqPerSec = reqPerSec;
  recordLatency(r, latencyHistogram(seed, { count: r.requests, ...shape }));
  r.histogramFile = `${name}.hgrm`;
  if (ceiling !== null) {
    r.ceiling = ceilingRef(`${name}: ${r.generator}`, ceiling.reqPerSec, latencyHistogram(seed + 1, { count: Math.round(ceiling.reqPerSec * 2), ...ceiling.shape }), 0.97, 0.88);
    r.generatorBound = reqPerSec >= 0.9 * ceiling.reqPerSec;
  }
  r.limit = 'server';
  r.reqPerCpuSec = Math.round(reqPerSec * 1.02);
  return r;
}

/** A duel's result: side B's histogram as the scenario's, side A's curve in the duel record. */
function duelResult(seed: number): ScenarioResult {
  const r = okResult('udp-duel', seed, 42_217, 8, { medianUs: 6680, spread: 0.2, tailShare: 0.001, tailUs: 8000 }, null);
  const a = latencyHistogram(seed + 7, { count: 47_000 * 8, medianUs: 6400, spread: 0.2, tailShare: 0.001, tailUs: 7000 });
  const side = { requests: 0, elapsedSec: 2, reqPerSec: 0, cpuSec: 2, cpuShare: 0.5, reqPerCpuSec: 0, errors: 0, timeouts: 0, non2xx: 0, failures: 0, late: 0, p50Us: 0, p99Us: 0, requestsBad: null, requestsErrored: null };
  const duel: DuelRecord = {
    a: { label: 'trivial UDP responder', generator: r.generator, latencyCurve: percentileCurve(a) },
    b: { label: 'hayate', generator: r.generator },
    roundSec: 2, serverCpus: '0',
    rounds: [0.891, 0.874, 0.884, 0.886].map((ratio, i) => ({
      round: i + 1, wallSec: 2, a: { ...side, reqPerCpuSec: 97_000 }, b: { ...side, reqPerCpuSec: Math.round(97_000 * ratio) }, ratio,
      generatorCpuSec: 2.7, generatorCpuShare: 0.68, otherProcessesCpuSec: 0.03, stealSec: 0,
    })),
    ratioMedian: 0.885, ratioMin: 0.874, ratioMax: 0.891, unsaturated: [], solo: [],
  };
  r.duel = duel;
  r.extra.ratioToTrivial = 0.885;
  r.extra.ratioRange = '0.874-0.891';
  r.extra.projectedReqPerSec = 93_633;
  return r;
}

function frame(argv: string[], name: string): RunReport {
  const opts = parseOptions(argv);
  const targets = makeTargets(opts, '/nonexistent/dist/main.js');
  try {
    const report = reportSkeleton(opts, name, new Date('2026-11-24T05:39:30.590Z'), machineInfo(), gitInfo(), targets, null, 'native');
    report.command = argv;
    report.wallSec = 175;
    report.loadAvg.end = report.loadAvg.start;
    return report;
  } finally {
    targets.close();
  }
}

/** A suite run: HTTP and UDP scenarios beside their generator ceilings, a duel, a skipped scenario. */
export function suiteRun(seed = 1): RunReport {
  const report = frame(['--generator', 'wrk', '--server-cpus', '0', '--load-cpus', '1', '--name', 'suite-sample'], 'suite-sample');
  const http = { medianUs: 850, spread: 0.3, tailShare: 0.003, tailUs: 9000 };
  report.scenarios['http-announce'] = okResult('http-announce', seed, 69_448, 3, http, { reqPerSec: 83_917, shape: { medianUs: 370, spread: 0.45, tailShare: 0.002, tailUs: 2500 } });
  report.scenarios['http-scrape'] = okResult('http-scrape', seed + 10, 98_400, 3, { ...http, medianUs: 540 }, { reqPerSec: 116_053, shape: { medianUs: 270, spread: 0.4, tailShare: 0.002, tailUs: 1500 } });
  report.scenarios['udp-announce'] = okResult('udp-announce', seed + 20, 91_822, 3, { medianUs: 2530, spread: 0.15, tailShare: 0.001, tailUs: 8000 }, { reqPerSec: 105_691, shape: { medianUs: 2170, spread: 0.15, tailShare: 0.0005, tailUs: 2000 } });
  report.scenarios['udp-duel'] = duelResult(seed + 30);
  report.scenarios['jwt-cold'] = emptyResult('skipped', 'JWT scenarios need a hayate the bench starts (it sets jwkSetURI to its own key server)');
  for (const r of Object.values(report.scenarios)) if (r.ceiling !== null) report.ceilings[r.ceiling.key] = r.ceiling;
  return report;
}

/** A sweep run: http-announce over workers x shards, throughput falling with both as measured here. */
export function sweepRun(seed = 2, dimensions: Record<string, string[]> = { workers: ['0', '1', '2'], shards: ['1', '16'] }): RunReport {
  const argv = ['--sweep', ...Object.entries(dimensions).map(([k, v]) => `${k}=${v.join(',')}`), '--generator', 'wrk', '--duration', '2', '--no-ceiling'];
  const report = frame(argv, 'sweep-sample');
  const out: SweepCell[] = [];
  cells(dimensions).forEach((cell, i) => {
    const key = `http-announce[${cellLabel(cell)}]`;
    const slower = Object.values(cell).reduce((acc, v) => acc + Math.log2(1 + Number(v)), 0);
    const r = okResult(key, seed + i, Math.round(72_000 - 2_500 * slower), 2, { medianUs: 800 + 60 * slower, spread: 0.3, tailShare: 0.003, tailUs: 6000 }, null);
    report.scenarios[key] = r;
    out.push(sweepCell(cell, 'http-announce', key, r));
  });
  report.sweep = { scenario: 'http-announce', dimensions, cells: out };
  return report;
}
