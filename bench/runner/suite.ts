// Runs a list of scenarios against one set of targets and collects their results; also what a run needs
// around it (the tracker's base config from the options, the generator settings, the results file).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Targets, SkipScenario, type TrackerConfig, BENCH_CONFIG } from '../env/targets.js';
import type { GeneratorOptions, UdpGeneratorKind } from '../load/generators.js';
import type { GitInfo, MachineInfo } from './machine.js';
import type { Options } from './options.js';
import type { RunReport } from './report.js';
import type { RunContext } from './context.js';
import { duelLine } from './duel/duel-result.js';
import { scenarioByName } from '../scenarios/registry.js';
import { emptyResult, limitText, type ScenarioResult } from './result.js';
import { TrackerFailure } from './scenario.js';
import { cpuPerRequestText, spreadText } from './thread-figures.js';

/** `udp`: the UDP generator chosen at start (chooseUdpGenerator). */
export function generatorOptions(opts: Options, udp: UdpGeneratorKind): GeneratorOptions {
  return { kind: opts.generator, threads: opts.threads, wrkThreads: opts.wrkThreads, timeoutSec: opts.timeoutSec, udp };
}

/** --tracker-config, then --workers / --shards, on top of the bench's defaults (targets.ts). */
export function baseTrackerConfig(opts: Options): TrackerConfig {
  let fromFile: TrackerConfig = {};
  if (opts.trackerConfig !== null) {
    const parsed: unknown = JSON.parse(readFileSync(opts.trackerConfig, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`--tracker-config ${opts.trackerConfig}: not a JSON object`);
    fromFile = parsed as TrackerConfig;
  }
  const out: TrackerConfig = { ...fromFile };
  if (opts.workers !== null) out.workers = opts.workers;
  if (opts.shards !== null) out.torrentMapShards = opts.shards;
  return out;
}

export function makeTargets(opts: Options, mainJs: string, extra: TrackerConfig = {}): Targets {
  return new Targets({
    mainJs,
    serverCpus: opts.serverCpus,
    baseConfig: { ...baseTrackerConfig(opts), ...extra },
    trackerArgs: opts.trackerV === null ? [] : [`-v=${opts.trackerV}`],
    external: opts.target === null ? null : { http: opts.target, udp: opts.udpTarget, api: opts.apiTarget, pid: opts.serverPid },
  });
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function oneLine(name: string, r: ScenarioResult): string {
  if (r.status !== 'ok') return `  ${name}: ${r.status.toUpperCase()}: ${r.reason}`;
  if (r.duel !== undefined) return duelLine(name, r);
  const c = r.ceiling;
  const ceiling = c === null ? '' : ` (generator ceiling ${fmt(c.reqPerSec)}: ${Math.round((r.reqPerSec / Math.max(1, c.reqPerSec)) * 100)}%${r.generatorBound ? ', generator-bound' : ''})`;
  const sat = r.limit === null ? '' : `; saturated: ${limitText(r.limit)}` +
    (r.serverCpu === null ? '' : ` (server CPU ${Math.round(r.serverCpu.utilisation * 100)}%, generator ${Math.round((r.generatorCpu?.utilisation ?? 0) * 100)}%)`);
  const l = r.latencyUs;
  const trouble = r.errors + r.timeouts + r.non2xx + r.failures;
  const refused = (r.server?.requestsBad ?? 0) + (r.server?.requestsErrored ?? 0);
  const server = refused === 0 ? '' : `; TRACKER REFUSED/ERRORED ${refused} (its /stats requestsBad + requestsErrored)`;
  const sample = r.sample === null || r.sample.failed === 0 ? '' : `; SAMPLE FAILED ${r.sample.failed}/${r.sample.checked}: ${r.sample.firstFailure}`;
  return `  ${name}: ${fmt(r.reqPerSec)} req/s${ceiling}, p50 ${(l.p50 / 1000).toFixed(2)} ms, p99 ${(l.p99 / 1000).toFixed(2)} ms, ` +
    `max ${(l.max / 1000).toFixed(1)} ms; ${trouble === 0 ? 'no errors' : `errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}, failures ${r.failures}`}` +
    (r.reqPerCpuSec === null ? '' : `; ${fmt(r.reqPerCpuSec)} req per server CPU-second`) + sat + server + sample +
    (r.cpuPerRequestUs == null ? '' : `\n    CPU per answered request: ${cpuPerRequestText(r.cpuPerRequestUs)}`) +
    (r.ioThreads == null ? '' : `\n    I/O threads: ${spreadText(r.ioThreads)}`);
}

/** Runs `names` in order; a scenario that throws is recorded as an error and the run goes on. */
export async function runScenarios(ctx: RunContext, names: string[], keyOf: (name: string) => string = (n) => n): Promise<Record<string, ScenarioResult>> {
  const out: Record<string, ScenarioResult> = {};
  for (const name of names) {
    const scenario = scenarioByName(name)!;
    ctx.log(`> ${keyOf(name)}`);
    let r: ScenarioResult;
    try {
      r = await scenario.run(ctx);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      r = emptyResult(err instanceof SkipScenario ? 'skipped' : 'error', msg);
      if (err instanceof TrackerFailure) r.notes.push('the tracker process exited during the scenario');
      if (!(err instanceof SkipScenario) && !(err instanceof TrackerFailure) && err instanceof Error && err.stack !== undefined) {
        r.notes.push(err.stack.split('\n').slice(0, 4).join(' | '));
      }
    }
    out[keyOf(name)] = r;
    ctx.done.set(name, r);
    ctx.log(oneLine(keyOf(name), r));
  }
  return out;
}

export function reportSkeleton(opts: Options, name: string, started: Date, machine: MachineInfo, git: GitInfo,
  targets: Targets, trackerConfig: TrackerConfig | null, udpGenerator: UdpGeneratorKind): RunReport {
  const ext = opts.target !== null;
  return {
    schema: 'hayate-bench/1',
    name,
    date: started.toISOString(),
    wallSec: 0,
    machine,
    loadAvg: { start: Math.round(loadavg()[0]! * 100) / 100, end: 0 },
    git,
    command: process.argv.slice(2),
    options: {
      durationSec: opts.durationSec, connections: opts.connections, generator: opts.generator, threads: opts.threads,
      wrkThreads: opts.wrkThreads, timeoutSec: opts.timeoutSec, udpGenerator, udpThreads: opts.udpThreads, udpSockets: opts.udpSockets,
      udpWindow: opts.udpWindow, udpTimeoutMs: opts.udpTimeoutMs, poolTorrents: opts.poolTorrents, poolPeers: opts.poolPeers,
      torrents: opts.torrents, zipfS: opts.zipfS, sequence: opts.sequence, heavyPeers: opts.heavyPeers, heavyNumwant: opts.heavyNumwant,
      memoryPeers: opts.memoryPeers, jwtColdTokens: opts.jwtColdTokens, warmupSec: opts.warmupSec,
      ceilingSec: opts.ceilingSec, smoke: opts.smoke,
    },
    target: {
      kind: ext ? 'external' : 'self',
      http: opts.target,
      udp: opts.udpTarget,
      api: opts.apiTarget,
      serverCpus: opts.serverCpus,
      loadCpus: opts.loadCpus,
    },
    trackerConfig: ext ? null : trackerConfig ?? { ...BENCH_CONFIG, ...targets.opts.baseConfig },
    ceilings: {},
    scenarios: {},
    sweep: null,
  };
}
