// Generator ceilings: the generator setup of a scenario (kind, threads, connections or sockets x window)
// run against a trivial responder started on the server CPUs (bench/responders), right before the
// scenario's measured load. Adjacent, because this machine's capacity drifts by ±15% over a minute (seen
// on a quiet VM: back-to-back runs agree, runs a minute apart do not), so a ceiling taken at the start
// of a run cannot judge a result taken two minutes later. A result near its ceiling measures the
// generator, not the tracker.
import { availableParallelism } from 'node:os';
import { cpuCount, cpuSnapshot, cpuUsage, selfCpuSec } from '../env/cpu-time.js';
import { startResponder } from '../env/responders.js';
import { runHttpLoad, runUdpLoad, type GeneratorOptions, type HttpLoad, type UdpLoad } from '../load/generators.js';
import { Progress } from '../load/progress.js';
import type { LoadResult } from '../load/types.js';
import type { Options } from './options.js';
import { ceilingRef, type CeilingRef } from './result.js';

export class Ceilings {
  private readonly cache = new Map<string, CeilingRef | null>();

  constructor(private readonly opts: Options, private readonly generator: GeneratorOptions,
    private readonly standardPaths: () => string[]) {}

  /** Every ceiling measured so far, by key. */
  all(): Record<string, CeilingRef> {
    const out: Record<string, CeilingRef> = {};
    for (const [k, v] of this.cache) if (v !== null) out[k] = v;
    return out;
  }

  async http(scenario: string, desc: string, load: HttpLoad): Promise<CeilingRef | null> {
    const key = `${scenario}: ${desc}`;
    return this.measure(key, 'http', async (port, seconds, progress) => {
      // Once-only sources run on autocannon whatever --generator says; so does their ceiling.
      const g: GeneratorOptions = load.source.kind === 'rotate' ? this.generator : { ...this.generator, kind: 'autocannon' };
      return runHttpLoad(g, {
        host: '127.0.0.1', port, connections: load.connections, durationSec: seconds,
        source: { kind: 'rotate', paths: this.standardPaths() }, newConnections: load.newConnections,
      }, progress);
    });
  }

  async udp(scenario: string, desc: string, load: UdpLoad): Promise<CeilingRef | null> {
    const key = `${scenario}: ${desc}`;
    // The scenario's UDP generator (native or node:dgram), as this.generator.udp says.
    return this.measure(key, 'udp', (port, seconds, progress) => runUdpLoad(this.generator, {
      ...load, host: '127.0.0.1', port, durationSec: seconds, action: 'announce', once: false,
      count: Math.min(load.count, 10_000),
    }, progress));
  }

  private async measure(key: string, kind: 'http' | 'udp',
    run: (port: number, seconds: number, p: Progress | null) => Promise<LoadResult>): Promise<CeilingRef | null> {
    if (!this.opts.ceilings) return null;
    if (this.cache.has(key)) return this.cache.get(key)!;
    const responder = await startResponder(kind, this.opts.serverCpus);
    let ref: CeilingRef | null = null;
    let progress: Progress | null = null;
    try {
      // Unmeasured half a second first: both sides' JIT warm, as the tracker's is after its warm-up pass.
      await run(responder.port, Math.min(0.5, this.opts.ceilingSec / 2), null);
      progress = new Progress(`ceiling ${kind}`, this.opts.ceilingSec);
      const pid = responder.child.pid;
      const before = pid === null ? null : cpuSnapshot(pid);
      const genBefore = selfCpuSec();
      const t0 = performance.now();
      const r = await run(responder.port, this.opts.ceilingSec, progress);
      const wall = (performance.now() - t0) / 1000;
      const after = pid === null ? null : cpuSnapshot(pid);
      const cores = availableParallelism();
      const share = (x: number, list: string | null): number => Math.round((x / wall / cpuCount(list, cores)) * 1000) / 1000;
      ref = ceilingRef(key, r.reqPerSec, r.histogram, share(selfCpuSec() - genBefore, this.opts.loadCpus),
        before === null || after === null ? null : share(cpuUsage(pid!, before, after).cpuSec, this.opts.serverCpus));
    } catch (err) {
      process.stderr.write(`  ceiling ${key}: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      progress?.end();
      await responder.child.stop();
    }
    this.cache.set(key, ref);
    return ref;
  }
}
