// Verdicts of verified tokens, so each distinct token costs one RSA verification, not one per announce
// (Quay mints one token per torrent; every peer of that torrent presents the same one).
//
// Keyed by the whole token string. A positive verdict stores the token's `infohash` claim, which the
// caller matches against each request's info_hash, so a token for torrent A never admits torrent B.
// Everything is dropped when the key-set version changes (a removed key must stop verifying).
// Positive entries live until the token's exp (+ tolerance), negative ones briefly; both tables are
// bounded and evict oldest-inserted first (O(1), no LRU bookkeeping on the hit path). The tables are
// TokenMaps: a hit does not hash the whole (fresh, ~650 char) token string.
// Negative verdicts sit in their own smaller table so a spray of bad tokens cannot push out good ones.
import { claimMatches, hexClaimBytes, sameInfoHash } from './infohash-claim.js';
import type { VerifyCheck } from './messages.js';
import { TokenMap } from './token-map.js';

export interface GoodVerdict {
  /** The `infohash` claim as signed. */
  readonly claim: string;
  /** Its bytes when the claim is hex (Quay's form), decoded once; null for the v1 raw/escaped forms. */
  readonly bytes: Uint8Array | null;
  /** Epoch ms after which the entry is gone; Infinity when the token has no exp (Quay's). */
  readonly expMs: number;
}

export interface BadVerdict {
  readonly check: VerifyCheck;
  readonly detail: string | undefined;
  readonly expMs: number;
}

export class VerdictCache {
  private readonly good: TokenMap<GoodVerdict>;
  private readonly bad: TokenMap<BadVerdict>;
  private keyVersion = -1;

  constructor(maxGood = 100_000, maxBad = 10_000) {
    if (!(maxGood >= 1) || !(maxBad >= 1)) throw new RangeError('verdict cache sizes must be >= 1');
    this.good = new TokenMap<GoodVerdict>(maxGood);
    this.bad = new TokenMap<BadVerdict>(maxBad);
  }

  /** The key-set version the entries were verified under. */
  get version(): number {
    return this.keyVersion;
  }

  get size(): number {
    return this.good.size + this.bad.size;
  }

  /** Drops every verdict if `version` differs from the one they were made under. */
  syncVersion(version: number): void {
    if (version === this.keyVersion) return;
    this.keyVersion = version;
    this.good.clear();
    this.bad.clear();
  }

  getGood(token: string, nowMs: number): GoodVerdict | undefined {
    const e = this.good.get(token);
    if (e === undefined) return undefined;
    if (nowMs < e.expMs) return e;
    this.good.delete(token);
    return undefined;
  }

  getBad(token: string, nowMs: number): BadVerdict | undefined {
    const e = this.bad.get(token);
    if (e === undefined) return undefined;
    if (nowMs < e.expMs) return e;
    this.bad.delete(token);
    return undefined;
  }

  putGood(token: string, claim: string, expMs: number): void {
    this.bad.delete(token);
    this.good.set(token, { claim, bytes: hexClaimBytes(claim), expMs });
  }

  putBad(token: string, check: VerifyCheck, detail: string | undefined, expMs: number): void {
    this.bad.set(token, { check, detail, expMs });
  }
}

/** Whether a positive verdict admits `infoHash`: 20 byte compares in the common (hex) case. */
export function verdictAdmits(v: GoodVerdict, infoHash: Uint8Array): boolean {
  return v.bytes !== null ? sameInfoHash(v.bytes, infoHash) : claimMatches(v.claim, infoHash);
}

