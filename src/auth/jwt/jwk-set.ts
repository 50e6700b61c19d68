// The JWK set the tracker verifies with: fetched from `jwkSetURI` at start and every jwkUpdateInterval.
// A failed or garbled fetch keeps the last good set (Quay restarting must not stop every download); the
// set stays usable until jwkTTL after the refresh that should have replaced it, then announces fail
// closed. Rationale for counting the TTL from the due refresh rather than from the last good fetch:
// with v1's defaults (interval 5m, TTL 5m) the latter would expire the set for a moment before every
// on-time refresh completes.
//
// Fetches never overlap and none can stall the loop: each is bounded by one wall-clock deadline
// (timeoutMs) over connect, headers and body, and by maxBodyBytes (see bounded-fetch.ts). The next
// attempt is due a fixed delay after the previous one started (the interval after a good fetch, the
// backoff after a failure), or at once when the deadline cut the previous one off later than that.
import { boundedFetchText } from './bounded-fetch.js';
import { parseJwkSet, type PublicRsaJwk } from './jwk-parse.js';
import { formatAgo, silentLog, type JwtLog } from './log.js';

/** An immutable, validated key set. A new object (and version) only when the content changes. */
export interface JwkSetSnapshot {
  readonly version: number;
  readonly keys: readonly PublicRsaJwk[];
  /** Top-level `issuer` of the document, "" when absent. */
  readonly issuer: string;
  /** Canonical JSON sent to the verification workers. */
  readonly text: string;
}

export type JwkHealth = { ok: true } | { ok: false; reason: string };

export interface JwkSetSourceOptions {
  uri: string;
  updateIntervalMs: number;
  ttlMs: number;
  /**
   * Wall-clock deadline per fetch: connect, headers and the whole body. At the deadline the fetch is
   * abandoned (socket destroyed) and counts as failed. Default min(10 s, updateIntervalMs), but at
   * least 1 s (a first connection can take tens of ms). Keep it below updateIntervalMs + ttlMs.
   */
  timeoutMs?: number;
  /** First retry after a failure; doubles per failure, capped at updateIntervalMs. Default 1 s. */
  retryMinMs?: number;
  /** Smallest gap between fetches asked for by requestRefresh() (unknown kid). Default 30 s. */
  onDemandGapMs?: number;
  /** Bodies larger than this are refused; reading stops at this many bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  now?: () => number;
  log?: JwtLog;
  /** Replaces the built-in node:http(s) GET (tests); it gets the same deadline and byte limit. */
  fetch?: typeof fetch;
  /** Called after every fetch attempt, good or not (the set's version or usability may have changed). */
  onFetched?: () => void;
}

export class JwkSetSource {
  /** Increments whenever the key set content (keys or issuer) changes; 0 before the first good set. */
  version = 0;

  private snap: JwkSetSnapshot | null = null;
  private lastGoodMs = 0;
  private lastAttemptMs = -Infinity;
  private lastError = '';
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: AbortController | null = null;
  private readonly onFetched: (() => void) | undefined;
  private firstAttempt: Promise<void> | null = null;
  private closed = false;

  private readonly uri: string;
  private readonly intervalMs: number;
  private readonly usableForMs: number;
  private readonly timeoutMs: number;
  private readonly retryMinMs: number;
  private readonly onDemandGapMs: number;
  private readonly maxBodyBytes: number;
  private readonly now: () => number;
  private readonly log: JwtLog;
  private readonly fetchFn: typeof fetch | undefined;

  constructor(opts: JwkSetSourceOptions) {
    if (!(opts.updateIntervalMs > 0)) throw new RangeError('jwkUpdateInterval must be > 0');
    if (!(opts.ttlMs >= 0)) throw new RangeError('jwkTTL must be >= 0');
    this.onFetched = opts.onFetched;
    this.uri = opts.uri;
    this.intervalMs = opts.updateIntervalMs;
    this.usableForMs = opts.updateIntervalMs + opts.ttlMs;
    this.timeoutMs = opts.timeoutMs ?? Math.min(10_000, Math.max(1000, opts.updateIntervalMs));
    this.retryMinMs = Math.min(opts.retryMinMs ?? 1000, opts.updateIntervalMs);
    this.onDemandGapMs = opts.onDemandGapMs ?? 30_000;
    this.maxBodyBytes = opts.maxBodyBytes ?? 1 << 20;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLog;
    this.fetchFn = opts.fetch;
  }

  /** Fetches now and schedules refreshes; resolves after the first attempt, whatever its outcome. */
  start(): Promise<void> {
    if (this.firstAttempt === null) this.firstAttempt = this.refresh();
    return this.firstAttempt;
  }

  /** The usable set, or null when none was ever fetched or the last good one has expired (fail closed). */
  current(nowMs: number = this.now()): JwkSetSnapshot | null {
    const s = this.snap;
    if (s === null || nowMs - this.lastGoodMs > this.usableForMs) return null;
    return s;
  }

  /** Epoch ms of the last good fetch (0 when none ever succeeded), for /metrics. */
  get lastGoodAtMs(): number {
    return this.snap === null ? 0 : this.lastGoodMs;
  }

  /** Epoch ms until which the current set may be used (0 when none was ever fetched). */
  get usableUntilMs(): number {
    return this.snap === null ? 0 : this.lastGoodMs + this.usableForMs;
  }

  health(nowMs: number = this.now()): JwkHealth {
    if (this.snap === null) {
      return { ok: false, reason: `jwk set never fetched${this.lastError ? ` (last error: ${this.lastError})` : ''}` };
    }
    if (this.current(nowMs) === null) {
      return {
        ok: false,
        reason: `jwk set stale: last good fetch ${formatAgo(nowMs - this.lastGoodMs)} ago` +
          (this.lastError ? ` (last error: ${this.lastError})` : ''),
      };
    }
    return { ok: true };
  }

  /**
   * Asks for an early fetch, e.g. when a token names a kid we do not know (Quay rotates keys hourly and
   * may sign with a new key before our next scheduled refresh). Rate-limited, so untrusted tokens can
   * cause at most one extra fetch per onDemandGapMs. Returns the fetch's promise, or null when skipped.
   */
  requestRefresh(): Promise<void> | null {
    if (this.closed || this.firstAttempt === null || this.inFlight !== null) return null;
    if (this.now() - this.lastAttemptMs < this.onDemandGapMs) return null;
    return this.refresh();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.abort();
  }

  private async refresh(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // Real elapsed time for the schedule (the injected clock may be a test's hand-moved one).
    const startedMs = performance.now();
    const ok = await this.fetchOnce(); // settles by the fetch deadline at the latest
    if (this.closed) return;
    this.onFetched?.();
    // After a failure retry sooner than the interval (Quay may simply not be up yet at our start),
    // backing off so a dead endpoint is not hammered. Counted from this attempt's start, so a fetch
    // that ran into its deadline does not push every later refresh back by that much.
    const delay = ok ? this.intervalMs : Math.min(this.intervalMs, this.retryMinMs * 2 ** Math.min(this.failures - 1, 20));
    this.timer = setTimeout(() => void this.refresh(), Math.max(0, delay - (performance.now() - startedMs)));
    this.timer.unref();
  }

  /** One fetch; never throws. Returns whether a good set was obtained. */
  private async fetchOnce(): Promise<boolean> {
    this.lastAttemptMs = this.now();
    const ctl = new AbortController();
    this.inFlight = ctl;
    try {
      const body = await boundedFetchText(this.uri, {
        deadlineMs: this.timeoutMs,
        maxBodyBytes: this.maxBodyBytes,
        stop: ctl.signal,
        headers: { accept: 'application/json', 'user-agent': 'hayate' },
        fetch: this.fetchFn,
      });
      const parsed = parseJwkSet(body);
      if ('error' in parsed) throw new Error(parsed.error);
      if (this.closed) return false;

      this.lastGoodMs = this.now();
      if (this.failures > 0) this.log(1, `jwk set fetch from ${this.uri} recovered after ${this.failures} failure(s)`);
      this.failures = 0;
      this.lastError = '';
      for (const why of parsed.skipped) this.log(1, `jwk set: skipped ${why}`);
      if (this.snap === null || this.snap.text !== parsed.text) {
        this.version++;
        this.snap = { version: this.version, keys: parsed.keys, issuer: parsed.issuer, text: parsed.text };
        const kids = parsed.keys.map((k) => k.kid ?? '(no kid)').join(', ');
        this.log(1, `jwk set version ${this.version}: ${parsed.keys.length} key(s) [${kids}]` +
          (parsed.issuer ? ` issuer ${JSON.stringify(parsed.issuer)}` : ''));
      }
      return true;
    } catch (err) {
      if (this.closed) return false;
      this.failures++;
      this.lastError = errorText(err);
      const kept = this.snap === null ? 'no key set yet: announces fail closed'
        : this.current() === null ? 'last good set has expired: announces fail closed'
        : `keeping the set fetched ${formatAgo(this.now() - this.lastGoodMs)} ago`;
      this.log(0, `jwk set fetch from ${this.uri} failed: ${this.lastError}; ${kept}`);
      return false;
    } finally {
      if (this.inFlight === ctl) this.inFlight = null;
    }
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch() reports network errors as TypeError("fetch failed") with the useful part in `cause`.
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}
