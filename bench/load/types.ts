// What crosses between the load orchestrator and generator threads, and what a generator run returns.
// Every loop is bounded twice: by `durationSec` and by `maxRequests` (0 = no count bound).
import type { SwarmFill } from '../workload/paths.js';
import type { Histogram } from './histogram.js';

/** Where an HTTP generator takes its request targets from. */
export type PathSource =
  /** Rotate through `paths` starting at `offset` (`once`: stop after one pass). */
  | { kind: 'list'; paths: string[]; offset: number; once: boolean }
  /** Announces for fill positions first .. first+count-1, built on the fly (pools too big to list). */
  | { kind: 'fill'; fill: SwarmFill; first: number; count: number };

export type UdpAction = 'connect' | 'announce' | 'scrape';

export interface UdpWorkload {
  action: UdpAction;
  fill: SwarmFill;          // which torrents/peers the announces and scrapes are about
  first: number;            // fill position this thread starts at
  count: number;            // positions it rotates through (once: sends each once)
  once: boolean;
  hashesPerScrape: number;
}

export interface HttpTask {
  kind: 'autocannon' | 'new-conn';
  host: string;
  port: number;
  connections: number;
  durationSec: number;
  maxRequests: number;
  timeoutSec: number;
  source: PathSource;
}

export interface UdpTask {
  kind: 'udp';
  host: string;
  port: number;
  sockets: number;
  window: number;           // in-flight requests per socket
  durationSec: number;
  maxRequests: number;
  timeoutMs: number;
  workload: UdpWorkload;
}

export type ThreadTask = HttpTask | UdpTask;

/** One generator thread's counts; `histogram` is hdr-histogram-js compressed base64, microseconds. */
export interface ThreadResult {
  requests: number;         // answers received (any status)
  errors: number;           // socket errors, resets (not timeouts)
  timeouts: number;
  non2xx: number;
  failures: number;         // tracker-level failures seen in bodies (`failure reason`, UDP action 3)
  late: number;             // UDP: replies that came after their request timed out
  statusCodes: Record<string, number>;
  elapsedSec: number;
  histogram: string;
  notes: string[];
}

export type ThreadMessage =
  | { type: 'progress'; done: number }
  | { type: 'result'; result: ThreadResult }
  | { type: 'error'; message: string };

/** A finished generator run, threads merged. */
export interface LoadResult {
  generator: string;        // e.g. "autocannon (1 thread, 64 connections)"
  requests: number;
  elapsedSec: number;
  reqPerSec: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  failures: number;
  late: number;
  statusCodes: Record<string, number>;
  histogram: Histogram;
  notes: string[];
}

export function emptyThreadResult(): ThreadResult {
  return { requests: 0, errors: 0, timeouts: 0, non2xx: 0, failures: 0, late: 0, statusCodes: {}, elapsedSec: 0, histogram: '', notes: [] };
}
