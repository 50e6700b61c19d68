// Chooses and runs a load generator. HTTP keep-alive: autocannon on `threads` worker threads (the same
// idea as autocannon's own `workers` option, but keeping per-request microsecond latencies) or wrk when
// asked for and installed. New connection per request: our node:net loop. Once-only lists (JWT cold
// tokens, swarm preloads) always go through autocannon, which can stop after an exact count.
// UDP: the native generator (bench/load/native/udp-load.c, recvmmsg/sendmmsg; `udpThreads` pthreads) when it
// was chosen (the default where it compiles), else our node:dgram generator on `udpThreads` worker threads.
import type { SwarmFill } from '../workload/paths.js';
import type { Progress } from './progress.js';
import { runThreads } from './threads.js';
import type { HttpTask, LoadResult, PathSource, UdpAction, UdpTask } from './types.js';
import { describeNativeUdp, nativeUdpBuild, runNativeUdp } from './udp-native.js';
import { runWrk } from './wrk.js';

export type GeneratorKind = 'autocannon' | 'wrk';
export type UdpGeneratorKind = 'native' | 'node';

export interface GeneratorOptions {
  kind: GeneratorKind;
  threads: number;        // autocannon / new-connection generator threads
  wrkThreads: number;
  timeoutSec: number;
  udp: UdpGeneratorKind;  // resolved once at start (chooseUdpGenerator): 'native' only when it compiled
}

export interface HttpLoad {
  host: string;
  port: number;
  connections: number;
  durationSec: number;
  /** Rotate through a list, or send a list once, or send fill positions once (built on the fly). */
  source: { kind: 'rotate'; paths: string[] } | { kind: 'once'; paths: string[] } | { kind: 'fill'; fill: SwarmFill; count: number };
  newConnections?: boolean;
}

function split(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

export function describeHttpGenerator(g: GeneratorOptions, load: HttpLoad): string {
  if (load.newConnections) return `node:net new-connection loop (${g.threads} thread${g.threads > 1 ? 's' : ''}, ${load.connections} concurrent)`;
  const kind = load.source.kind === 'rotate' ? g.kind : 'autocannon';
  if (kind === 'wrk') return `wrk (${Math.min(g.wrkThreads, load.connections)} thread${g.wrkThreads > 1 ? 's' : ''}, ${load.connections} connections)`;
  return `autocannon (${g.threads} thread${g.threads > 1 ? 's' : ''}, ${load.connections} connections)`;
}

export async function runHttpLoad(g: GeneratorOptions, load: HttpLoad, progress: Progress | null): Promise<LoadResult> {
  const label = describeHttpGenerator(g, load);
  const src = load.source;
  if (!load.newConnections && src.kind === 'rotate' && g.kind === 'wrk') {
    const r = await runWrk({
      host: load.host, port: load.port, paths: src.paths, connections: load.connections, threads: g.wrkThreads,
      durationSec: load.durationSec, timeoutSec: g.timeoutSec,
    }, progress);
    return r;
  }
  const threads = Math.max(1, Math.min(g.threads, load.connections));
  const tasks: HttpTask[] = [];
  let first = 0;
  const total = src.kind === 'rotate' ? 0 : src.kind === 'once' ? src.paths.length : src.count;
  for (let i = 0; i < threads; i++) {
    const share = split(total, threads, i);
    let source: PathSource;
    if (src.kind === 'rotate') source = { kind: 'list', paths: src.paths, offset: Math.floor((i * src.paths.length) / threads), once: false };
    else if (src.kind === 'once') source = { kind: 'list', paths: src.paths.slice(first, first + share), offset: 0, once: true };
    else source = { kind: 'fill', fill: src.fill, first, count: share };
    first += share;
    if (src.kind !== 'rotate' && share === 0) continue;
    tasks.push({
      kind: load.newConnections ? 'new-conn' : 'autocannon',
      host: load.host, port: load.port,
      connections: split(load.connections, threads, i),
      durationSec: load.durationSec,
      maxRequests: 0,
      timeoutSec: g.timeoutSec,
      source,
    });
  }
  return runThreads(tasks, label, progress);
}

export interface UdpLoad {
  host: string;
  port: number;
  threads: number;
  sockets: number;        // per thread
  window: number;         // in flight per socket
  durationSec: number;
  timeoutMs: number;
  action: UdpAction;
  fill: SwarmFill;
  /** Positions to rotate through (or send once): 0 .. count-1 of the fill order. */
  count: number;
  once: boolean;
  hashesPerScrape: number;
}

export function describeUdpGenerator(g: Pick<GeneratorOptions, 'udp'>, load: Pick<UdpLoad, 'threads' | 'sockets' | 'window'>): string {
  if (g.udp === 'native') return describeNativeUdp(load);
  return `node:dgram (${load.threads} thread${load.threads > 1 ? 's' : ''} x ${load.sockets} sockets x ${load.window} in flight)`;
}

export interface UdpGeneratorChoice {
  kind: UdpGeneratorKind;
  /** Why the default fell back to node:dgram (printed once); an explicit 'native' that failed: error. */
  note: string | null;
  error: string | null;
}

/** `requested` null: native when it builds here, else node. */
export function chooseUdpGenerator(requested: UdpGeneratorKind | null): UdpGeneratorChoice {
  if (requested === 'node') return { kind: 'node', note: null, error: null };
  const build = nativeUdpBuild();
  if (build.ok) return { kind: 'native', note: null, error: null };
  if (requested === 'native') return { kind: 'native', note: null, error: `--udp-generator native: ${build.reason}` };
  return { kind: 'node', note: `UDP generator: node:dgram (the native one is unavailable: ${build.reason})`, error: null };
}

export async function runUdpLoad(g: Pick<GeneratorOptions, 'udp'>, load: UdpLoad, progress: Progress | null): Promise<LoadResult> {
  if (g.udp === 'native') {
    const build = nativeUdpBuild();
    if (!build.ok) throw new Error(`native UDP generator: ${build.reason}`);
    return runNativeUdp(build.binary, load, progress);
  }
  const tasks: UdpTask[] = [];
  let first = 0;
  for (let i = 0; i < load.threads; i++) {
    const share = split(load.count, load.threads, i);
    if (share === 0) continue;
    tasks.push({
      kind: 'udp', host: load.host, port: load.port, sockets: load.sockets, window: load.window,
      durationSec: load.durationSec, maxRequests: 0, timeoutMs: load.timeoutMs,
      workload: { action: load.action, fill: load.fill, first, count: share, once: load.once, hashesPerScrape: load.hashesPerScrape },
    });
    first += share;
  }
  return runThreads(tasks, describeUdpGenerator(g, load), progress);
}
