// What every scenario gets: the options, the tracker targets, the generators with their ceilings, and
// `measure*`, which wraps one load phase with everything recorded around it (progress bar, the
// tracker's CPU time from /proc, its /stats counters, the histogram file, the ceiling comparison).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuCount, cpuSnapshot, cpuUsage, rssBytes, selfCpuSec } from '../env/cpu-time.js';
import { othersCpuSec, othersSnapshot, stealSec } from '../env/other-processes.js';
import { availableParallelism } from 'node:os';
import { readStats, type StatsFigures } from '../env/api-client.js';
import type { Target, Targets } from '../env/targets.js';
import { describeHttpGenerator, describeUdpGenerator, runHttpLoad, runUdpLoad, type GeneratorOptions, type HttpLoad, type UdpLoad } from '../load/generators.js';
import { percentileDistribution } from '../load/histogram.js';
import { Progress } from '../load/progress.js';
import type { LoadResult } from '../load/types.js';
import type { Options } from './options.js';
import { fillAnnounces } from '../workload/pools.js';
import type { SwarmFill } from '../workload/paths.js';
import type { Ceilings } from './ceilings.js';
import { cpuPerRequest, ioSpread } from './thread-figures.js';
import { emptyResult, GENERATOR_BOUND_SHARE, generatorBoundOf, limitOf, recordLatency, type CeilingRef, type ScenarioResult } from './result.js';

export interface Histograms {
  /** Writes a histogram's percentile distribution; returns the file name (relative to the results). */
  write(scenario: string, text: string): string | null;
}

export class RunContext {
  private standard: string[] | null = null;
  /** Results of scenarios already run in this invocation (for ratios such as jwt-warm / http-announce). */
  readonly done = new Map<string, ScenarioResult>();
  /** Run once at the end of the invocation (servers the scenarios started). */
  readonly cleanups: (() => Promise<void>)[] = [];
  /** Shared, lazily built state of scenarios (e.g. the JWK server), by name. */
  readonly shared = new Map<string, unknown>();

  constructor(
    readonly opts: Options,
    readonly targets: Targets,
    readonly generator: GeneratorOptions,
    readonly ceilings: Ceilings,
    readonly histograms: Histograms,
  ) {}

  /** The standard pool: poolTorrents × poolPeers peers, compact announces with numwant=50. */
  get standardFill(): SwarmFill {
    return { salt: 'standard', torrents: this.opts.poolTorrents, peersPerTorrent: this.opts.poolPeers, numwant: 50 };
  }

  standardAnnounces(): string[] {
    return this.standard ??= fillAnnounces(this.standardFill);
  }

  log(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  /** A not-measured pass (JIT, swarm population, verdict caches): once through `paths`, at most warmupSec. */
  async warmup(target: Target, paths: string[], label = 'warm-up'): Promise<LoadResult> {
    const progress = new Progress(label, this.opts.warmupSec, paths.length);
    try {
      return await runHttpLoad(this.generator, {
        host: target.host, port: target.httpPort, connections: this.opts.connections,
        durationSec: this.opts.warmupSec, source: { kind: 'once', paths },
      }, progress);
    } finally {
      progress.end();
    }
  }

  /** Loads without measuring (swarm preloads), bounded by `maxSec`. */
  async preload(target: Target, load: Omit<HttpLoad, 'host' | 'port'>, label: string, expected: number): Promise<LoadResult> {
    const progress = new Progress(label, load.durationSec, expected);
    try {
      return await runHttpLoad(this.generator, { ...load, host: target.host, port: target.httpPort }, progress);
    } finally {
      progress.end();
    }
  }

  async preloadUdp(load: UdpLoad, label: string, expected: number): Promise<LoadResult> {
    const progress = new Progress(label, load.durationSec, expected);
    try {
      return await runUdpLoad(this.generator, load, progress);
    } finally {
      progress.end();
    }
  }

  async measureHttp(name: string, target: Target, load: Omit<HttpLoad, 'host' | 'port'>): Promise<ScenarioResult> {
    const full: HttpLoad = { ...load, host: target.host, port: target.httpPort };
    const desc = describeHttpGenerator(this.generator, full);
    const ceiling = await this.ceilings.http(name, desc, full);
    const expected = load.source.kind === 'rotate' ? 0 : load.source.kind === 'once' ? load.source.paths.length : load.source.count;
    return this.measure(name, target, 'http', ceiling, load.connections, load.durationSec, expected,
      (p) => runHttpLoad(this.generator, full, p));
  }

  async measureUdp(name: string, target: Target, load: Omit<UdpLoad, 'host' | 'port'>): Promise<ScenarioResult> {
    const full: UdpLoad = { ...load, host: target.udpHost, port: target.udpPort! };
    const ceiling = await this.ceilings.udp(name, describeUdpGenerator(this.generator, full), full);
    return this.measure(name, target, 'udp', ceiling, load.threads * load.sockets * load.window, load.durationSec,
      load.once ? load.count : 0, (p) => runUdpLoad(this.generator, full, p));
  }

  private async measure(name: string, target: Target, protocol: 'http' | 'udp', ceiling: CeilingRef | null,
    connections: number, seconds: number, expected: number, run: (p: Progress) => Promise<LoadResult>): Promise<ScenarioResult> {
    const statsBefore = await this.stats(target);
    const cpuBefore = target.pid === null ? null : cpuSnapshot(target.pid);
    const genBefore = selfCpuSec();
    const genThreadsBefore = cpuSnapshot(process.pid);
    const exclude = new Set([process.pid, ...(target.pid === null ? [] : [target.pid])]);
    const othersBefore = othersSnapshot(exclude);
    const stealBefore = stealSec();
    const wallBefore = performance.now();
    const progress = new Progress(name, seconds, expected);
    let load: LoadResult;
    try {
      load = await run(progress);
    } finally {
      progress.end();
    }
    const cpuAfter = target.pid === null ? null : cpuSnapshot(target.pid);
    const genSec = selfCpuSec() - genBefore;
    const genThreadsAfter = cpuSnapshot(process.pid);
    const othersAfter = othersSnapshot(exclude);
    const stealAfter = stealSec();
    const wallSec = (performance.now() - wallBefore) / 1000;
    const statsAfter = await this.stats(target);
    const r = emptyResult('ok', null);
    r.protocol = protocol;
    r.generator = load.generator;
    r.connections = connections;
    r.durationSec = round(load.elapsedSec, 3);
    r.requests = load.requests;
    r.reqPerSec = Math.round(load.reqPerSec);
    r.errors = load.errors;
    r.timeouts = load.timeouts;
    r.non2xx = load.non2xx;
    r.failures = load.failures;
    r.late = load.late;
    r.statusCodes = load.statusCodes;
    recordLatency(r, load.histogram);
    r.histogramFile = this.histograms.write(name, percentileDistribution(load.histogram));
    r.notes.push(...load.notes);
    r.ceiling = ceiling;
    const cores = availableParallelism();
    r.generatorCpu = { cpuSec: round(genSec, 3), utilisation: round(genSec / wallSec / cpuCount(this.opts.loadCpus, cores), 3) };
    // A side is saturated when its CPUs are, or when one of its threads is (a Node event loop).
    let genShare = r.generatorCpu.utilisation;
    if (genThreadsBefore !== null && genThreadsAfter !== null) {
      const u = cpuUsage(process.pid, genThreadsBefore, genThreadsAfter);
      genShare = Math.max(genShare, (u.busiestThreads[0]?.cpuSec ?? 0) / wallSec, u.mainThreadSec / wallSec);
    }
    r.generatorBound = generatorBoundOf(r.reqPerSec, ceiling, genShare);
    if (ceiling !== null && !r.generatorBound && r.reqPerSec >= GENERATOR_BOUND_SHARE * ceiling.reqPerSec) {
      r.notes.push('near a ceiling the responder set (not the generator), generator not saturated: not generator-bound');
    }
    let serverShare: number | null = null;
    if (cpuBefore !== null && cpuAfter !== null) {
      r.serverCpu = cpuUsage(target.pid!, cpuBefore, cpuAfter);
      r.reqPerCpuSec = r.serverCpu.cpuSec > 0 ? Math.round(r.requests / r.serverCpu.cpuSec) : null;
      r.cpuPerRequestUs = cpuPerRequest(r.serverCpu, r.requests);
      serverShare = Math.max(r.serverCpu.utilisation / cpuCount(target.kind === 'self' ? this.opts.serverCpus : null, cores),
        r.serverCpu.mainThreadSec / r.serverCpu.wallSec);
    }
    if (othersBefore !== null && othersAfter !== null) {
      r.otherProcessesCpuSec = othersCpuSec(othersBefore, othersAfter);
      if (r.otherProcessesCpuSec > 0.1 * wallSec) {
        r.notes.push(`other processes used ${r.otherProcessesCpuSec.toFixed(1)} CPU-s during the ${wallSec.toFixed(1)} s of load: figures are disturbed`);
      }
    }
    if (stealBefore !== null && stealAfter !== null) {
      r.stealSec = round(stealAfter - stealBefore, 3);
      if (r.stealSec > 0.05 * wallSec * cores) {
        r.notes.push(`the hypervisor took ${r.stealSec.toFixed(1)} CPU-s (steal) during the ${wallSec.toFixed(1)} s of load: figures are disturbed`);
      }
    }
    const shared = this.opts.serverCpus === null && this.opts.loadCpus === null && target.kind === 'self' && r.serverCpu !== null;
    r.limit = limitOf(serverShare, genShare, shared ? (r.serverCpu!.cpuSec + genSec) / wallSec / cores : null,
      ((r.otherProcessesCpuSec ?? 0) + (r.stealSec ?? 0)) / wallSec / cores);
    if (statsBefore !== null && statsAfter !== null) {
      const d = (k: 'requestsHandled' | 'requestsErrored' | 'requestsBad'): number | null =>
        statsBefore[k] === null || statsAfter[k] === null ? null : statsAfter[k]! - statsBefore[k]!;
      r.server = {
        requestsHandled: d('requestsHandled'), requestsErrored: d('requestsErrored'), requestsBad: d('requestsBad'),
        rssBytesAfter: (target.pid === null ? null : rssBytes(target.pid)) ?? statsAfter.rssBytes,
      };
      r.ioThreads = ioSpread(statsBefore, statsAfter, protocol);
      if (statsAfter.ioThreads !== null) r.extra.ioThreads = Object.keys(statsAfter.ioThreads).length;
    }
    if (r.serverCpu !== null) {
      const owners = Object.keys(r.serverCpu.threads).filter((n) => /^swarm-\d+$/.test(n)).length;
      if (r.serverCpu.threads['io-01'] !== undefined) r.extra.swarmWorkers = owners;
    }
    return r;
  }

  async stats(target: Target): Promise<StatsFigures | null> {
    if (target.apiBase === null) return null;
    try {
      return await readStats(target.apiBase);
    } catch {
      return null;
    }
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Writes histogram text into `dir` as <prefix>-<scenario>.hgrm. */
export function histogramWriter(dir: string, prefix: string): Histograms {
  return {
    write(scenario: string, text: string): string {
      const file = `${prefix}-${scenario}.hgrm`;
      writeFileSync(join(dir, file), text);
      return file;
    },
  };
}
