// Interference: CPU time every other process on the machine used while a scenario ran (other jobs, test
// suites), and time the hypervisor gave to other guests (steal). Pinning keeps the tracker and generator
// apart, not others away.
import { readdirSync, readFileSync } from 'node:fs';
import { ticksPerSecond } from './cpu-time.js';

/** CPU ticks of every process except `exclude` and this process's children (/proc/<pid>/stat). */
export function othersSnapshot(exclude: ReadonlySet<number>): Map<number, number> | null {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid <= 0 || exclude.has(pid)) continue;
    try {
      const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = line.slice(line.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === process.pid) continue; // our children (wrk, responders)
      out.set(pid, Number(rest[11]) + Number(rest[12]));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU seconds other processes used between two snapshots (processes that started in between count fully). */
export function othersCpuSec(a: Map<number, number>, b: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of b) ticks += Math.max(0, t - (a.get(pid) ?? 0));
  return Math.round((ticks / ticksPerSecond()) * 1000) / 1000;
}

/** Seconds of CPU the hypervisor gave to others ("steal", all CPUs, /proc/stat); null off Linux. */
export function stealSec(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/);
    return Number(f[8] ?? 0) / ticksPerSecond();
  } catch {
    return null;
  }
}
