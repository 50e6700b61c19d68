// Running the built entry point (dist/main.js) as a child process: the CLI suite, and tests whose
// failure mode may be a crash (so it takes the child down, not the test runner).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPort, get, waitFor, within } from './tracker.js';

// build/test/helpers/process.js → repository root
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const MAIN = join(REPO_ROOT, 'dist', 'main.js');
export const EXIT_WAIT_MS = 5_000;
/** Start-up runs several threads that each load their modules: seconds on a busy 2-core machine. */
export const START_WAIT_MS = 20_000;

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until the child has exited. */
  alive: () => boolean;
}

const running = new Set<ChildProcess>();

export function assertBuilt(): void {
  assert.ok(existsSync(MAIN), `${MAIN} is missing: build first (npm run build)`);
}

/** Spawns `node dist/main.js ...args` with piped output. */
export function run(args: string[]): Run {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      running.delete(child);
      setImmediate(() => resolve({ code, signal })); // let the pipes drain first
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited, alive: () => !done };
}

/** Kills every child still running (SIGKILL); for `after` hooks. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Runs to completion; fails (and kills it) when it takes longer than EXIT_WAIT_MS. */
export async function runToExit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = run(args);
  const { code } = await within(EXIT_WAIT_MS, `hayate ${args.join(' ')} exits`, r.exited).catch((err: unknown) => {
    r.child.kill('SIGKILL');
    throw err;
  });
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** A temporary directory for config files; `cleanup` removes it. */
export function tempDir(): { dir: string; write: (name: string, content: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-e2e-'));
  return {
    dir,
    write: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Listen addresses on ports that were free a moment ago (TCP for http/api, UDP for udp). */
export async function freeListenAddrs(): Promise<{ http: number; api: number; config: Record<string, string> }> {
  const http = await freeTcpPort();
  const api = await freeTcpPort();
  const udp = await freeUdpPort();
  return {
    http,
    api,
    config: { httpListenAddr: `127.0.0.1:${http}`, apiListenAddr: `127.0.0.1:${api}`, udpListenAddr: `127.0.0.1:${udp}` },
  };
}

/** Waits until /check answers STILL-ALIVE (at most `timeoutMs`), or fails early when the child exits. */
export async function waitUntilServing(r: Run, apiPort: number, timeoutMs = START_WAIT_MS): Promise<void> {
  const early = r.exited.then(({ code }) => { throw new Error(`hayate exited early with ${code}: ${r.stderr()}`); });
  early.catch(() => {});
  await Promise.race([
    early,
    waitFor('/check to answer', async () => {
      const res = await get(`http://127.0.0.1:${apiPort}/check`);
      return res.status === 200 && res.body.toString() === 'STILL-ALIVE';
    }, timeoutMs, 50),
  ]);
}

/** Sends `signal` and expects a clean exit 0 within EXIT_WAIT_MS. */
export async function stopCleanly(r: Run, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  r.child.kill(signal);
  const { code, signal: killedBy } = await within(EXIT_WAIT_MS, `exit after ${signal}`, r.exited);
  assert.equal(killedBy, null, `killed by ${killedBy}, not a clean exit`);
  assert.equal(code, 0, r.stderr());
}
