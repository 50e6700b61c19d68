// GET /stats in chihaya v1's JSON shape; `?flatten` gives dotted keys, `?pretty` indents.
import type { MemStats } from './mem-stats.js';
import type { RequestStats } from './request-stats.js';
import { Proto } from './response-kinds.js';
import type { SwarmTotals } from '../swarm/swarm-totals.js';

/** Figures of the threads themselves: restarts, and each I/O thread's own counters. */
export interface ThreadFigures {
  swarmWorkerRestarts: number;
  ioThreadRestarts: number;
  /** Per I/O thread, by name (io-01, ...): how the kernel spread the load. */
  ioThreads: { name: string; stats: RequestStats }[];
  /** The JWT verification broker's counters (auth/jwt/broker.ts), when JWT checks are on; else null. */
  jwtBroker: { verifications: number; coalesced: number } | null;
}

/**
 * The /stats document. `req` is the sum of every I/O thread's counters; `started` when the tracker
 * started.
 */
export function statsObject(started: Date, req: RequestStats, s: SwarmTotals, mem: MemStats | null, threads: ThreadFigures): Record<string, unknown> {
  const ms = (us: number): number => Math.round(us / 10) / 100;
  const http = req.mergedLatency(Proto.Http);
  const out: Record<string, unknown> = {
    Started: started.toISOString(),
    connectionsOpen: req.connectionsOpen,
    connectionsAccepted: req.connectionsAccepted,
    requestsHandled: req.requestsHandled,
    requestsErrored: req.requestsErrored,
    requestsBad: req.requestsBad,
    ResponseTime: {
      P50: ms(http.percentileMicros(0.5)),
      P90: ms(http.percentileMicros(0.9)),
      P95: ms(http.percentileMicros(0.95)),
    },
    trackerAnnounces: req.trackerAnnounces,
    trackerScrapes: req.trackerScrapes,
    torrentsSize: s.torrentsSize,
    torrentsAdded: s.torrentsAdded,
    torrentsRemoved: s.torrentsRemoved,
    torrentsReaped: s.torrentsReaped,
    peersIPv4: s.peersIPv4,
    peersIPv6: s.peersIPv6,
    // Ours, beyond v1:
    announcesRefusedFull: s.refusedFull,
    announcesRefusedJwt: req.jwtRefused + req.jwtMissing + req.jwtUnavailable,
    udpPacketsBad: req.udpPacketsBad,
    udpRepliesDropped: req.udpRepliesDropped,
    requestsRefusedBusy: req.refusedBusy,
    requestsFailedWorkerDied: req.failedOwnerDied,
    workerRestarts: threads.swarmWorkerRestarts,
    ioThreadRestarts: threads.ioThreadRestarts,
    ioThreads: Object.fromEntries(threads.ioThreads.map(({ name, stats }) => [name, {
      requestsHandled: stats.requestsHandled,
      trackerAnnounces: stats.trackerAnnounces,
      trackerScrapes: stats.trackerScrapes,
      udpPackets: stats.udpPackets,
    }])),
  };
  if (threads.jwtBroker !== null) out.jwt = jwtFigures(req, threads.jwtBroker);
  if (mem !== null) out.Memory = mem.snapshot;
  return out;
}

/**
 * What became of the announces' tokens (every I/O thread's checks, and the one broker's RSA work): each
 * refused announce is in exactly one of refused (screened is the part of it refused before any RSA
 * work), missing, unavailable or busy; requestsErrored never counts a token.
 */
function jwtFigures(req: RequestStats, broker: { verifications: number; coalesced: number }): Record<string, number> {
  return {
    cacheHits: req.jwtCacheHits,
    verifications: broker.verifications,
    accepted: req.jwtAccepted,
    refused: req.jwtRefused,
    missing: req.jwtMissing,
    unavailable: req.jwtUnavailable,
    busy: req.jwtBusy,
    screened: req.jwtScreened,
    // Requests that shared a verification: on their own thread, or across threads in the broker.
    coalesced: req.jwtCoalesced + broker.coalesced,
  };
}

export function flatten(obj: Record<string, unknown>, prefix = '', into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, into);
    else into[key] = v;
  }
  return into;
}

export function renderStats(obj: Record<string, unknown>, params: URLSearchParams): string {
  const body = params.has('flatten') ? flatten(obj) : obj;
  return JSON.stringify(body, null, params.has('pretty') ? 2 : undefined);
}
