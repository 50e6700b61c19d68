// What every chaos test needs: a pool of peers announced once (warm-up: every peer admitted), a bounded
// background announce load over keep-alive HTTP and UDP (bench/load/paced) whose every answer, failure
// and loss is counted and time-stamped, and the check that after a fault no peer that had been admitted
// is missing from its swarm (scrapes: complete + incomplete = peers per torrent, and the seeders are
// exactly the pool's seeders).
import assert from 'node:assert/strict';
import { AnnouncePool, type AnnouncePoolOptions } from '../../bench/load/paced/announce-pool.js';
import type { Proto } from '../../bench/load/paced/observer.js';
import { PacedLoad, type PacedLoadOptions } from '../../bench/load/paced/paced-load.js';
import { lostOf, Tally, type ProtoFigures } from '../../bench/load/paced/tally.js';
import { peerFields } from '../../bench/workload/peers.js';
import { scrapePath } from '../../bench/workload/paths.js';
import type { Run } from '../helpers/process.js';
import { asDict, bdecodeStrict, get, waitFor } from '../helpers/tracker.js';

export const BUSY = 'tracker busy, retry later';

export interface LoadTarget {
  host: string;
  httpPort: number | null;
  udpPort: number | null;
}

/** The standard chaos pool: 2,000 torrents × 10 peers, numwant 20. */
export function chaosPool(salt: string, extra: Partial<AnnouncePoolOptions> = {}): AnnouncePoolOptions {
  return { salt, torrents: 2_000, peersPerTorrent: 10, numwant: 20, ...extra };
}

/**
 * One non-peer-list outcome: when its request was sent (ms since the load started, Date.now based;
 * for an answer or a reset, when it was seen, a few ms later at most; for a timeout, when it was seen
 * minus the timeout).
 */
export interface Incident {
  atMs: number;
  proto: Proto;
  /** A failure text, or `(lost: timeout|reset|bad-reply)`. */
  what: string;
}

const MAX_INCIDENTS = 100_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const BUCKET_MS = 10;

/** A running background load and what it saw. */
export class ChaosLoad {
  readonly tally: Tally;
  readonly load: PacedLoad;
  readonly startedAt = Date.now();
  readonly incidents: Incident[] = [];
  /** Peer-list answers per 10 ms bucket (bucket b: [10b, 10b + 10) ms). */
  readonly okBuckets = new Map<number, number>();
  private incidentsDropped = 0;

  /**
   * `full`: every peer of the pool is in its swarm (after warmUp; peers never stop), so every peer list
   * must report exactly the torrent's seeders and leechers: a wrong count is a wrong answer.
   */
  constructor(target: LoadTarget, pool: AnnouncePoolOptions, opts: Partial<PacedLoadOptions> = {}, full = false) {
    const size = pool.torrents * pool.peersPerTorrent;
    this.tally = new Tally(size);
    if (full) {
      const seeders = seedersPerTorrent(pool);
      const p = pool.peersPerTorrent;
      this.tally.expectSwarm = (g) => {
        const n = seeders[Math.floor(g / p)]!;
        return { seeders: n, leechers: p - n };
      };
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.tally.onAnswer = (proto, _g, failure) => {
      const seenMs = Date.now() - this.startedAt;
      const atMs = failure === '(lost: timeout)' ? seenMs - timeoutMs : seenMs;
      if (failure === null) {
        const b = Math.floor(atMs / BUCKET_MS);
        this.okBuckets.set(b, (this.okBuckets.get(b) ?? 0) + 1);
        return;
      }
      if (this.incidents.length < MAX_INCIDENTS) this.incidents.push({ atMs, proto, what: failure });
      else this.incidentsDropped++;
    };
    this.load = new PacedLoad({
      host: target.host, httpPort: target.httpPort, udpPort: target.udpPort, pool,
      httpRate: 2_000, udpRate: 1_000, httpConnections: 16, udpSockets: 4, udpWindow: 8,
      timeoutMs: DEFAULT_TIMEOUT_MS, durationMs: 60_000, maxRequests: 2_000_000, ...opts,
    }, this.tally);
  }

  /** Ms since this load started. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  stop(): Promise<void> {
    return this.load.stop();
  }

  /** Peer-list answers in buckets wholly within [fromMs, toMs). */
  okBetween(fromMs: number, toMs: number): number {
    let n = 0;
    for (const [b, c] of this.okBuckets) if (b * BUCKET_MS >= fromMs && (b + 1) * BUCKET_MS <= toMs) n += c;
    return n;
  }

  /** When the first peer-list answer at or after `ms` came (to 10 ms: its bucket's end), or Infinity. */
  firstOkAfter(ms: number): number {
    let best = Infinity;
    for (const [b, c] of this.okBuckets) if (c > 0 && (b + 1) * BUCKET_MS > ms && (b + 1) * BUCKET_MS < best) best = (b + 1) * BUCKET_MS;
    return best;
  }

  /** The figures as one line per protocol, for the test log. */
  summary(): string {
    const t = this.tally.totals();
    const line = (p: Proto, f: ProtoFigures): string => `${p}: ${f.ok} peer lists${this.tally.expectSwarm === null ? '' : ` (${f.wrongCounts} with wrong counts)`}, failures ${JSON.stringify(f.failures)}, ` +
      `lost ${JSON.stringify(f.lost)}, connections ${JSON.stringify(f.events)}, p50 ${ms(f.latency.p50)} p99 ${ms(f.latency.p99)} max ${ms(f.latency.max)}`;
    return `${this.load.sent} announces sent in ${(this.now() / 1000).toFixed(1)} s\n  ${line('http', t.http)}\n  ${line('udp', t.udp)}` +
      (this.incidentsDropped > 0 ? `\n  (${this.incidentsDropped} incidents not kept)` : '');
  }
}

/** Seeders of each torrent of the pool (peers with left = 0). */
export function seedersPerTorrent(pool: AnnouncePoolOptions): Uint16Array {
  const out = new Uint16Array(pool.torrents);
  for (let t = 0; t < pool.torrents; t++) {
    for (let s = 0; s < pool.peersPerTorrent; s++) if (peerFields(t * pool.peersPerTorrent + s).left === 0) out[t]!++;
  }
  return out;
}

/** Every peer list reported the whole swarm (a load started with `full`). */
export function assertNoWrongAnswer(load: ChaosLoad): void {
  const t = load.tally.totals();
  assert.equal(t.http.wrongCounts + t.udp.wrongCounts, 0, `peer lists with wrong swarm counts: ${load.tally.wrongExamples.join('; ')}`);
}

export function ms(us: number): string {
  return `${(us / 1000).toFixed(1)} ms`;
}

/**
 * Announces every peer of the pool, as fast as the tracker answers, until every one was admitted: a pass
 * may meet `tracker busy, retry later` (with JWT on, at most 16 distinct tokens per source wait for
 * verification), so up to 5 passes; nothing else but a peer list may come back, nothing may be lost.
 */
export async function warmUp(target: LoadTarget, pool: AnnouncePoolOptions): Promise<void> {
  const size = pool.torrents * pool.peersPerTorrent;
  const admitted = new Uint8Array(size);
  let count = 0;
  for (let pass = 1; pass <= 5 && count < size; pass++) {
    const c = new ChaosLoad(target, pool, { httpRate: Infinity, udpRate: Infinity, maxRequests: size, durationMs: 60_000 });
    await c.load.finished;
    const t = c.tally.totals();
    assert.equal(lostOf(t.http) + lostOf(t.udp), 0, `warm-up: no request lost\n${c.summary()}`);
    assert.deepEqual(unexpectedFailures(c, [BUSY]), {}, `warm-up: peer lists (or busy)\n${c.summary()}`);
    count = 0;
    for (let g = 0; g < size; g++) count += admitted[g] |= c.tally.admitted![g]!;
  }
  assert.equal(count, size, 'warm-up: every peer admitted');
}

/** Every torrent's swarm as the tracker reports it (HTTP scrapes of 74 hashes each). */
export async function swarmCounts(httpUrl: string, pool: AnnouncePoolOptions): Promise<{ seeders: number; leechers: number }[]> {
  const p = new AnnouncePool(pool);
  const out: { seeders: number; leechers: number }[] = [];
  for (let first = 0; first < pool.torrents; first += 74) {
    const hashes: Buffer[] = [];
    for (let t = first; t < Math.min(pool.torrents, first + 74); t++) hashes.push(p.infoHash(t));
    const res = await get(httpUrl + scrapePath(hashes));
    assert.equal(res.status, 200);
    const files = asDict(asDict(bdecodeStrict(res.body)).get('files'));
    for (const h of hashes) {
      const v = files.get(h.toString('latin1'));
      assert.ok(v !== undefined, `scrape answered torrent ${h.toString('hex')}`);
      const e = asDict(v);
      out.push({ seeders: e.get('complete') as number, leechers: e.get('incomplete') as number });
    }
  }
  return out;
}

/**
 * No admitted peer is missing: every torrent has all its peers (the warm-up admitted every one, peers
 * never stop), and its seeders are exactly the pool's seeders.
 */
export async function assertNoPeerLost(httpUrl: string, pool: AnnouncePoolOptions): Promise<void> {
  const counts = await swarmCounts(httpUrl, pool);
  const expected = seedersPerTorrent(pool);
  const wrong: string[] = [];
  for (let t = 0; t < pool.torrents; t++) {
    const seeders = expected[t]!;
    const c = counts[t]!;
    if (c.seeders !== seeders || c.leechers !== pool.peersPerTorrent - seeders) {
      wrong.push(`torrent ${t}: ${c.seeders} seeders + ${c.leechers} leechers, expected ${seeders} + ${pool.peersPerTorrent - seeders}`);
    }
  }
  assert.deepEqual(wrong, [], `every admitted peer is still in its swarm (${wrong.length} torrents differ)`);
}

/** Failure texts other than `allowed` seen by the load. */
export function unexpectedFailures(load: ChaosLoad, allowed: readonly string[]): Record<string, number> {
  const t = load.tally.totals();
  const out: Record<string, number> = {};
  for (const f of [t.http, t.udp]) {
    for (const [text, n] of Object.entries(f.failures)) if (!allowed.includes(text)) out[text] = (out[text] ?? 0) + n;
  }
  return out;
}

/** Failure answers with `text`, HTTP + UDP. */
export function failuresOf(load: ChaosLoad, text: string): number {
  const t = load.tally.totals();
  return (t.http.failures[text] ?? 0) + (t.udp.failures[text] ?? 0);
}

/** How long a hayate child may take to answer /check: seconds when other jobs load the machine. */
export const START_WAIT_MS = 20_000;

/** Waits (up to START_WAIT_MS) until the child answers /check with STILL-ALIVE; fails early if it exits. */
export async function waitServing(r: Run, apiPort: number): Promise<void> {
  const early = r.exited.then(({ code, signal }) => { throw new Error(`hayate exited early (${code ?? signal}): ${r.stderr().slice(-1500)}`); });
  early.catch(() => {});
  await Promise.race([early, waitFor('/check to answer', async () => {
    const res = await get(`http://127.0.0.1:${apiPort}/check`);
    return res.status === 200 && res.body.toString() === 'STILL-ALIVE';
  }, START_WAIT_MS, 100)]);
}
