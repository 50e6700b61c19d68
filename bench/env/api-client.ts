// Small HTTP GET helper and the admin-API reads the bench needs (chihaya v1's /check and /stats).
import http from 'node:http';

export interface Fetched {
  status: number;
  body: Buffer;
}

export function httpGet(url: string, timeoutMs = 5000): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function isAlive(apiBase: string): Promise<boolean> {
  try {
    const r = await httpGet(`${apiBase}/check`, 1000);
    return r.status === 200 && r.body.toString() === 'STILL-ALIVE';
  } catch {
    return false;
  }
}

/** The figures of /stats the bench reads; null where the tracker does not report one. */
export interface StatsFigures {
  requestsHandled: number | null;
  requestsErrored: number | null;
  requestsBad: number | null;
  trackerAnnounces: number | null;
  torrents: number | null;
  peers: number | null;         // IPv4 + IPv6 current peers
  rssBytes: number | null;
  arrayBuffersBytes: number | null;
  /** hayate's per-I/O-thread counters (/stats `ioThreads`, by thread name); null when absent. */
  ioThreads: Record<string, IoThreadCounters> | null;
  raw: Record<string, unknown>;
}

export interface IoThreadCounters {
  requestsHandled: number | null;
  trackerAnnounces: number | null;
  udpPackets: number | null;
}

function ioThreadsOf(v: unknown): Record<string, IoThreadCounters> | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const out: Record<string, IoThreadCounters> = {};
  for (const [name, t] of Object.entries(v as Record<string, unknown>)) {
    out[name] = {
      requestsHandled: num(path(t, 'requestsHandled')),
      trackerAnnounces: num(path(t, 'trackerAnnounces')),
      udpPackets: num(path(t, 'udpPackets')),
    };
  }
  return Object.keys(out).length === 0 ? null : out;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function path(obj: unknown, ...keys: string[]): unknown {
  let v = obj;
  for (const k of keys) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export async function readStats(apiBase: string): Promise<StatsFigures> {
  const r = await httpGet(`${apiBase}/stats`);
  if (r.status !== 200) throw new Error(`GET ${apiBase}/stats: HTTP ${r.status}`);
  const s = JSON.parse(r.body.toString()) as Record<string, unknown>;
  const v4 = num(path(s, 'peersIPv4', 'Peers', 'Current'));
  const v6 = num(path(s, 'peersIPv6', 'Peers', 'Current'));
  return {
    requestsHandled: num(s.requestsHandled),
    requestsErrored: num(s.requestsErrored),
    requestsBad: num(s.requestsBad),
    trackerAnnounces: num(s.trackerAnnounces),
    torrents: num(s.torrentsSize),
    peers: v4 === null && v6 === null ? null : (v4 ?? 0) + (v6 ?? 0),
    rssBytes: num(path(s, 'Memory', 'RSS')) ?? num(path(s, 'Memory', 'Sys')),
    arrayBuffersBytes: num(path(s, 'Memory', 'ArrayBuffers')),
    ioThreads: ioThreadsOf(s.ioThreads),
    raw: s,
  };
}
