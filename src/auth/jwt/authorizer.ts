// JWT authorization for announces (HTTP and UDP), as Quay's secure BitTorrent distribution needs it.
//
// The frontends call check() on the main thread's hot path. A token seen before is answered
// synchronously from the verdict cache (no allocation); a new token goes to a piscina worker pool for
// RSA verification and check() answers JWT_PENDING; the verdict arrives later through the onVerdict
// callback given at construction (one callback for all requests: no closure per request). Identical
// tokens arriving while one is being verified share that verification. New tokens of one event-loop
// turn travel to the workers in batches (a piscina task costs more than an RS256 verification). The
// backlog is bounded: beyond it check() answers JWT_BUSY. Without a usable key set every announce
// fails closed.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import {
  JWT_BUSY, JWT_INVALID, JWT_MISSING, JWT_OK, JWT_PENDING, JWT_UNAVAILABLE,
  type JwtCode, type JwtVerdict,
} from './codes.js';
import { coarseNow, startCoarseClock } from './coarse-clock.js';
import { claimMatches, infoHashHex } from './infohash-claim.js';
import { JwkSetSource, type JwkHealth, type JwkSetSnapshot } from './jwk-set.js';
import { silentLog, type JwtLog } from './log.js';
import type { VerifyBatch, VerifyCheck, VerifyResult } from './messages.js';
import { looksLikeCompactJws } from './token-shape.js';
import { VerdictCache, verdictAdmits } from './verdict-cache.js';

export interface JwtAuthorizerOptions {
  /** URL of the JWK set (Quay: `<quay>/keys/services/quay/keys`). Must be non-empty. */
  jwkSetURI: string;
  /** Required `aud` value ("" disables the check; Quay uses the announce URL). */
  jwtAudience: string;
  /** Required `iss`; "" = use the JWK set's `issuer` member when it has one, else no iss check. */
  jwtIssuer: string;
  jwkUpdateIntervalMs: number;
  /** How long the last good set stays usable after the refresh that should have replaced it failed. */
  jwkTTLMs: number;
  /** Verification threads (piscina minThreads = maxThreads). */
  jwtWorkers: number;
  /** Called once per JWT_PENDING answer, asynchronously, with the final code. */
  onVerdict: (requestId: number, code: JwtVerdict) => void;
  /** Distinct cold tokens allowed to wait beyond one per worker (default 1024); more → JWT_BUSY. */
  maxQueue?: number;
  /** Most tokens per piscina task (default 32). */
  batchMax?: number;
  /** Positive verdicts kept (default 100,000; ~0.8 KB each with Quay-sized tokens). */
  cacheEntries?: number;
  /** Negative verdicts kept (default 10,000). */
  negativeCacheEntries?: number;
  /** How long a refused token stays refused without new work (default 10 s). */
  negativeTtlMs?: number;
  /** Tolerance on exp/nbf in seconds (default 30: tracker and Quay clocks may drift a little). */
  clockToleranceSec?: number;
  /**
   * Tasks (batches) piscina hands each worker at once (default 2): the worker finds its next batch
   * already waiting when it finishes one, instead of idling for a round trip through a busy main thread.
   */
  tasksPerWorker?: number;
  /** Requests that may wait on one in-flight token (default 1024); more → JWT_BUSY. */
  maxWaitersPerToken?: number;
  /** Fetch timeout; default min(10 s, max(1 s, jwkUpdateIntervalMs)). */
  jwkFetchTimeoutMs?: number;
  /** First retry delay after a failed fetch (doubles up to the interval); default 1 s. */
  jwkRetryMinMs?: number;
  /** Minimum gap between early fetches triggered by unknown kids; default 30 s. */
  jwkOnDemandGapMs?: number;
  log?: JwtLog;
  /** Messages above this level are neither formatted nor logged (chihaya -v; rejections are 2). */
  verbosity?: number;
  /** Epoch ms; default a shared 50 ms-resolution clock (Date.now() is costly on the hot path). */
  now?: () => number;
  fetch?: typeof fetch;
}

/** Counters for /stats and /metrics. Plain fields: incrementing them is all the hot path does. */
export interface JwtCounters {
  cacheHits: number;
  /** Distinct tokens sent to the workers. */
  verifications: number;
  /** piscina tasks those travelled in. */
  batches: number;
  coalesced: number;
  accepted: number;
  refused: number;
  missing: number;
  unavailable: number;
  busy: number;
}

/** Requests waiting on one verification. Hashes are copied: the frontend may reuse its buffers. */
interface Pending {
  readonly token: string;
  readonly version: number;
  readonly set: JwkSetSnapshot;
  readonly ids: number[];
  readonly hashes: Uint8Array[];
}

const WORKER_FILE = fileURLToPath(new URL('./verify-task.js', import.meta.url));

export class JwtAuthorizer {
  readonly counters: JwtCounters = {
    cacheHits: 0, verifications: 0, batches: 0, coalesced: 0, accepted: 0, refused: 0, missing: 0, unavailable: 0, busy: 0,
  };

  private readonly source: JwkSetSource;
  private readonly cache: VerdictCache;
  private readonly inflight = new Map<string, Pending>();
  private pool: Piscina<VerifyBatch, VerifyResult[]> | null = null;
  /** Distinct tokens queued or being verified (the JWT_BUSY bound applies to this). */
  private running = 0;
  /** Tokens of this event-loop turn, sent as batches from a setImmediate. */
  private queued: Pending[] = [];
  private flushScheduled = false;
  private readonly flushQueued = (): void => this.flush();
  private closed = false;
  private readonly coarseClock: boolean;

  private readonly audience: string;
  private readonly issuer: string;
  private readonly workers: number;
  private readonly maxRunning: number;
  private readonly negativeTtlMs: number;
  private readonly toleranceSec: number;
  private readonly maxWaiters: number;
  private readonly tasksPerWorker: number;
  private readonly batchMax: number;
  private readonly onVerdict: (requestId: number, code: JwtVerdict) => void;
  private readonly verbosity: number;
  private readonly log: JwtLog;
  private readonly now: () => number;

  constructor(opts: JwtAuthorizerOptions) {
    if (opts.jwkSetURI === '') throw new Error('JwtAuthorizer needs a jwkSetURI');
    if (!Number.isInteger(opts.jwtWorkers) || opts.jwtWorkers < 1) throw new RangeError('jwtWorkers must be an integer >= 1');
    const maxQueue = opts.maxQueue ?? 1024;
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be an integer >= 0');
    this.audience = opts.jwtAudience;
    this.issuer = opts.jwtIssuer;
    this.workers = opts.jwtWorkers;
    this.maxRunning = opts.jwtWorkers + maxQueue;
    this.negativeTtlMs = opts.negativeTtlMs ?? 10_000;
    this.toleranceSec = opts.clockToleranceSec ?? 30;
    this.maxWaiters = opts.maxWaitersPerToken ?? 1024;
    this.tasksPerWorker = opts.tasksPerWorker ?? 2;
    this.batchMax = Math.max(1, opts.batchMax ?? 32);
    this.onVerdict = opts.onVerdict;
    this.verbosity = opts.verbosity ?? 0;
    const log = opts.log ?? silentLog;
    const verbosity = this.verbosity;
    this.log = (level, msg) => { if (level <= verbosity) log(level, msg); };
    this.now = opts.now ?? coarseNow;
    this.coarseClock = opts.now === undefined;
    this.cache = new VerdictCache(opts.cacheEntries ?? 100_000, opts.negativeCacheEntries ?? 10_000);
    this.source = new JwkSetSource({
      uri: opts.jwkSetURI,
      updateIntervalMs: opts.jwkUpdateIntervalMs,
      ttlMs: opts.jwkTTLMs,
      timeoutMs: opts.jwkFetchTimeoutMs,
      retryMinMs: opts.jwkRetryMinMs,
      onDemandGapMs: opts.jwkOnDemandGapMs,
      now: this.now,
      log: this.log,
      fetch: opts.fetch,
    });
  }

  /** Starts the worker threads and the key-set refresh; resolves after the first fetch attempt. */
  async start(): Promise<void> {
    if (this.closed) throw new Error('JwtAuthorizer is closed');
    if (this.coarseClock) startCoarseClock();
    if (this.pool === null) {
      this.pool = new Piscina<VerifyBatch, VerifyResult[]>({
        filename: WORKER_FILE,
        minThreads: this.workers,
        maxThreads: this.workers,
        // Our own bound (maxRunning) is the real one; piscina's is a backstop that can never bind first.
        maxQueue: this.maxRunning,
        concurrentTasksPerWorker: this.tasksPerWorker,
      });
    }
    await this.source.start();
  }

  /**
   * Decides whether `token` admits an announce for `infoHash` (20 bytes, may be a reused buffer).
   * Returns JWT_OK, JWT_MISSING, JWT_INVALID, JWT_UNAVAILABLE or JWT_BUSY synchronously, or
   * JWT_PENDING, after which onVerdict(requestId, code) is called exactly once (never synchronously).
   */
  check(token: string | null, infoHash: Uint8Array, requestId: number): JwtCode {
    if (token === null || token.length === 0) {
      this.counters.missing++;
      if (this.verbosity >= 2) this.logRefusal('missing', infoHash, undefined, '');
      return JWT_MISSING;
    }
    const now = this.now();
    const set = this.source.current(now);
    if (set === null || this.pool === null) {
      this.counters.unavailable++;
      if (this.verbosity >= 2) this.logRefusal('key set unavailable', infoHash, undefined, '');
      return JWT_UNAVAILABLE;
    }
    if (set.version !== this.cache.version) this.newKeySet(set.version);

    const good = this.cache.getGood(token, now);
    if (good !== undefined) {
      this.counters.cacheHits++;
      if (verdictAdmits(good, infoHash)) {
        this.counters.accepted++;
        return JWT_OK;
      }
      this.counters.refused++;
      if (this.verbosity >= 2) this.logRefusal('infohash', infoHash, 'token is for another torrent', ' (cached)');
      return JWT_INVALID;
    }
    const bad = this.cache.getBad(token, now);
    if (bad !== undefined) {
      this.counters.cacheHits++;
      this.counters.refused++;
      if (this.verbosity >= 2) this.logRefusal(bad.check, infoHash, bad.detail, ' (cached)');
      return JWT_INVALID;
    }
    return this.verify(token, infoHash, requestId, set);
  }

  /** Version of the key set in use (0 before the first good fetch); changes drop the verdict cache. */
  get keySetVersion(): number {
    return this.source.version;
  }

  /** Key-set health for /check-style probes: not ok means announces are failing closed. */
  health(nowMs: number = this.now()): JwkHealth {
    return this.source.health(nowMs);
  }

  /** Stops refreshing and destroys the pool; verifications still pending get JWT_UNAVAILABLE. */
  async close(): Promise<void> {
    this.closed = true;
    this.source.close();
    const pool = this.pool;
    this.pool = null;
    this.flush(); // tokens not yet sent: answered now (pool is null)
    if (pool !== null) await pool.destroy();
  }

  // --- cold path -----------------------------------------------------------------------------------

  private newKeySet(version: number): void {
    this.cache.syncVersion(version);
    // Verifications under the old set finish and answer their requests, but nobody new may join
    // them, and their verdicts are not cached (finish() checks the version).
    this.inflight.clear();
  }

  private verify(token: string, infoHash: Uint8Array, requestId: number, set: JwkSetSnapshot): JwtCode {
    if (!looksLikeCompactJws(token)) {
      this.counters.refused++;
      if (this.verbosity >= 2) this.logRefusal('format', infoHash, 'not a compact JWS', '');
      return JWT_INVALID;
    }
    const joined = this.inflight.get(token);
    if (joined !== undefined) {
      if (joined.ids.length >= this.maxWaiters) return this.busy(infoHash);
      joined.ids.push(requestId);
      joined.hashes.push(copyOf(infoHash));
      this.counters.coalesced++;
      return JWT_PENDING;
    }
    if (this.running >= this.maxRunning) return this.busy(infoHash);

    const pending: Pending = { token, version: set.version, set, ids: [requestId], hashes: [copyOf(infoHash)] };
    this.inflight.set(token, pending);
    this.running++;
    this.counters.verifications++;
    this.queued.push(pending);
    if (this.queued.length >= this.batchMax * this.workers) {
      this.flush();
    } else if (!this.flushScheduled) {
      // One timer per event-loop turn, not per request: every new token of this turn rides along.
      this.flushScheduled = true;
      setImmediate(this.flushQueued);
    }
    return JWT_PENDING;
  }

  /** Sends the queued tokens, split over the workers, in tasks of at most batchMax tokens. */
  private flush(): void {
    this.flushScheduled = false;
    const all = this.queued;
    if (all.length === 0) return;
    this.queued = [];
    const pool = this.pool;
    if (pool === null) {
      for (const p of all) this.failed(p, new Error('authorizer closed'));
      return;
    }
    const size = Math.min(this.batchMax, Math.ceil(all.length / this.workers));
    for (let start = 0; start < all.length; start += size) {
      const group = all.slice(start, start + size);
      // A batch shares one key set and clock; tokens queued across a key-set change go separately.
      for (let i = 0; i < group.length;) {
        let j = i + 1;
        while (j < group.length && group[j]!.set === group[i]!.set) j++;
        this.send(pool, j - i === group.length ? group : group.slice(i, j));
        i = j;
      }
    }
  }

  private send(pool: Piscina<VerifyBatch, VerifyResult[]>, group: Pending[]): void {
    const set = group[0]!.set;
    this.counters.batches++;
    const batch: VerifyBatch = {
      tokens: group.map((p) => p.token),
      audience: this.audience,
      issuer: this.issuer !== '' ? this.issuer : set.issuer,
      jwks: set.text,
      jwksVersion: set.version,
      nowSec: this.now() / 1000,
      clockToleranceSec: this.toleranceSec,
    };
    pool.run(batch).then(
      (results) => {
        for (let i = 0; i < group.length; i++) this.finish(group[i]!, results[i]!);
      },
      (err: unknown) => {
        for (const p of group) this.failed(p, err);
      },
    );
  }

  private busy(infoHash: Uint8Array): JwtCode {
    this.counters.busy++;
    if (this.verbosity >= 2) this.logRefusal('busy', infoHash, 'verification queue full', '');
    return JWT_BUSY;
  }

  private finish(p: Pending, r: VerifyResult): void {
    this.running--;
    if (this.inflight.get(p.token) === p) this.inflight.delete(p.token);
    const now = this.now();
    const sameKeys = p.version === this.cache.version && p.version === this.source.version;
    if (r.ok) {
      if (sameKeys) {
        const expMs = r.expSec === undefined ? Infinity : (r.expSec + this.toleranceSec) * 1000;
        this.cache.putGood(p.token, r.infohash, expMs);
      }
      for (let i = 0; i < p.ids.length; i++) {
        const hash = p.hashes[i]!;
        if (claimMatches(r.infohash, hash)) {
          this.counters.accepted++;
          this.onVerdict(p.ids[i]!, JWT_OK);
        } else {
          this.counters.refused++;
          if (this.verbosity >= 2) this.logRefusal('infohash', hash, 'token is for another torrent', '');
          this.onVerdict(p.ids[i]!, JWT_INVALID);
        }
      }
      return;
    }
    if (sameKeys) this.cache.putBad(p.token, r.check, r.detail, now + this.negativeTtlMs);
    // A kid we do not know may be a key Quay just started signing with: fetch early (rate-limited).
    if (r.check === 'kid') void this.source.requestRefresh();
    for (let i = 0; i < p.ids.length; i++) {
      this.counters.refused++;
      if (this.verbosity >= 2) this.logRefusal(r.check, p.hashes[i]!, r.detail, '');
      this.onVerdict(p.ids[i]!, JWT_INVALID);
    }
  }

  private failed(p: Pending, err: unknown): void {
    this.running--;
    if (this.inflight.get(p.token) === p) this.inflight.delete(p.token);
    if (!this.closed) this.log(0, `jwt: verification failed: ${err instanceof Error ? err.message : String(err)}`);
    for (let i = 0; i < p.ids.length; i++) {
      this.counters.unavailable++;
      this.onVerdict(p.ids[i]!, JWT_UNAVAILABLE);
    }
  }

  /** One line per refused announce: which check, which torrent. Never the token. */
  private logRefusal(check: VerifyCheck | string, infoHash: Uint8Array, detail: string | undefined, suffix: string): void {
    const hex = infoHash.length === 20 ? infoHashHex(infoHash) : `(${infoHash.length}-byte info_hash)`;
    this.log(2, `jwt: announce refused for ${hex}: ${check}${detail ? ` (${detail})` : ''}${suffix}`);
  }
}

/**
 * A real copy: frontends pass a view of their one reused announce record, and Buffer#slice (unlike
 * Uint8Array#slice) returns a view, which the next request would overwrite while this one waits.
 */
function copyOf(infoHash: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(infoHash);
}
