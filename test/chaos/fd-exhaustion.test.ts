// Chaos: connections up to the tracker's file-descriptor limit. hayate sets no connection limit of its
// own (httpListenLimit is accepted, not enforced); a process that runs out of descriptors cannot accept
// more connections, or open anything else, until held ones close (idle ones do within 8-12 s). It must
// not die of it: here hayate runs under `prlimit --nofile=256`, 300 idle connections are opened to its
// HTTP port, a health check is attempted on the admin API meanwhile, and memory figures are refreshed
// every second (process.memoryUsage reads /proc, which needs a descriptor). After the idle ones are
// closed, it serves again and stops cleanly.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { cpuSnapshot, cpuUsage, statTicks, ticksPerSecond } from '../../bench/env/cpu-time.js';
import { assertBuilt, freeListenAddrs, MAIN, REPO_ROOT, stopCleanly, tempDir, type Run } from '../helpers/process.js';
import { request, sleep, waitFor } from '../helpers/tracker.js';
import { waitServing } from './chaos-load.js';

const NOFILE = 256;
const HELD = 300;

function hasPrlimit(): boolean {
  const r = spawnSync('prlimit', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  return r.error === undefined && r.status === 0;
}

/** `node dist/main.js args` under `prlimit --nofile=N:N`, as process.ts's run() does it. */
function runLimited(args: string[]): Run {
  const child = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, process.execPath, MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let done = false;
  child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => { done = true; setImmediate(() => resolve({ code, signal })); });
  });
  return { child, stdout: () => out, stderr: () => err, exited, alive: () => !done };
}

/** Open descriptors of `pid`; -1 once it is gone. */
function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** CPU seconds `pid` has used; NaN once it is gone. */
function cpuSec(pid: number): number {
  try {
    return statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

describe('chaos: file descriptors exhausted by idle connections', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  const held: net.Socket[] = [];
  let r: Run | null = null;
  after(() => {
    for (const s of held) s.destroy();
    r?.child.kill('SIGKILL');
    tmp.cleanup();
  });

  it(`under prlimit --nofile=${NOFILE}, ${HELD} idle connections do not kill the tracker; it serves again once they close`, async (t) => {
    assertBuilt();
    if (!hasPrlimit()) return t.skip('prlimit (util-linux) is not installed');
    const addrs = await freeListenAddrs();
    const config = tmp.write('config.json', JSON.stringify({ ...addrs.config, udpListenAddr: '', ioThreads: 2, workers: 0, memStatsInterval: '1s' }));
    r = runLimited([`-config=${config}`]);
    await waitServing(r, addrs.api);
    const pid = r.child.pid!; // prlimit execs node in its own process
    const baseline = fdCount(pid);
    const cpu0 = cpuSec(pid);
    const snap0 = cpuSnapshot(pid);
    const t0 = performance.now();
    for (let i = 0; i < HELD; i++) {
      const s = net.connect({ host: '127.0.0.1', port: addrs.http });
      s.on('error', () => {});
      held.push(s);
    }
    await waitFor('the tracker at its descriptor limit', () => fdCount(pid) >= NOFILE - 2 || !r!.alive(), 5_000, 50);
    // Health checks at the limit (each accept the admin API attempts fails), while memory figures are
    // refreshed (every second).
    const checks: string[] = [];
    for (let i = 0; i < 5; i++) {
      checks.push(await request('GET', `http://127.0.0.1:${addrs.api}/check`, {}, 1_000).then((a) => `HTTP ${a.status}`, (err: Error) => err.message.replace(/^GET \S+: /, '')));
      await sleep(300);
    }
    const check = checks.join('; ');
    const cpu = (cpuSec(pid) - cpu0) / ((performance.now() - t0) / 1000);
    const snap1 = cpuSnapshot(pid);
    const threads = snap0 === null || snap1 === null ? [] : cpuUsage(pid, snap0, snap1).busiestThreads.slice(0, 4)
      .map((th) => `${th.tid === pid ? 'main' : th.name} ${th.cpuSec.toFixed(2)} s`);
    const aliveAtLimit = r.alive();
    for (const s of held) s.destroy();
    held.length = 0;
    const exit = aliveAtLimit ? null : await r.exited;
    console.log(`descriptors: baseline ${baseline}, limit ${NOFILE}; /check at the limit: ${check}; tracker CPU at the limit ${cpu.toFixed(2)} cores (busiest threads: ${threads.join(', ')}); ` +
      `${aliveAtLimit ? 'alive' : `exited ${JSON.stringify(exit)}`}\n  stderr: ${r.stderr().split('\n').filter((l) => !/^\s*(\[0x|Close callback|Data: 0x|\(First field\))/.test(l)).join('\n').slice(-1500)}`);
    assert.ok(aliveAtLimit, 'the tracker survives its descriptor limit');
    await waitFor('descriptors back to the baseline', () => fdCount(pid) <= baseline + 4, 5_000, 50);
    const a = await request('GET', `http://127.0.0.1:${addrs.http}/scrape?info_hash=${'%01'.repeat(20)}`);
    assert.equal(a.status, 200, 'serves HTTP again');
    const c = await request('GET', `http://127.0.0.1:${addrs.api}/check`);
    assert.equal(c.status, 200, '/check answers again');
    await stopCleanly(r);
  });
});
