// Real redis-servers for the cluster-mode tests: a plain server on a free loopback port (no persistence),
// which a test may stop, kill, restart empty on the same port, or make sleep; and a local 3-master Redis
// Cluster (scripts/redis-cluster.sh). `redisAvailable` says why a suite must skip.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort } from './tracker.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** '' when redis-server (and redis-cli) can be run, else why not. */
export const redisMissing: string = ((): string => {
  for (const cmd of ['redis-server', 'redis-cli']) {
    if (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status !== 0) return `${cmd} is not installed (Debian: apt-get install redis-server)`;
  }
  return '';
})();

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) if (c.exitCode === null) c.kill('SIGKILL'); });

export interface TestRedis {
  port: number;
  url: string;
  /** Stops it (SIGTERM); `start` brings up an empty one on the same port. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** A command through redis-cli (e.g. ['DEBUG', 'SLEEP', '2']); returns its output. */
  cli(args: string[]): string;
  /** Runs a command without waiting (e.g. DEBUG SLEEP while the test goes on). */
  cliAsync(args: string[]): Promise<string>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'hayate-test-redis-'));
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--loglevel', 'warning', '--enable-debug-command', 'yes'], { stdio: 'ignore' });
    live.add(c);
    child = c;
    const deadline = Date.now() + 10_000;
    while (!(await pings(port))) {
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} not ready in 10 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const end = (signal: NodeJS.Signals) => async (): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill(signal); });
    live.delete(c);
  };
  await start();
  const cli = (args: string[]): string => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 30_000 });
  return {
    port, url: `redis://127.0.0.1:${port}`,
    stop: async () => { await end('SIGTERM')(); },
    kill: end('SIGKILL'),
    start,
    cli,
    cliAsync: (args) => new Promise((resolve, reject) => {
      const c = spawn('redis-cli', ['-p', String(port), ...args]);
      let out = '';
      c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(' ')}: exit ${code}`))));
    }),
  };
}

export interface TestRedisCluster {
  ports: number[];
  /** A URL of one node (cluster mode discovers the rest). */
  url: string;
  stop(): void;
}

/** Three masters on loopback, created with redis-cli --cluster create (scripts/redis-cluster.sh). */
export function startRedisCluster(): TestRedisCluster {
  const out = execFileSync('bash', [join(REPO, 'scripts/redis-cluster.sh'), 'start'], { encoding: 'utf8', timeout: 90_000 });
  const dir = /^dir=(.+)$/m.exec(out)?.[1];
  const ports = /^ports=(.+)$/m.exec(out)?.[1]?.split(' ').map(Number);
  if (dir === undefined || ports === undefined) throw new Error(`redis-cluster.sh said: ${out}`);
  return {
    ports, url: `redis://127.0.0.1:${ports[0]}`,
    stop: () => {
      execFileSync('bash', [join(REPO, 'scripts/redis-cluster.sh'), 'stop', dir], { timeout: 30_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    const t = setTimeout(() => { sock.destroy(); resolve(false); }, 1000);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => { clearTimeout(t); sock.destroy(); resolve(d.toString().startsWith('+PONG')); });
    sock.once('error', () => { clearTimeout(t); sock.destroy(); resolve(false); });
  });
}
