// What the cluster scenarios share: a redis-server the bench starts (pinned where asked, its CPU and
// memory read from /proc and INFO), the config that puts a hayate into cluster mode on it (a key prefix
// of its own per scenario), hayate instances placed off the server CPUs, a hayate started with its
// start-up timed from the spawn (a join), and the `/stats` `cluster` figures.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startRedisServer, usedMemory, type RedisServer } from '../../cluster/redis-server-process.js';
import { httpGet } from '../../env/api-client.js';
import { Child } from '../../env/child.js';
import { cpuSnapshot, ticksPerSecond } from '../../env/cpu-time.js';
import { hasTaskset, pinned } from '../../env/pinning.js';
import { freeTcpPort, freeUdpPort } from '../../env/ports.js';
import { BENCH_CONFIG, SkipScenario, Targets, type Target, type TrackerConfig } from '../../env/targets.js';
import type { RunContext } from '../../runner/context.js';

let missing: string | undefined;

/** '' when redis-server and redis-cli run here, else why not. */
export function redisMissing(): string {
  if (missing === undefined) {
    missing = '';
    for (const cmd of ['redis-server', 'redis-cli']) {
      if (spawnSync(cmd, ['--version'], { stdio: 'ignore', timeout: 5000 }).status !== 0) {
        missing = `${cmd} is not installed (Debian: apt-get install redis-server)`;
        break;
      }
    }
  }
  return missing;
}

/** The skips every cluster scenario shares: a tracker already running, no Redis. */
export function checkClusterPrereqs(ctx: RunContext): void {
  if (ctx.targets.isExternal) throw new SkipScenario('cluster scenarios start their own hayate instances and redis-server: they cannot use --target');
  const m = redisMissing();
  if (m !== '') throw new SkipScenario(m);
}

export interface BenchRedis {
  port: number;
  pid: number;
  url: string;
  version: string;
  /** A command through redis-cli; its output. */
  cli(args: string[]): Promise<string>;
  usedMemory(): Promise<number>;
  /** utime + stime of the redis-server process so far, seconds (null once it is gone). */
  cpuSec(): number | null;
  stop(): Promise<void>;
}

/** A throwaway redis-server (no persistence) pinned to `cpus` (every thread of it) when given. */
export async function startBenchRedis(cpus: string | null): Promise<BenchRedis> {
  const server: RedisServer = await startRedisServer();
  try {
    if (cpus !== null) {
      if (!hasTaskset()) throw new Error('pinning redis-server needs taskset (util-linux)');
      const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(server.pid)], { encoding: 'utf8', timeout: 5000 });
      if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${server.pid}: ${(r.stderr || r.stdout).trim()}`);
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const cli = (args: string[]): Promise<string> => new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', String(server.port), ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 16 << 20 }, (err, out) => {
      if (err !== null) reject(new Error(`redis-cli ${args.join(' ')}: ${err.message}`));
      else resolve(out);
    });
  });
  const info = await cli(['INFO', 'server']);
  return {
    port: server.port, pid: server.pid, url: `redis://127.0.0.1:${server.port}`,
    version: /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown',
    cli,
    usedMemory: async () => usedMemory(await cli(['INFO', 'memory'])),
    cpuSec: () => {
      const s = cpuSnapshot(server.pid);
      return s === null ? null : s.ticks / ticksPerSecond();
    },
    stop: () => server.stop(),
  };
}

/** The config keys that put a hayate into cluster mode on `redis`, under `prefix`. */
export function clusterConfig(redis: BenchRedis, prefix: string): TrackerConfig {
  return { redisURL: redis.url, redisKeyPrefix: prefix };
}

/** A key prefix of its own for one scenario run (several runs may share a redis-server). */
export function freshPrefix(name: string): string {
  return `bench-${name}-${randomBytes(3).toString('hex')}`;
}

/** hayate instances the bench starts on `cpus` instead of the server CPUs (null: unpinned); close() after. */
export function targetsOn(ctx: RunContext, cpus: string | null): Targets {
  return new Targets({ ...ctx.targets.opts, serverCpus: cpus });
}

/** The `cluster` object of a hayate's /stats (the figures the scenarios read). */
export interface ClusterFigures {
  link: string;
  synced: boolean;
  changesPublished: number;
  batchesPublished: number;
  changesReceived: number;
  changesDropped: number;
  outboxChanges: number;
  republishes: number;
  joinChanges: number;
  joinMs: number;
  lagP50Ms: number;
  lagP99Ms: number;
  threadId: number;
  peers: number;
  torrents: number;
}

export async function clusterFigures(t: Target | { apiBase: string | null }): Promise<ClusterFigures> {
  if (t.apiBase === null) throw new Error('no admin API');
  const r = await httpGet(`${t.apiBase}/stats`);
  if (r.status !== 200) throw new Error(`GET ${t.apiBase}/stats: HTTP ${r.status}`);
  const s = JSON.parse(r.body.toString()) as Record<string, any>;
  const c = s.cluster as Record<string, any> | undefined;
  if (c === undefined) throw new Error(`${t.apiBase}/stats has no cluster object: not in cluster mode`);
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    link: String(c.link), synced: c.synced === true,
    changesPublished: num(c.changesPublished), batchesPublished: num(c.batchesPublished), changesReceived: num(c.changesReceived),
    changesDropped: num(c.changesDropped), outboxChanges: num(c.outboxChanges), republishes: num(c.republishes),
    joinChanges: num(c.joinChanges), joinMs: num(c.joinMs),
    lagP50Ms: num(c.lagMs?.P50), lagP99Ms: num(c.lagMs?.P99), threadId: num(c.threadId),
    peers: num(s.peersIPv4?.Peers?.Current) + num(s.peersIPv6?.Peers?.Current),
    torrents: num(s.torrentsSize),
  };
}

/** Waits (bounded) until `done` holds for the figures of `t`; the last figures either way. */
export async function waitForFigures(t: Target | { apiBase: string | null }, done: (f: ClusterFigures) => boolean, timeoutMs: number,
  everyMs = 100): Promise<{ ok: boolean; figures: ClusterFigures }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const f = await clusterFigures(t);
    if (done(f)) return { ok: true, figures: f };
    if (performance.now() > deadline) return { ok: false, figures: f };
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A hayate started for a timed join: its process, admin API and the moment it was spawned. */
export interface TimedInstance {
  child: Child;
  apiBase: string;
  spawnedAt: number;            // performance.now() just before the spawn
  stop(): Promise<void>;
}

/**
 * Starts a hayate (the bench's base config + `overrides`) on `cpus` and returns at once, without waiting
 * for /check: the caller times its start-up from `spawnedAt`.
 */
export async function spawnInstance(ctx: RunContext, cpus: string | null, overrides: TrackerConfig): Promise<TimedInstance> {
  const [httpPort, udpPort, apiPort] = await Promise.all([freeTcpPort(), freeUdpPort(), freeTcpPort()]);
  const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-join-'));
  const config: TrackerConfig = {
    ...BENCH_CONFIG, ...ctx.targets.opts.baseConfig, ...overrides,
    httpListenAddr: `127.0.0.1:${httpPort}`, udpListenAddr: `127.0.0.1:${udpPort}`, apiListenAddr: `127.0.0.1:${apiPort}`,
  };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const cmd = pinned(cpus, process.execPath, [ctx.targets.opts.mainJs, `-config=${file}`, ...(ctx.targets.opts.trackerArgs ?? [])]);
  const spawnedAt = performance.now();
  const child = new Child(cmd.command, cmd.args, 'hayate (joining)');
  return {
    child, apiBase: `http://127.0.0.1:${apiPort}`, spawnedAt,
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET /check: its status, or 0 while nothing answers. */
export async function checkStatus(apiBase: string): Promise<number> {
  try {
    return (await httpGet(`${apiBase}/check`, 1000)).status;
  } catch {
    return 0;
  }
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
