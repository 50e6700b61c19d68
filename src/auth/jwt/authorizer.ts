// JWT authorization for announces in one thread: a JwtChecker (verdict cache, cheap screen) in front of
// a VerificationBroker (fair queue, piscina pool, key set), joined directly. The tracker splits the two
// across threads (a checker per I/O thread, one broker on the main thread); this joins them where one
// thread is enough, and is what the authorization tests drive.
import { JwtChecker, type JwtCheckerCounters } from './checker.js';
import type { JwtCode, JwtVerdict } from './codes.js';
import { coarseNow, startCoarseClock } from './coarse-clock.js';
import { VerificationBroker, type BrokerCounters } from './broker.js';
import type { JwkHealth } from './jwk-set.js';
import { silentLog, type JwtLog } from './log.js';

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
  /** Distinct cold tokens allowed to wait (default 1024); more → JWT_BUSY. */
  maxQueue?: number;
  /** Distinct cold tokens one source may have waiting (default 16); more → JWT_BUSY. */
  maxPerSource?: number;
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
  /** Tasks (batches) each verification thread holds at once (default 2). */
  tasksPerWorker?: number;
  /** Requests that may wait on one in-flight token (default 1024); more → JWT_BUSY. */
  maxWaitersPerToken?: number;
  /** Fetch deadline; default min(10 s, max(1 s, jwkUpdateIntervalMs)). */
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

/** Counters for /stats and /metrics (the checker's and the broker's, together). */
export interface JwtCounters {
  cacheHits: number;
  /** Distinct tokens verified. */
  verifications: number;
  /** piscina tasks those travelled in. */
  batches: number;
  coalesced: number;
  accepted: number;
  refused: number;
  missing: number;
  unavailable: number;
  busy: number;
  /** Refused before any RSA work. */
  screened: number;
}

export function jwtCounters(c: JwtCheckerCounters, b: BrokerCounters): JwtCounters {
  return {
    cacheHits: c.jwtCacheHits, verifications: b.verifications, batches: b.batches, coalesced: c.jwtCoalesced + b.coalesced,
    accepted: c.jwtAccepted, refused: c.jwtRefused, missing: c.jwtMissing, unavailable: c.jwtUnavailable,
    busy: c.jwtBusy, screened: c.jwtScreened,
  };
}

export class JwtAuthorizer {
  private readonly checker: JwtChecker;
  private readonly broker: VerificationBroker;
  private readonly coarseClock: boolean;

  constructor(opts: JwtAuthorizerOptions) {
    const verbosity = opts.verbosity ?? 0;
    const sink = opts.log ?? silentLog;
    const log: JwtLog = (level, msg) => { if (level <= verbosity) sink(level, msg); };
    const now = opts.now ?? coarseNow;
    this.coarseClock = opts.now === undefined;
    const maxQueue = opts.maxQueue ?? 1024;
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be an integer >= 0');
    this.broker = new VerificationBroker({
      jwkSetURI: opts.jwkSetURI, jwtAudience: opts.jwtAudience, jwtIssuer: opts.jwtIssuer,
      jwkUpdateIntervalMs: opts.jwkUpdateIntervalMs, jwkTTLMs: opts.jwkTTLMs, jwtWorkers: opts.jwtWorkers,
      deliver: (_client, outcomes) => this.checker.deliver(outcomes),
      teach: () => {}, // one checker: it learned through deliver
      maxQueue: opts.jwtWorkers + maxQueue, maxPerSource: opts.maxPerSource ?? Math.max(16, opts.jwtWorkers + maxQueue),
      batchMax: opts.batchMax, tasksPerWorker: opts.tasksPerWorker, clockToleranceSec: opts.clockToleranceSec,
      jwkFetchTimeoutMs: opts.jwkFetchTimeoutMs, jwkRetryMinMs: opts.jwkRetryMinMs, jwkOnDemandGapMs: opts.jwkOnDemandGapMs,
      log, now, fetch: opts.fetch,
    });
    this.checker = new JwtChecker({
      audience: opts.jwtAudience,
      keySet: { usableVersion: (nowMs) => this.broker.usableVersion(nowMs) },
      link: { request: (items) => this.broker.request(0, items) },
      onVerdict: opts.onVerdict,
      maxPending: opts.jwtWorkers + maxQueue,
      maxPendingPerSource: opts.maxPerSource ?? Math.max(16, opts.jwtWorkers + maxQueue),
      maxWaitersPerToken: opts.maxWaitersPerToken,
      cacheEntries: opts.cacheEntries,
      negativeCacheEntries: opts.negativeCacheEntries,
      negativeTtlMs: opts.negativeTtlMs,
      clockToleranceSec: opts.clockToleranceSec,
      log, verbosity, now,
    });
  }

  /** Starts the worker threads and the key-set refresh; resolves after the first fetch attempt. */
  async start(): Promise<void> {
    if (this.coarseClock) startCoarseClock();
    await this.broker.start();
  }

  /**
   * JWT_OK, JWT_MISSING, JWT_INVALID, JWT_UNAVAILABLE or JWT_BUSY synchronously, or JWT_PENDING, after
   * which onVerdict(requestId, code) is called exactly once (never synchronously).
   */
  check(token: string | null, infoHash: Uint8Array, requestId: number, source: () => string = () => 'local'): JwtCode {
    return this.checker.check(token, infoHash, requestId, source);
  }

  get counters(): JwtCounters {
    return jwtCounters(this.checker.counters, this.broker.counters);
  }

  /** Version of the key set in use (0 before the first good fetch); changes drop the verdict cache. */
  get keySetVersion(): number {
    return this.broker.source.version;
  }

  health(nowMs?: number): JwkHealth {
    return this.broker.health(nowMs);
  }

  /** Stops refreshing and destroys the pool; requests still waiting get JWT_UNAVAILABLE. */
  async close(): Promise<void> {
    this.checker.close();
    await this.broker.close();
  }
}

