// CPU pinning with taskset (util-linux): the tracker and the trivial responders on --server-cpus, this
// process (and so its generator threads and a wrk child) on --load-cpus. Detected, never required.
import { spawnSync } from 'node:child_process';

let cached: boolean | undefined;

export function hasTaskset(): boolean {
  if (cached === undefined) {
    const r = spawnSync('taskset', ['-V'], { encoding: 'utf8', timeout: 5000 });
    cached = r.error === undefined && r.status === 0;
  }
  return cached;
}

/** A CPU list taskset accepts: "0", "0,1", "0-3". */
export function validCpuList(list: string): boolean {
  return /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list);
}

/** Command and arguments, wrapped in `taskset -c <cpus>` when cpus is given. */
export function pinned(cpus: string | null, command: string, args: string[]): { command: string; args: string[] } {
  if (cpus === null) return { command, args };
  if (!hasTaskset()) throw new Error('CPU pinning asked for, but taskset is not installed (util-linux)');
  return { command: 'taskset', args: ['-c', cpus, command, ...args] };
}

/** Pins every thread of this process (threads created later inherit it). */
export function pinSelf(cpus: string): void {
  if (!hasTaskset()) throw new Error('--load-cpus needs taskset (util-linux), which is not installed');
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${process.pid} failed: ${(r.stderr || r.stdout).trim()}`);
}
