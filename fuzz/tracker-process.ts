// The tracker under test: `node dist/main.js -config=<tmp config.json>` on ports that were free a moment
// ago, as the CLI tests start it (test/helpers/process.ts). While a fuzzer runs, a monitor samples the
// process's VmRSS (/proc/<pid>/status) and asks /check once a second.
import { readFileSync } from 'node:fs';
import { freeListenAddrs, run, tempDir, waitUntilServing, type Run } from '../test/helpers/process.js';
import { get, getJson } from '../test/helpers/tracker.js';

export interface StartedTracker {
  run: Run;
  pid: number;
  httpPort: number;
  udpPort: number;
  apiPort: number;
  /** UDP listens on both families ([::]:port), so ::1 sources can be fuzzed */
  udpDual: boolean;
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts hayate with `config` (listen addresses are added here). */
export async function startTracker(config: Record<string, unknown>, udpDual: boolean): Promise<StartedTracker> {
  const ports = await freeListenAddrs();
  const udpPort = Number(ports.config.udpListenAddr!.split(':').pop());
  const full = {
    ...config,
    httpListenAddr: ports.config.httpListenAddr,
    apiListenAddr: ports.config.apiListenAddr,
    udpListenAddr: udpDual ? `[::]:${udpPort}` : ports.config.udpListenAddr,
  };
  const tmp = tempDir();
  const path = tmp.write('config.json', JSON.stringify(full, null, 2));
  const r = run([`-config=${path}`]);
  try {
    await waitUntilServing(r, ports.api);
  } catch (err) {
    r.child.kill('SIGKILL');
    tmp.cleanup();
    throw err;
  }
  const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (r.alive()) r.child.kill('SIGTERM');
    const timer = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
    const exit = await r.exited;
    clearTimeout(timer);
    tmp.cleanup();
    return exit;
  };
  return { run: r, pid: r.child.pid!, httpPort: ports.http, udpPort, apiPort: ports.api, udpDual, stop };
}

/** VmRSS in KiB, or null when the process is gone. */
export function rssKiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** GET /check with a bound: true when it answered STILL-ALIVE within `timeoutMs`. */
export async function checkAlive(apiPort: number, timeoutMs = 2_000): Promise<{ ok: boolean; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await Promise.race([
      get(`http://127.0.0.1:${apiPort}/check`),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs)),
    ]);
    return { ok: res.status === 200 && res.body.toString() === 'STILL-ALIVE', ms: performance.now() - t0 };
  } catch {
    return { ok: false, ms: performance.now() - t0 };
  }
}

export async function stats(apiPort: number): Promise<Record<string, unknown> | null> {
  try {
    return await getJson(`http://127.0.0.1:${apiPort}/stats`);
  } catch {
    return null;
  }
}

export interface MonitorReport {
  /** RSS when the monitor started (after start-up), KiB */
  startKiB: number;
  maxKiB: number;
  finalKiB: number;
  samples: number;
  checks: number;
  checkFailures: number;
  checkMaxMs: number;
}

/** Samples RSS and /check every `everyMs` until stopped. */
export class Monitor {
  private readonly r: MonitorReport;
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(private readonly pid: number, private readonly apiPort: number, private readonly everyMs = 1_000) {
    const now = rssKiB(pid) ?? 0;
    this.r = { startKiB: now, maxKiB: now, finalKiB: now, samples: 1, checks: 0, checkFailures: 0, checkMaxMs: 0 };
  }

  start(): this {
    this.timer = setInterval(() => this.tick(), this.everyMs);
    return this;
  }

  private tick(): void {
    this.sample();
    if (this.checking) return; // the previous /check is still out: it counts when it ends
    this.checking = true;
    void checkAlive(this.apiPort).then(({ ok, ms }) => {
      this.checking = false;
      this.r.checks++;
      if (!ok) this.r.checkFailures++;
      this.r.checkMaxMs = Math.max(this.r.checkMaxMs, Math.round(ms));
    });
  }

  private sample(): void {
    const kib = rssKiB(this.pid);
    if (kib === null) return;
    this.r.samples++;
    this.r.finalKiB = kib;
    if (kib > this.r.maxKiB) this.r.maxKiB = kib;
  }

  stop(): MonitorReport {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return { ...this.r };
  }
}
