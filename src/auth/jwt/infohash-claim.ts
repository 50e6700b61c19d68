// The `infohash` claim against the announced info_hash. Quay writes 40 lowercase hex chars; chihaya v1
// also accepted the raw 20 bytes and their URL-escaped form (url.QueryUnescape: `%XX` and `+` = space),
// so tokens minted for v1 by other signers keep working. Runs on the main thread at every cache hit:
// plain loops over char codes, no allocation.
//
// Raw form: a 20-char string whose char codes are the bytes (latin1). v1 compared Go's UTF-8 bytes, so
// it matched only ASCII raw hashes; for those both agree, and above 0x7f we are the more lenient one,
// which admits nothing a signer did not sign for.

import { hexDigitValue as hexDigit } from '../../util/hex.js';

/** True when `claim` names `infoHash` (20 bytes) in any accepted form. */
export function claimMatches(claim: unknown, infoHash: Uint8Array): boolean {
  if (typeof claim !== 'string' || infoHash.length !== 20) return false;
  return matchForm(claim, infoHash);
}

/** True when `claim` is a string in one of the accepted forms (the worker refuses other tokens early). */
export function isInfohashClaim(claim: unknown): claim is string {
  return typeof claim === 'string' && matchForm(claim, null);
}

// With `ih` null only the shape is checked (every byte "matches").
function matchForm(claim: string, ih: Uint8Array | null): boolean {
  const len = claim.length;
  if (len === 40 && matchHex(claim, ih)) return true;
  if (len === 20 && matchRaw(claim, ih)) return true;
  return len >= 20 && len <= 60 && matchEscaped(claim, ih);
}

function matchHex(claim: string, ih: Uint8Array | null): boolean {
  for (let i = 0; i < 20; i++) {
    const hi = hexDigit(claim.charCodeAt(2 * i));
    const lo = hexDigit(claim.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return false;
    if (ih !== null && ih[i] !== ((hi << 4) | lo)) return false;
  }
  return true;
}

function matchRaw(claim: string, ih: Uint8Array | null): boolean {
  for (let i = 0; i < 20; i++) {
    const c = claim.charCodeAt(i);
    if (c > 0xff) return false;
    if (ih !== null && ih[i] !== c) return false;
  }
  return true;
}

function matchEscaped(claim: string, ih: Uint8Array | null): boolean {
  const len = claim.length;
  let j = 0; // bytes produced so far
  for (let i = 0; i < len; i++) {
    let c = claim.charCodeAt(i);
    if (c === 0x25 /* % */) {
      if (i + 2 >= len) return false;
      const hi = hexDigit(claim.charCodeAt(i + 1));
      const lo = hexDigit(claim.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return false;
      c = (hi << 4) | lo;
      i += 2;
    } else if (c === 0x2b /* + */) {
      c = 0x20;
    } else if (c > 0xff) {
      return false;
    }
    if (j >= 20) return false;
    if (ih !== null && ih[j] !== c) return false;
    j++;
  }
  return j === 20;
}

/**
 * The 20 bytes of a 40-hex-char claim (Quay's form), or null for the other forms. A 40-char hex string
 * cannot be read as raw (20 chars) or escaped bytes (that would decode to 40), so this is exact; the
 * verdict cache keeps it to compare bytes on each hit instead of re-reading the hex.
 */
export function hexClaimBytes(claim: string): Uint8Array | null {
  if (claim.length !== 40) return null;
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) {
    const hi = hexDigit(claim.charCodeAt(2 * i));
    const lo = hexDigit(claim.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Byte equality of two info_hashes. */
export function sameInfoHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lowercase hex of an info_hash, for log lines only (allocates: call it behind a verbosity check). */
export function infoHashHex(infoHash: Uint8Array): string {
  return Buffer.from(infoHash.buffer, infoHash.byteOffset, infoHash.byteLength).toString('hex');
}
