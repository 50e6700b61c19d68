// Parsing a JWK set document into the public RSA keys we are willing to verify with.
// Quay publishes `{"keys":[{"kty":"RSA","n":"..","e":"AQAB","kid":".."}]}`: no `alg`, no `use`.
// chihaya v1 also read an optional top-level `issuer`. Anything we cannot use is skipped (and reported),
// never fatal by itself; a document with no usable key at all is an error so the last good set is kept.
import { createPublicKey } from 'node:crypto';

/** Algorithms we ever accept. Never `none`, never HMAC (a public key must not become a MAC secret). */
export const RSA_ALGS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** The members we keep of a key: public RSA material only, so private members never reach workers. */
export interface PublicRsaJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid?: string;
  alg?: string;
}

export interface ParsedJwkSet {
  keys: PublicRsaJwk[];
  /** Top-level `issuer` member (chihaya v1), when present and a non-empty string. */
  issuer: string;
  /** Canonical JSON of `keys` + `issuer`: what workers receive and what versions are compared on. */
  text: string;
  /** Why keys were skipped, for the log. */
  skipped: string[];
}

/** A key without `alg` is RS256 (docs/compatibility.md); a key with `alg` allows exactly that algorithm. */
export function keyAlgorithm(jwk: PublicRsaJwk): string {
  return jwk.alg ?? 'RS256';
}

/** More keys than this is not a rotation, it is a mistake or an attack on the "no kid" path. */
const MAX_KEYS = 32;
export const MIN_MODULUS_BITS = 2048; // jose refuses shorter RSA keys for RS*/PS*; refuse them here, visibly
const B64URL = /^[A-Za-z0-9_-]+$/;

export function parseJwkSet(body: string): ParsedJwkSet | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { error: 'jwk set is not JSON' };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { error: 'jwk set is not a JSON object' };
  const rawKeys = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(rawKeys)) return { error: 'jwk set has no "keys" array' };
  const rawIssuer = (doc as { issuer?: unknown }).issuer;
  const issuer = typeof rawIssuer === 'string' ? rawIssuer : '';

  const keys: PublicRsaJwk[] = [];
  const skipped: string[] = [];
  for (let i = 0; i < rawKeys.length; i++) {
    const why = usable(rawKeys[i]);
    if (typeof why === 'string') {
      skipped.push(`key #${i}: ${why}`);
      continue;
    }
    if (keys.length >= MAX_KEYS) {
      skipped.push(`key #${i}: more than ${MAX_KEYS} keys`);
      continue;
    }
    keys.push(why);
  }
  if (keys.length === 0) return { error: `jwk set has no usable RSA key${skipped.length ? ` (${skipped.join('; ')})` : ''}` };
  return { keys, issuer, text: JSON.stringify({ keys, issuer }), skipped };
}

function usable(raw: unknown): PublicRsaJwk | string {
  if (raw === null || typeof raw !== 'object') return 'not an object';
  const k = raw as Record<string, unknown>;
  if (k.kty !== 'RSA') return `kty ${describe(k.kty)} is not RSA`;
  if (typeof k.n !== 'string' || !B64URL.test(k.n) || typeof k.e !== 'string' || !B64URL.test(k.e)) {
    return 'n/e missing or not base64url';
  }
  if (k.kid !== undefined && typeof k.kid !== 'string') return 'kid is not a string';
  if (k.alg !== undefined && (typeof k.alg !== 'string' || !RSA_ALGS.includes(k.alg))) {
    return `alg ${describe(k.alg)} is not an RSA signature algorithm`;
  }
  if (k.use !== undefined && k.use !== 'sig') return `use ${describe(k.use)} is not "sig"`;
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) {
    return 'key_ops does not include "verify"';
  }
  const jwk: PublicRsaJwk = { kty: 'RSA', n: k.n, e: k.e };
  if (k.kid !== undefined) jwk.kid = k.kid as string;
  if (k.alg !== undefined) jwk.alg = k.alg as string;
  // Import once here (refresh path, not per request) so a key the workers could not import is reported
  // now and never counted as usable.
  try {
    const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_MODULUS_BITS) return `modulus of ${bits} bits is shorter than ${MIN_MODULUS_BITS}`;
  } catch (err) {
    return `not an RSA public key (${(err as Error).message})`;
  }
  return jwk;
}

/** Short, log-safe rendering of an untrusted value. */
function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}
