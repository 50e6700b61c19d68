// What the scenarios load: a hayate the bench starts itself (dist/main.js on free 127.0.0.1 ports with a
// temporary chihaya-style config, pinned with taskset when asked; fresh for every scenario) or a tracker
// already running (--target/--udp-target/--api-target; --server-pid for CPU figures).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './api-client.js';
import { Child, type ExitInfo } from './child.js';
import { pinned } from './pinning.js';
import { freeTcpPort, freeUdpPort } from './ports.js';
import { probeUdp } from './udp-probe.js';

export type TrackerConfig = Record<string, unknown>;

export interface Target {
  kind: 'self' | 'external';
  host: string;                 // HTTP tracker host
  httpPort: number;
  udpHost: string;
  udpPort: number | null;       // null: no UDP tracker answering
  udpNote: string;              // why UDP is unavailable, when it is
  apiBase: string | null;
  pid: number | null;
  config: TrackerConfig | null; // self only: the config file's content
  /** Self only: the process, for crash detection. */
  child: Child | null;
}

export interface TargetOptions {
  mainJs: string;
  serverCpus: string | null;
  baseConfig: TrackerConfig;    // merged under every scenario's overrides
  trackerArgs?: string[];       // extra command-line flags (e.g. -v=2)
  external: { http: string; udp: string | null; api: string | null; pid: number | null } | null;
}

/** Defaults the bench gives a hayate it starts: long announce intervals (nothing is reaped during a run),
 *  fresh memory figures in /stats, a short shutdown grace period. */
export const BENCH_CONFIG: TrackerConfig = {
  announce: '30m',
  minAnnounce: '15m',
  reapInterval: '60s',
  defaultNumWant: 50,
  maxNumWant: 200,
  workers: 0,
  torrentMapShards: 1,
  memStatsInterval: '1s',
  httpRequestTimeout: '2s',
};

function hostPort(text: string, what: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what}: expected HOST:PORT, got "${text}"`);
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

export class Targets {
  private readonly dir = mkdtempSync(join(tmpdir(), 'hayate-bench-'));
  private externalTarget: Target | null = null;

  constructor(readonly opts: TargetOptions) {}

  get isExternal(): boolean {
    return this.opts.external !== null;
  }

  /** A target for one scenario; `overrides` are config keys (self-started only). */
  async acquire(overrides: TrackerConfig = {}): Promise<Target> {
    if (this.opts.external !== null) {
      if (Object.keys(overrides).length > 0) {
        throw new SkipScenario(`needs tracker settings (${Object.keys(overrides).join(', ')}) the bench can only apply to a hayate it starts`);
      }
      return this.externalTarget ??= await this.external();
    }
    return this.startSelf(overrides);
  }

  async release(t: Target): Promise<ExitInfo | null> {
    if (t.kind === 'external' || t.child === null) return null;
    return t.child.stop();
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async external(): Promise<Target> {
    const e = this.opts.external!;
    const http = hostPort(e.http, '--target');
    let udpPort: number | null = null;
    let udpNote = 'no --udp-target given';
    let udpHost = http.host;
    if (e.udp !== null) {
      const u = hostPort(e.udp, '--udp-target');
      udpHost = u.host;
      if (await probeUdp(u.host, u.port)) {
        udpPort = u.port;
        udpNote = '';
      } else udpNote = `no BEP 15 connect answer from ${e.udp}`;
    }
    return {
      kind: 'external', host: http.host, httpPort: http.port, udpHost, udpPort, udpNote,
      apiBase: e.api === null ? null : `http://${e.api}`, pid: e.pid, config: null, child: null,
    };
  }

  private async startSelf(overrides: TrackerConfig): Promise<Target> {
    const [httpPort, udpPort, apiPort] = await Promise.all([freeTcpPort(), freeUdpPort(), freeTcpPort()]);
    const config: TrackerConfig = {
      ...BENCH_CONFIG,
      ...this.opts.baseConfig,
      ...overrides,
      httpListenAddr: `127.0.0.1:${httpPort}`,
      udpListenAddr: `127.0.0.1:${udpPort}`,
      apiListenAddr: `127.0.0.1:${apiPort}`,
    };
    let child: Child;
    try {
      child = await this.spawnTracker(config);
    } catch (err) {
      // A hayate without a UDP frontend (or with a broken one) still serves the HTTP scenarios.
      if (!/udp/i.test(String(err))) throw err;
      config.udpListenAddr = '';
      child = await this.spawnTracker(config);
    }
    const apiBase = `http://127.0.0.1:${apiPort}`;
    let udpOk = false;
    let udpNote = '';
    if (config.udpListenAddr === '') udpNote = 'hayate failed to start with udpListenAddr set; started without UDP';
    else if (/udp off/.test(child.output())) udpNote = 'hayate reports "udp off" (no UDP frontend in this build)';
    else {
      udpOk = await probeUdp('127.0.0.1', udpPort);
      if (!udpOk) udpNote = `hayate does not answer BEP 15 connect on udp ${udpPort}`;
    }
    return {
      kind: 'self', host: '127.0.0.1', httpPort, udpHost: '127.0.0.1', udpPort: udpOk ? udpPort : null, udpNote,
      apiBase, pid: child.pid, config, child,
    };
  }

  private async spawnTracker(config: TrackerConfig): Promise<Child> {
    const file = join(this.dir, `config-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`);
    writeFileSync(file, JSON.stringify(config, null, 2));
    const cmd = pinned(this.opts.serverCpus, process.execPath, [this.opts.mainJs, `-config=${file}`, ...(this.opts.trackerArgs ?? [])]);
    const child = new Child(cmd.command, cmd.args, 'hayate');
    const apiBase = `http://${String(config.apiListenAddr)}`;
    const deadline = performance.now() + 20_000;
    while (performance.now() < deadline) {
      if (!child.running) throw new Error(`hayate exited at start (${child.exitInfo?.code ?? child.exitInfo?.signal}): ${child.output().trim().slice(-1500)}`);
      if (await isAlive(apiBase)) return child;
      await new Promise((r) => setTimeout(r, 100));
    }
    await child.stop(2000);
    throw new Error(`hayate did not answer ${apiBase}/check within 20 s: ${child.output().trim().slice(-1500)}`);
  }
}

/** Thrown by a scenario (or target acquisition) that cannot run here: reported as skipped, not failed. */
export class SkipScenario extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipScenario';
  }
}
