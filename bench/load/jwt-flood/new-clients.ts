// The legitimate side of jwt-flood: new clients arriving at a steady rate (open loop: one starts on
// schedule whether or not the earlier ones were answered), each from an address of its own
// (127.1.x.y), each announcing a torrent nobody announced before with a valid token never seen before
// (one RSA verification each), over a new HTTP connection (node:http with `localAddress`). Records
// what each was answered and how long it took.
import http from 'node:http';
import { percentEncodeBytes } from '../../workload/percent.js';
import { newHistogram, recordMicros, type Histogram } from '../histogram.js';

export interface NewClient {
  infoHash: Uint8Array;
  token: string;
}

export interface NewClientsResult {
  /** Clients started (the schedule's, unless more than `maxInFlight` were waiting). */
  started: number;
  /** Clients not started because `maxInFlight` were still waiting (counted as not accepted). */
  skipped: number;
  accepted: number;
  /** Answers by failure reason. */
  refused: Record<string, number>;
  /** No answer within the timeout, or a connection error. */
  timeouts: number;
  errors: number;
  /** Latency of every answered client (any answer), and of the accepted ones, in µs. */
  all: Histogram;
  acceptedLatency: Histogram;
  elapsedSec: number;
}

/** The announce of new client `i`: a leecher of its own torrent, with its token. */
export function newClientPath(c: NewClient, i: number): string {
  return `/announce?info_hash=${percentEncodeBytes(c.infoHash)}&peer_id=-NC0001-${String(i).padStart(12, '0')}` +
    `&port=6881&uploaded=0&downloaded=0&left=100&numwant=50&compact=1&jwt=${c.token}`;
}

/** The source address of new client `i`: 127.1.x.y, y in 1..254 (65,024 addresses). */
export function clientAddress(i: number): string {
  const x = Math.floor(i / 254);
  if (x > 255) throw new RangeError(`new client ${i}: out of 127.1.x.y addresses`);
  return `127.1.${x}.${1 + (i % 254)}`;
}

/**
 * Runs `clients` at `perSec`, the first from address index `firstAddress`; resolves when every one has
 * been answered or timed out (`timeoutMs` each). `forwardedFor`: the address goes in an X-Forwarded-For
 * header instead (as a proxy relays a client).
 */
export function runNewClients(host: string, port: number, clients: NewClient[], perSec: number, firstAddress: number,
  timeoutMs: number, maxInFlight = 2000, forwardedFor = false): Promise<NewClientsResult> {
  const r: NewClientsResult = {
    started: 0, skipped: 0, accepted: 0, refused: {}, timeouts: 0, errors: 0,
    all: newHistogram(), acceptedLatency: newHistogram(), elapsedSec: 0,
  };
  const t0 = performance.now();
  let inFlight = 0;
  let next = 0;
  return new Promise((resolve) => {
    const settle = (): void => {
      inFlight--;
      if (next >= clients.length && inFlight === 0) {
        r.elapsedSec = (performance.now() - t0) / 1000;
        resolve(r);
      }
    };
    const start = (i: number): void => {
      const c = clients[i]!;
      if (inFlight >= maxInFlight) {
        r.skipped++;
        return;
      }
      inFlight++;
      r.started++;
      const path = newClientPath(c, i);
      const began = performance.now();
      let done = false;
      // Through a proxy (forwardedFor): from the default address, the client's own in X-Forwarded-For.
      const from = clientAddress(firstAddress + i);
      const where = forwardedFor ? { headers: { 'X-Forwarded-For': from } } : { localAddress: from };
      const req = http.get({ host, port, path, agent: false, ...where }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => {
          if (done) return;
          done = true;
          const us = (performance.now() - began) * 1000;
          recordMicros(r.all, us);
          const body = Buffer.concat(chunks).toString('latin1');
          const m = /^d14:failure reason\d+:(.*)e$/s.exec(body);
          if (res.statusCode === 200 && m === null) {
            r.accepted++;
            recordMicros(r.acceptedLatency, us);
          } else {
            const text = m?.[1] ?? `HTTP ${res.statusCode}`;
            r.refused[text] = (r.refused[text] ?? 0) + 1;
          }
          settle();
        });
        res.on('error', () => { if (!done) { done = true; r.errors++; settle(); } });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        if (done) return;
        done = true;
        if (err.message === 'timeout') r.timeouts++;
        else r.errors++;
        settle();
      });
    };
    // The schedule: client i starts at t0 + i / perSec. A timer every 5 ms starts those that are due.
    const tick = setInterval(() => {
      const due = Math.min(clients.length, Math.floor(((performance.now() - t0) / 1000) * perSec) + 1);
      while (next < due) start(next++);
      if (next >= clients.length) {
        clearInterval(tick);
        if (inFlight === 0) {
          r.elapsedSec = (performance.now() - t0) / 1000;
          resolve(r);
        }
      }
    }, 5);
  });
}
