// A throwaway redis-server for a benchmark: a free loopback port, no persistence, a temporary working
// directory, stopped (and its directory removed) by `stop()`, and killed if the benchmark exits first.
// The server's pid is known so its CPU can be read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../env/ports.js';

export interface RedisServer {
  port: number;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export async function startRedisServer(extraArgs: string[] = [], port?: number, dir?: string): Promise<RedisServer> {
  const p = port ?? await freeTcpPort();
  const d = dir ?? mkdtempSync(join(tmpdir(), 'hayate-redis-'));
  const child = spawn('redis-server', [
    '--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', d,
    '--loglevel', 'warning', ...extraArgs,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error('redis-server did not start (is it installed?)');
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-2000); });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await pings(p))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`redis-server on ${p} not ready in ${READY_TIMEOUT_MS} ms: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped: Promise<void> | null = null;
  return {
    port: p, pid: child.pid, dir: d,
    stop(): Promise<void> {
      stopped ??= stopChild(child).then(() => { live.delete(child); if (dir === undefined) rmSync(d, { recursive: true, force: true }); });
      return stopped;
    },
  };
}

/** True when a redis-server on `port` answers PING. */
export function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    const t = setTimeout(() => { sock.destroy(); resolve(false); }, 1000);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => { clearTimeout(t); sock.destroy(); resolve(d.toString().startsWith('+PONG')); });
    sock.once('error', () => { clearTimeout(t); sock.destroy(); resolve(false); });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

/** `used_memory` (bytes) from INFO memory. */
export function usedMemory(info: string): number {
  const m = /^used_memory:(\d+)/m.exec(info);
  if (m === null) throw new Error('INFO memory has no used_memory line');
  return Number(m[1]);
}
