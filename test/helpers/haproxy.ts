// HAProxy as the e2e suites run it: the binary Debian installs, in the foreground (-db) on a config file
// the test rendered into its temp dir, and its runtime API (the `stats socket` of that config) to read
// what its health checks decided.
import net from 'node:net';
import { hasProgram, startProgram, type Program } from './program.js';
import { WAIT_MS } from './tracker.js';

export const hasHaproxy = hasProgram('haproxy', ['-v']);

/** Starts `haproxy -db -f cfgPath`; ready when its runtime API answers on `socketPath`. */
export function startHaproxy(name: string, cfgPath: string, socketPath: string): Promise<Program> {
  return startProgram(`haproxy (${name})`, 'haproxy', ['-db', '-f', cfgPath],
    async () => (await haproxyCommand(socketPath, 'show info').catch(() => '')).includes('Pid:'));
}

/** One runtime API command; resolves with the whole answer (HAProxy closes after answering). */
export function haproxyCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const sock = net.connect(socketPath, () => sock.write(`${command}\n`));
    sock.setEncoding('utf8');
    sock.setTimeout(WAIT_MS, () => sock.destroy(new Error(`haproxy runtime API: no answer to ${command} within ${WAIT_MS} ms`)));
    sock.on('data', (c: string) => { out += c; });
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

/** A server's row of `show stat`: its state ("UP", "DOWN", "UP 1/2", ...) and last check result ("L7OK", "L4CON", ...). */
export interface ServerStat { status: string; checkStatus: string; checkCode: string }

/** `show stat` rows of servers, by "backend/server". */
export async function serverStats(socketPath: string): Promise<Map<string, ServerStat>> {
  const csv = await haproxyCommand(socketPath, 'show stat');
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').replace(/^# /, '').split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`show stat has no ${name} column: ${header.join(',')}`);
    return i;
  };
  const [px, sv, st, cs, cc] = [col('pxname'), col('svname'), col('status'), col('check_status'), col('check_code')];
  const out = new Map<string, ServerStat>();
  for (const line of lines) {
    const f = line.split(',');
    if (f[sv] === 'FRONTEND' || f[sv] === 'BACKEND') continue;
    out.set(`${f[px]}/${f[sv]}`, { status: f[st] ?? '', checkStatus: f[cs] ?? '', checkCode: f[cc] ?? '' });
  }
  return out;
}

/**
 * Waits until every "backend/server" of `expected` has that status and check result (e.g.
 * `{ 'b/s': ['UP', 'L7OK'] }`), at most `timeoutMs`; the error shows what HAProxy last said.
 */
export async function waitForServers(socketPath: string, expected: Record<string, [status: string, checkStatus: string]>,
  timeoutMs: number): Promise<Map<string, ServerStat>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await serverStats(socketPath);
    const pending = Object.entries(expected).filter(([key, [status, check]]) => stats.get(key)?.status !== status || stats.get(key)?.checkStatus !== check);
    if (pending.length === 0) return stats;
    if (Date.now() > deadline) {
      const seen = pending.map(([key, want]) => `${key}: want ${want.join(' ')}, is ${JSON.stringify(stats.get(key) ?? null)}`);
      throw new Error(`HAProxy's checks did not settle within ${timeoutMs} ms: ${seen.join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
