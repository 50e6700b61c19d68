// CPU time one process used over an interval (a meter started before a load and read after it), and the
// sum of several such intervals. Built on cpu-time.ts's /proc snapshots, so the figures are the ones the
// other scenarios report (utime + stime of every thread, the main thread told apart).
import { cpuSnapshot, cpuUsage, roundValues, type CpuSnapshot, type CpuUsage } from './cpu-time.js';

export class CpuMeter {
  private readonly before: CpuSnapshot | null;

  /** Starts measuring now; `pid` null (unknown process) reads as null. */
  constructor(readonly pid: number | null) {
    this.before = pid === null ? null : cpuSnapshot(pid);
  }

  /** Usage since the meter started; null when /proc cannot tell (no pid, or the process is gone). */
  read(): CpuUsage | null {
    if (this.pid === null || this.before === null) return null;
    const after = cpuSnapshot(this.pid);
    return after === null ? null : cpuUsage(this.pid, this.before, after);
  }
}

/** Several intervals of one process as one: times add up, threads are merged by tid. */
export function sumCpuUsage(parts: CpuUsage[]): CpuUsage | null {
  if (parts.length === 0) return null;
  const threads = new Map<number, { tid: number; name: string; cpuSec: number }>();
  let wallSec = 0;
  let cpuSec = 0;
  let mainThreadSec = 0;
  let otherThreadsSec = 0;
  const roles: Record<string, number> = {};
  for (const p of parts) {
    for (const [role, sec] of Object.entries(p.threads ?? {})) roles[role] = (roles[role] ?? 0) + sec;
    wallSec += p.wallSec;
    cpuSec += p.cpuSec;
    mainThreadSec += p.mainThreadSec;
    otherThreadsSec += p.otherThreadsSec;
    for (const t of p.busiestThreads) {
      const seen = threads.get(t.tid);
      if (seen === undefined) threads.set(t.tid, { ...t });
      else seen.cpuSec = round3(seen.cpuSec + t.cpuSec);
    }
  }
  return {
    wallSec: round3(wallSec), cpuSec: round3(cpuSec), utilisation: round3(wallSec > 0 ? cpuSec / wallSec : 0),
    mainThreadSec: round3(mainThreadSec), otherThreadsSec: round3(otherThreadsSec),
    busiestThreads: [...threads.values()].sort((x, y) => y.cpuSec - x.cpuSec).slice(0, 8),
    threads: roundValues(roles),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
