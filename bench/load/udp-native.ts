// The fast UDP path: bench/load/native/udp-load.c (epoll, recvmmsg/sendmmsg), built on demand into
// build/native/udp-load, run as a child process for one UdpLoad. The same clients, counts and notes as
// the node:dgram generator (udp-loop.ts); its request bodies come from a templates file written here.
// `threads` become pthreads in the C program, each with `sockets` sockets and its share of the positions.
// CPU pinning: the child inherits the bench's affinity (--load-cpus pins every thread of the bench with
// taskset -a, and a forked child keeps its parent thread's mask), so nothing is pinned here.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UdpLoad } from './generators.js';
import { newHistogram } from './histogram.js';
import { buildNative, type NativeBuild } from './native-build.js';
import type { Progress } from './progress.js';
import type { LoadResult } from './types.js';
import { writeTemplates } from './udp-templates.js';

const SOURCE = fileURLToPath(new URL('../../../bench/load/native/udp-load.c', import.meta.url)); // from build/bench/load/
const BINARY = fileURLToPath(new URL('../../native/udp-load', import.meta.url));             // build/native/udp-load
const GRACE_SEC = 60; // past its own deadline the child is killed and the run fails (as runThreads does)

let built: NativeBuild | undefined;

/** Compiles the generator when needed (once per process). */
export function nativeUdpBuild(): NativeBuild {
  return built ??= buildNative(SOURCE, BINARY, ['-pthread']);
}

export function describeNativeUdp(load: Pick<UdpLoad, 'threads' | 'sockets' | 'window'>): string {
  return `native udp-load (sendmmsg/recvmmsg, ${load.threads} thread${load.threads > 1 ? 's' : ''} x ${load.sockets} sockets x ${load.window} in flight)`;
}

/** What the C program prints last (HAYATE_UDP_SUMMARY). */
export interface NativeSummary {
  requests: number;
  errors: number;
  timeouts: number;
  late: number;
  failures: number;
  bad: number;
  handshakes: number;
  handshakeFailures: number;
  sendRetries: number;
  threads: number;
  elapsedSec: number;
  errorTexts: { text: string; count: number }[];
}

/** Turns the program's output into a LoadResult; throws when the summary is missing. */
export function parseNativeOutput(out: string, load: Pick<UdpLoad, 'action' | 'threads' | 'sockets' | 'window'>): LoadResult {
  const m = /^HAYATE_UDP_SUMMARY (.*)$/m.exec(out);
  if (m === null) throw new Error(`udp-load printed no summary: ${out.slice(-300)}`);
  const s = JSON.parse(m[1]!) as NativeSummary;
  const histogram = newHistogram();
  const hist = /^HAYATE_UDP_HIST(.*)$/m.exec(out);
  for (const pair of (hist?.[1] ?? '').trim().split(' ')) {
    if (pair === '') continue;
    const [value, count] = pair.split(':').map(Number) as [number, number];
    histogram.recordValueWithCount(value, count);
  }
  const notes: string[] = [];
  // The same notes, in the same words, as udp-loop.ts.
  if (load.action !== 'connect') notes.push(`${s.handshakes} connect handshakes (not counted)`);
  if (s.handshakeFailures > 0) notes.push(`${s.handshakeFailures} connect handshakes failed or timed out`);
  if (s.bad > 0) notes.push(`${s.bad} replies with an unexpected action or size`);
  for (const e of s.errorTexts) notes.push(`error reply x${e.count}: ${e.text}`);
  if (s.sendRetries > 0) notes.push(`${s.sendRetries} sends refused for a moment by the kernel (EAGAIN/ENOBUFS), retried`);
  return {
    generator: describeNativeUdp(load),
    requests: s.requests,
    elapsedSec: s.elapsedSec,
    reqPerSec: s.elapsedSec > 0 ? s.requests / s.elapsedSec : 0,
    errors: s.errors,
    timeouts: s.timeouts,
    non2xx: 0,
    failures: s.failures,
    late: s.late,
    statusCodes: {},
    histogram,
    notes,
  };
}

export function nativeArgs(load: UdpLoad, templates: string | null, reqBytes: number): string[] {
  const args = [
    '--host', load.host, '--port', String(load.port), '--action', load.action, '--count', String(load.count),
    '--threads', String(load.threads), '--sockets', String(load.sockets), '--window', String(load.window),
    '--duration-sec', String(load.durationSec), '--timeout-ms', String(load.timeoutMs),
  ];
  if (templates !== null) args.push('--templates', templates, '--req-bytes', String(reqBytes));
  if (load.once) args.push('--once');
  return args;
}

export async function runNativeUdp(binary: string, load: UdpLoad, progress: Progress | null): Promise<LoadResult> {
  if (load.window < 1 || load.window > 256) throw new Error('udp window must be 1..256');
  const dir = mkdtempSync(join(tmpdir(), 'hayate-udp-load-'));
  try {
    let templates: string | null = null;
    let reqBytes = 0;
    if (load.action !== 'connect') {
      templates = join(dir, 'templates.bin');
      reqBytes = writeTemplates(templates, load);
    }
    const out = await runChild(binary, nativeArgs(load, templates, reqBytes), load.durationSec + GRACE_SEC, progress);
    return parseNativeOutput(out, load);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the generator; resolves with its stdout (progress lines fed to `progress`), rejects on failure. */
function runChild(binary: string, args: string[], killAfterSec: number, progress: Progress | null): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let partial = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      stdout += text;
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.startsWith('P ')) progress?.set(Number(line.slice(2)));
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    // Should this process die first, the child still stops at its own --duration-sec.
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`udp-load did not finish within ${killAfterSec} s`));
    }, killAfterSec * 1000);
    child.on('error', (err) => { clearTimeout(kill); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      if (code === 0) resolve(stdout);
      else reject(new Error(`udp-load exited ${code ?? signal}: ${stderr.trim() || stdout.slice(-300).trim()}`.slice(0, 500)));
    });
  });
}
