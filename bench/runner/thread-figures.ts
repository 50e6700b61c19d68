// What each thread of the tracker did during a load: its CPU per answered request (from /proc: the
// threads name themselves io-01, swarm-01, ...; see env/cpu-time.ts CpuUsage.threads), and how the kernel
// spread connections and datagrams over the I/O threads (hayate's /stats `ioThreads` section, read before
// and after). Together they say where a request's CPU goes (I/O thread, shard owner, ring crossing) and
// whether one I/O thread does more than its share.
import type { CpuUsage } from '../env/cpu-time.js';
import type { IoThreadCounters, StatsFigures } from '../env/api-client.js';

/** Server CPU per answered request, µs: the whole process and each thread role. */
export interface CpuPerRequest {
  totalUs: number;
  /** By role (main, io-01, swarm-01, jwt-01, cluster-01, other), as in CpuUsage.threads. */
  threadsUs: Record<string, number>;
}

export function cpuPerRequest(cpu: CpuUsage | null, requests: number): CpuPerRequest | null {
  if (cpu === null || requests <= 0) return null;
  const us = (sec: number): number => Math.round((sec * 1e6 / requests) * 100) / 100;
  const threadsUs: Record<string, number> = {};
  for (const [role, sec] of Object.entries(cpu.threads ?? {})) threadsUs[role] = us(sec);
  return { totalUs: us(cpu.cpuSec), threadsUs };
}

/** One I/O thread over the load: its counters' deltas, and its share of the counter the spread is read on. */
export interface IoThreadSpread extends IoThreadCounters {
  share: number;
}

export interface IoSpread {
  /** The counter the shares are of: UDP datagrams for UDP loads, HTTP requests for HTTP loads. */
  counter: 'udpPackets' | 'requestsHandled';
  threads: Record<string, IoThreadSpread>;
  /** The largest share: 1/n when the kernel spread evenly over n threads. */
  maxShare: number;
}

const COUNTERS = ['requestsHandled', 'trackerAnnounces', 'udpPackets'] as const;

/** Deltas of /stats `ioThreads` between two reads; null when the tracker has no such section (another tracker, an older hayate). */
export function ioSpread(before: StatsFigures | null, after: StatsFigures | null, protocol: 'http' | 'udp'): IoSpread | null {
  if (before?.ioThreads == null || after?.ioThreads == null) return null;
  const counter = protocol === 'udp' ? 'udpPackets' : 'requestsHandled';
  const threads: Record<string, IoThreadSpread> = {};
  let total = 0;
  for (const [name, a] of Object.entries(after.ioThreads)) {
    const b = before.ioThreads[name];
    const d = {} as IoThreadSpread;
    for (const k of COUNTERS) d[k] = a[k] === null ? null : a[k]! - (b?.[k] ?? 0);
    d.share = 0;
    threads[name] = d;
    total += d[counter] ?? 0;
  }
  let maxShare = 0;
  for (const t of Object.values(threads)) {
    t.share = total > 0 ? Math.round(((t[counter] ?? 0) / total) * 1000) / 1000 : 0;
    maxShare = Math.max(maxShare, t.share);
  }
  return { counter, threads, maxShare };
}

/** "11.8 µs = io-01 5.6 + io-02 5.4 + main 0.1 + other 0.7" */
export function cpuPerRequestText(c: CpuPerRequest): string {
  const parts = Object.entries(c.threadsUs).filter(([, us]) => us >= 0.05).map(([role, us]) => `${role} ${us.toFixed(1)}`);
  return `${c.totalUs.toFixed(1)} µs${parts.length === 0 ? '' : ` = ${parts.join(' + ')}`}`;
}

/** "io-01 51%, io-02 49% of UDP datagrams" */
export function spreadText(s: IoSpread): string {
  const what = s.counter === 'udpPackets' ? 'UDP datagrams' : 'HTTP requests';
  return `${Object.entries(s.threads).map(([n, t]) => `${n} ${Math.round(t.share * 100)}%`).join(', ')} of ${what}`;
}

/** The summary lines for scenarios that have either figure: "name: CPU/req ...; I/O threads ...". */
export function threadLines(scenarios: Record<string, { status: string; cpuPerRequestUs?: CpuPerRequest | null; ioThreads?: IoSpread | null }>): string[] {
  const out: string[] = [];
  for (const [name, r] of Object.entries(scenarios)) {
    if (r.status !== 'ok') continue;
    const parts: string[] = [];
    if (r.cpuPerRequestUs != null) parts.push(`CPU per answered request ${cpuPerRequestText(r.cpuPerRequestUs)}`);
    if (r.ioThreads != null) parts.push(`I/O threads: ${spreadText(r.ioThreads)}`);
    if (parts.length > 0) out.push(`${name}: ${parts.join('; ')}`);
  }
  return out;
}
