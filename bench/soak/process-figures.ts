// The tracker's own figures between two report lines: resident memory (VmRSS of /proc/<pid>/status, or
// Memory.RSS of its /stats when only its admin API is known) and CPU (utime + stime of /proc/<pid>/stat,
// as a share of one core); and, for the same interval, the CPU of the generator (this process) and of
// every other process on the machine (other jobs share the cores: they explain a slow window).
import { readFileSync } from 'node:fs';
import { readStats } from '../env/api-client.js';
import { statTicks, ticksPerSecond } from '../env/cpu-time.js';
import { othersCpuSec, othersSnapshot } from '../env/other-processes.js';

export class ProcessFigures {
  private lastTicks: number | null = null;
  private lastAt = 0;
  private lastSelf = process.cpuUsage();
  private lastSelfAt = performance.now();
  private lastOthers: Map<number, number> | null = null;
  private lastOthersAt = 0;

  constructor(readonly pid: number | null, readonly apiBase: string | null) {
    this.cpuSinceLast();
    this.othersSinceLast();
  }

  /** This process's CPU (every generator thread) since the previous call, in cores. */
  generatorSinceLast(): number {
    const now = performance.now();
    const u = process.cpuUsage(this.lastSelf);
    const cores = (u.user + u.system) / 1000 / Math.max(1, now - this.lastSelfAt);
    this.lastSelf = process.cpuUsage();
    this.lastSelfAt = now;
    return cores;
  }

  /** Every other process's CPU since the previous call (not this one, not its children), in cores; null off Linux. */
  othersSinceLast(): number | null {
    const snap = othersSnapshot(new Set([process.pid]));
    const now = performance.now();
    const prev = this.lastOthers;
    const prevAt = this.lastOthersAt;
    this.lastOthers = snap;
    this.lastOthersAt = now;
    if (snap === null || prev === null || now <= prevAt) return null;
    return othersCpuSec(prev, snap) / ((now - prevAt) / 1000);
  }

  /** Resident set in bytes, or null when neither /proc nor /stats tells. */
  async rssBytes(): Promise<number | null> {
    if (this.pid !== null) {
      try {
        const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
        if (m !== null) return Number(m[1]) * 1024;
      } catch {
        // gone, or not Linux
      }
    }
    if (this.apiBase !== null) {
      try {
        return (await readStats(this.apiBase)).rssBytes;
      } catch {
        return null;
      }
    }
    return null;
  }

  /** CPU used since the previous call, in cores (1 = one core busy); null without a pid. */
  cpuSinceLast(): number | null {
    if (this.pid === null) return null;
    let ticks: number;
    try {
      ticks = statTicks(readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
    } catch {
      return null;
    }
    const now = performance.now();
    const prev = this.lastTicks;
    const prevAt = this.lastAt;
    this.lastTicks = ticks;
    this.lastAt = now;
    if (prev === null || now <= prevAt) return null;
    return (ticks - prev) / ticksPerSecond() / ((now - prevAt) / 1000);
  }
}
