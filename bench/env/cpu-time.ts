// A process's CPU time from /proc (Linux): utime + stime of the whole process and of each thread, with the
// thread's name (/proc/<pid>/task/<tid>/comm), so the main thread (tid = pid) can be told apart from
// worker threads, the libuv pool and V8's helper threads. Null where /proc is not available.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck: number | undefined;

export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime in ticks from a /proc stat line (fields 14 and 15; the name in parentheses may hold spaces). */
export function statTicks(line: string): number {
  const rest = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

export interface CpuSnapshot {
  atMs: number;
  ticks: number;
  threads: Map<number, { name: string; ticks: number }>;
}

export function cpuSnapshot(pid: number): CpuSnapshot | null {
  try {
    const ticks = statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const threads = new Map<number, { name: string; ticks: number }>();
    for (const entry of readdirSync(`/proc/${pid}/task`)) {
      const tid = Number(entry);
      try {
        const t = statTicks(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        threads.set(tid, { name, ticks: t });
      } catch {
        // the thread ended between readdir and read
      }
    }
    return { atMs: performance.now(), ticks, threads };
  } catch {
    return null;
  }
}

export interface CpuUsage {
  wallSec: number;
  cpuSec: number;               // whole process (threads that ended included)
  utilisation: number;          // cpuSec / wallSec (1 = one core busy)
  mainThreadSec: number;        // tid = pid: the event loop (HTTP/UDP frontends, inline swarm)
  otherThreadsSec: number;
  /** The busiest other threads (by tid, with their OS names). */
  busiestThreads: { tid: number; name: string; cpuSec: number }[];
  /**
   * CPU seconds by thread role: `main` (tid = pid), each thread that named itself (hayate's io-01,
   * swarm-01, jwt-01, cluster-01, ... : /proc/<pid>/task/<tid>/comm), and `other` for threads still bearing the
   * process's own name (V8's platform threads and GC helpers, libuv's pool; in a Node that does not name
   * its threads, the worker threads too). Threads of one name add up.
   */
  threads: Record<string, number>;
}

/** The role a thread's CPU is booked under (see CpuUsage.threads). */
export function threadRole(pid: number, tid: number, name: string, processName: string): string {
  if (tid === pid) return 'main';
  return name === processName || name === '' ? 'other' : name;
}

export function cpuUsage(pid: number, a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
  const hz = ticksPerSecond();
  const others: { tid: number; name: string; cpuSec: number }[] = [];
  const roles: Record<string, number> = {};
  const processName = b.threads.get(pid)?.name ?? a.threads.get(pid)?.name ?? '';
  let main = 0;
  let other = 0;
  for (const [tid, t] of b.threads) {
    const d = (t.ticks - (a.threads.get(tid)?.ticks ?? 0)) / hz;
    const role = threadRole(pid, tid, t.name, processName);
    roles[role] = (roles[role] ?? 0) + d;
    if (tid === pid) main += d;
    else {
      other += d;
      if (d > 0) others.push({ tid, name: t.name, cpuSec: round3(d) });
    }
  }
  others.sort((x, y) => y.cpuSec - x.cpuSec);
  const wallSec = (b.atMs - a.atMs) / 1000;
  const cpuSec = (b.ticks - a.ticks) / hz;
  return {
    wallSec: round3(wallSec), cpuSec: round3(cpuSec), utilisation: round3(wallSec > 0 ? cpuSec / wallSec : 0),
    mainThreadSec: round3(main), otherThreadsSec: round3(other), busiestThreads: others.slice(0, 8),
    threads: roundValues(roles),
  };
}

/** The same record with each value rounded to the millisecond, keys in a stable order (main, named, other). */
export function roundValues(x: Record<string, number>): Record<string, number> {
  const keys = Object.keys(x).sort((p, q) => roleOrder(p) - roleOrder(q) || p.localeCompare(q));
  return Object.fromEntries(keys.map((k) => [k, round3(x[k]!)]));
}

function roleOrder(role: string): number {
  return role === 'main' ? 0 : role === 'other' ? 2 : 1;
}

/** Resident set size from /proc/<pid>/status, bytes; null when unknown. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** CPU seconds of this process (all threads) plus its waited-for children (wrk), from /proc/self/stat. */
export function selfCpuSec(): number {
  try {
    const rest = readFileSync('/proc/self/stat', 'utf8');
    const f = rest.slice(rest.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticksPerSecond();
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
}

/** How many CPUs a taskset list names ("0", "0,1", "0-3"); `all` when null. */
export function cpuCount(list: string | null, all: number): number {
  if (list === null) return all;
  let n = 0;
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    n += b === undefined ? 1 : b - a + 1;
  }
  return Math.max(1, n);
}

