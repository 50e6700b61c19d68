// The JWT check on an I/O thread's hot path, in front of the one verification pool. A token seen before
// is answered synchronously from this thread's verdict cache (no allocation); a new one is screened
// cheaply (shape; audience and infohash claims, which a forged token must get right before it may cost
// an RSA verification) and then sent to the VerificationBroker, batched per event-loop turn, and
// check() answers JWT_PENDING; the verdict comes later through onVerdict (one callback for all
// requests: no closure per request). Identical tokens waiting on this thread share one request. Every
// positive verdict any thread obtains is taught to every thread's cache, so the hit rate does not fall
// with more threads. Without a usable key set every announce fails closed.
import {
  JWT_BUSY, JWT_INVALID, JWT_MISSING, JWT_OK, JWT_PENDING, JWT_UNAVAILABLE, type JwtCode, type JwtVerdict,
} from './codes.js';
import { claimMatches, infoHashHex, isInfohashClaim } from './infohash-claim.js';
import type { JwtLog } from './log.js';
import type { VerifyCheck } from './messages.js';
import { looksLikeCompactJws } from './token-shape.js';
import { VerdictCache, verdictAdmits } from './verdict-cache.js';
import type { BrokerLink, KeySetView, VerifyOutcome, VerifyRequest } from './verify-protocol.js';

/** What a checker counts: plain fields, so the hot path only increments (RequestStats has them all). */
export interface JwtCheckerCounters {
  jwtCacheHits: number;
  jwtAccepted: number;
  /** Refused as invalid (signature, claims, format, another torrent's token). */
  jwtRefused: number;
  jwtMissing: number;
  jwtUnavailable: number;
  jwtBusy: number;
  /** Requests that joined a verification already asked for. */
  jwtCoalesced: number;
  /** Refused by the screen before any RSA work. */
  jwtScreened: number;
}

export interface JwtCheckerOptions {
  /** Required `aud` value ("" disables the check). */
  audience: string;
  keySet: KeySetView;
  link: BrokerLink;
  /** Called once per JWT_PENDING answer, asynchronously, with the final code. */
  onVerdict: (requestId: number, code: JwtVerdict) => void;
  counters?: JwtCheckerCounters;
  /** Distinct tokens waiting for the broker at once (default 1024); more → JWT_BUSY. */
  maxPending?: number;
  /**
   * Distinct tokens one source (address, or IPv6 /64) may have waiting on this thread (default 64); more
   * from it → JWT_BUSY. Without it a flood from a few addresses fills `maxPending` and every new client
   * of this thread is refused before the broker's fair queue gets a say.
   */
  maxPendingPerSource?: number;
  /** Requests that may wait on one token (default 1024); more → JWT_BUSY. */
  maxWaitersPerToken?: number;
  cacheEntries?: number;
  negativeCacheEntries?: number;
  /** How long a refused token stays refused (default 10 s). */
  negativeTtlMs?: number;
  /** Tolerance on exp in seconds (default 30). */
  clockToleranceSec?: number;
  log?: JwtLog;
  verbosity?: number;
  now: () => number;
}

interface Waiting {
  readonly ids: number[];
  /** Copies: the frontend reuses its record buffer. */
  readonly hashes: Uint8Array[];
  /** Fairness key of the client that asked first (the one charged for it). */
  readonly source: string;
}

export function newCheckerCounters(): JwtCheckerCounters {
  return { jwtCacheHits: 0, jwtAccepted: 0, jwtRefused: 0, jwtMissing: 0, jwtUnavailable: 0, jwtBusy: 0, jwtCoalesced: 0, jwtScreened: 0 };
}

export class JwtChecker {
  readonly counters: JwtCheckerCounters;
  private readonly cache: VerdictCache;
  /** By `${version}:${token}`: requests made under an older key set never join a newer one's. */
  private readonly waiting = new Map<string, Waiting>();
  private outbox: VerifyRequest[] = [];
  private flushScheduled = false;
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length > 0) this.opts.link.request(batch);
  };
  private readonly maxPending: number;
  private readonly maxPendingPerSource: number;
  /** Tokens waiting, by source (absent: none). */
  private readonly pendingBySource = new Map<string, number>();
  private readonly maxWaiters: number;
  private readonly negativeTtlMs: number;
  private readonly toleranceSec: number;
  private readonly verbosity: number;
  private closed = false;

  constructor(private readonly opts: JwtCheckerOptions) {
    this.counters = opts.counters ?? newCheckerCounters();
    this.cache = new VerdictCache(opts.cacheEntries ?? 100_000, opts.negativeCacheEntries ?? 10_000);
    this.maxPending = opts.maxPending ?? 1024;
    this.maxPendingPerSource = opts.maxPendingPerSource ?? 64;
    this.maxWaiters = opts.maxWaitersPerToken ?? 1024;
    this.negativeTtlMs = opts.negativeTtlMs ?? 10_000;
    this.toleranceSec = opts.clockToleranceSec ?? 30;
    this.verbosity = opts.verbosity ?? 0;
  }

  /**
   * Decides whether `token` admits an announce for `infoHash` (20 bytes, may be a reused buffer).
   * Returns a final code synchronously, or JWT_PENDING, after which onVerdict(requestId, code) is
   * called exactly once (never synchronously). `source` is asked only for a token that must be verified.
   */
  check(token: string | null, infoHash: Uint8Array, requestId: number, source: () => string): JwtCode {
    const c = this.counters;
    if (token === null || token.length === 0) {
      c.jwtMissing++;
      if (this.verbosity >= 2) this.logRefusal('missing', infoHash, undefined, '');
      return JWT_MISSING;
    }
    const now = this.opts.now();
    const version = this.opts.keySet.usableVersion(now);
    if (version < 0 || this.closed) {
      c.jwtUnavailable++;
      if (this.verbosity >= 2) this.logRefusal('key set unavailable', infoHash, undefined, '');
      return JWT_UNAVAILABLE;
    }
    if (version !== this.cache.version) this.newKeySet(version);

    const good = this.cache.getGood(token, now);
    if (good !== undefined) {
      c.jwtCacheHits++;
      if (verdictAdmits(good, infoHash)) {
        c.jwtAccepted++;
        return JWT_OK;
      }
      c.jwtRefused++;
      if (this.verbosity >= 2) this.logRefusal('infohash', infoHash, 'token is for another torrent', ' (cached)');
      return JWT_INVALID;
    }
    const bad = this.cache.getBad(token, now);
    if (bad !== undefined) {
      c.jwtCacheHits++;
      c.jwtRefused++;
      if (this.verbosity >= 2) this.logRefusal(bad.check, infoHash, bad.detail, ' (cached)');
      return JWT_INVALID;
    }
    return this.cold(token, infoHash, requestId, version, source);
  }

  private cold(token: string, infoHash: Uint8Array, requestId: number, version: number, source: () => string): JwtCode {
    const c = this.counters;
    const screened = this.screen(token, infoHash);
    if (screened !== null) {
      c.jwtRefused++;
      c.jwtScreened++;
      if (this.verbosity >= 2) this.logRefusal(screened.check, infoHash, screened.detail, ' (screened)');
      return JWT_INVALID;
    }
    const key = `${version}:${token}`;
    const joined = this.waiting.get(key);
    if (joined !== undefined) {
      if (joined.ids.length >= this.maxWaiters) return this.busy(infoHash);
      joined.ids.push(requestId);
      joined.hashes.push(copyOf(infoHash));
      c.jwtCoalesced++;
      return JWT_PENDING;
    }
    const from = source();
    const held = this.pendingBySource.get(from) ?? 0;
    if (held >= this.maxPendingPerSource) return this.busy(infoHash, 'this client\'s share of the verification queue is full');
    if (this.waiting.size >= this.maxPending) return this.busy(infoHash);
    this.waiting.set(key, { ids: [requestId], hashes: [copyOf(infoHash)], source: from });
    this.pendingBySource.set(from, held + 1);
    this.outbox.push({ token, source: from, asked: version });
    if (!this.flushScheduled) {
      // One timer per event-loop turn, not per request: every new token of this turn rides along.
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return JWT_PENDING;
  }

  /**
   * What can be refused without RSA work: not a compact JWS, or claims that cannot admit this announce
   * whatever the signature (unsigned content is only ever used to refuse, never to admit). Null when the
   * token must be verified.
   */
  private screen(token: string, infoHash: Uint8Array): { check: VerifyCheck; detail: string } | null {
    if (!looksLikeCompactJws(token)) return { check: 'format', detail: 'not a compact JWS' };
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
    } catch {
      return { check: 'format', detail: 'claims are not JSON' };
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return { check: 'format', detail: 'claims are not a JSON object' };
    const { aud, infohash } = claims as Record<string, unknown>;
    const audience = this.opts.audience;
    if (audience !== '' && aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) return { check: 'aud', detail: 'audience differs' };
    if (!isInfohashClaim(infohash)) return { check: 'infohash', detail: 'infohash claim missing or malformed' };
    if (!claimMatches(infohash, infoHash)) return { check: 'infohash', detail: 'token is for another torrent' };
    return null;
  }

  /** What the broker found: settles this thread's waiters, and caches what it may. */
  deliver(outcomes: VerifyOutcome[]): void {
    const now = this.opts.now();
    const usable = this.opts.keySet.usableVersion(now);
    if (usable >= 0 && usable !== this.cache.version) this.newKeySet(usable); // a thread taught before it ever checked
    for (const o of outcomes) {
      const key = `${o.asked}:${o.token}`;
      const w = o.asked < 0 ? undefined : this.waiting.get(key);
      const mine = w !== undefined;
      if (mine) {
        this.waiting.delete(key);
        this.release(w.source);
      }
      const current = o.version === usable;
      if ('busy' in o) {
        if (mine) for (const id of w.ids) this.settle(id, this.busyCode());
      } else if ('unavailable' in o) {
        if (mine) for (const id of w.ids) { this.counters.jwtUnavailable++; this.settle(id, JWT_UNAVAILABLE); }
      } else if (o.result.ok) {
        if (current) {
          const expMs = o.result.expSec === undefined ? Infinity : (o.result.expSec + this.toleranceSec) * 1000;
          this.cache.putGood(o.token, o.result.infohash, expMs);
        }
        if (mine) {
          for (let i = 0; i < w.ids.length; i++) {
            if (claimMatches(o.result.infohash, w.hashes[i]!)) {
              this.counters.jwtAccepted++;
              this.settle(w.ids[i]!, JWT_OK);
            } else {
              this.counters.jwtRefused++;
              if (this.verbosity >= 2) this.logRefusal('infohash', w.hashes[i]!, 'token is for another torrent', '');
              this.settle(w.ids[i]!, JWT_INVALID);
            }
          }
        }
      } else {
        if (current) this.cache.putBad(o.token, o.result.check, o.result.detail, now + this.negativeTtlMs);
        if (mine) {
          for (let i = 0; i < w.ids.length; i++) {
            this.counters.jwtRefused++;
            if (this.verbosity >= 2) this.logRefusal(o.result.check, w.hashes[i]!, o.result.detail, '');
            this.settle(w.ids[i]!, JWT_INVALID);
          }
        }
      }
    }
  }

  private busyCode(): JwtVerdict {
    this.counters.jwtBusy++;
    return JWT_BUSY;
  }

  private settle(id: number, code: JwtVerdict): void {
    this.opts.onVerdict(id, code);
  }

  private busy(infoHash: Uint8Array, why = 'verification queue full'): JwtCode {
    this.counters.jwtBusy++;
    if (this.verbosity >= 2) this.logRefusal('busy', infoHash, why, '');
    return JWT_BUSY;
  }

  private release(source: string): void {
    const held = this.pendingBySource.get(source)! - 1;
    if (held > 0) this.pendingBySource.set(source, held);
    else this.pendingBySource.delete(source);
  }

  private newKeySet(version: number): void {
    this.cache.syncVersion(version);
    // Verifications under the old set still answer their requests, but nobody new may join them
    // (check() compares versions), and their verdicts are not cached (deliver() compares versions).
  }

  /** Answers every waiting request with JWT_UNAVAILABLE (asynchronously) and refuses from now on. */
  close(): void {
    this.closed = true;
    const all = [...this.waiting.values()];
    this.waiting.clear();
    this.pendingBySource.clear();
    this.outbox = [];
    setImmediate(() => {
      for (const w of all) for (const id of w.ids) { this.counters.jwtUnavailable++; this.settle(id, JWT_UNAVAILABLE); }
    });
  }

  /** One line per refused announce: which check, which torrent. Never the token. */
  private logRefusal(check: VerifyCheck | string, infoHash: Uint8Array, detail: string | undefined, suffix: string): void {
    const hex = infoHash.length === 20 ? infoHashHex(infoHash) : `(${infoHash.length}-byte info_hash)`;
    this.opts.log?.(2, `jwt: announce refused for ${hex}: ${check}${detail ? ` (${detail})` : ''}${suffix}`);
  }
}

/**
 * A real copy: frontends pass a view of their one reused announce record, and Buffer#slice (unlike
 * Uint8Array#slice) returns a view, which the next request would overwrite while this one waits.
 */
function copyOf(infoHash: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(infoHash);
}
