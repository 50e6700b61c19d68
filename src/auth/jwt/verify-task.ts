// The piscina worker: verifies batches of tokens, signature then claims. RSA work happens only here, never on
// the main thread. Rules (docs/compatibility.md "JWT"): the key is chosen by `kid` (no kid: each key is tried); an
// RSA key without `alg` is RS256; only the RSA algorithm the key allows is accepted, so `alg: none`,
// HS256 keyed with the public key and algorithm substitution are refused before any crypto; exp/nbf
// are honoured when present (Quay sends neither); aud/iss as configured; `infohash` must be a string in
// an accepted form (it is compared with the announced hash on the main thread, per request).
// Claims are read only after the signature verified: unsigned content is never interpreted.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { isInfohashClaim } from './infohash-claim.js';
import { keyAlgorithm, MIN_MODULUS_BITS, type PublicRsaJwk } from './jwk-parse.js';
import { parseCompactJws, show, verifyRsa } from './jws-verify.js';
import type { VerifyBatch, VerifyCheck, VerifyContext, VerifyResult, VerifyTask } from './messages.js';
import { nameThisThread } from '../../util/thread-id.js';

nameThisThread('jwt-verify'); // told apart from the I/O threads in top -H, perf and the bench

interface ImportedKey {
  kid: string | undefined;
  alg: string;
  key: KeyObject;
}

// Imported keys of the last key-set version seen: each key is imported once per version per worker.
// The text is compared too, so two sources that happen to share a version number cannot mix keys.
let cache: { version: number; text: string; keys: ImportedKey[] } | null = null;

function importedKeys(task: VerifyContext): ImportedKey[] | null {
  if (cache !== null && cache.version === task.jwksVersion && cache.text === task.jwks) return cache.keys;
  try {
    const doc = JSON.parse(task.jwks) as { keys: PublicRsaJwk[] };
    const keys: ImportedKey[] = [];
    for (const jwk of doc.keys) {
      const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
      // The main thread already refused short keys; the worker does not rely on it.
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_MODULUS_BITS) return null;
      keys.push({ kid: jwk.kid, alg: keyAlgorithm(jwk), key });
    }
    cache = { version: task.jwksVersion, text: task.jwks, keys };
    return keys;
  } catch {
    return null;
  }
}

const fail = (check: VerifyCheck, detail?: string): VerifyResult =>
  detail === undefined ? { ok: false, check } : { ok: false, check, detail };

export function verifyToken(task: VerifyTask): VerifyResult {
  return verifyOne(task.token, task);
}

function verifyOne(token: string, task: VerifyContext): VerifyResult {
  const jws = parseCompactJws(token);
  if ('check' in jws) return fail(jws.check, jws.detail);

  const keys = importedKeys(task);
  if (keys === null) return fail('keys', 'key set could not be imported');
  let byKid = keys;
  if (jws.kid !== undefined) {
    byKid = keys.filter((k) => k.kid === jws.kid);
    if (byKid.length === 0) return fail('kid', `kid ${show(jws.kid)} is not in the key set`);
  }
  const candidates = byKid.filter((k) => k.alg === jws.alg);
  if (candidates.length === 0) return fail('alg', `alg ${jws.alg} is not allowed by the key(s)`);
  let verified = false;
  for (let i = 0; i < candidates.length && !verified; i++) {
    verified = verifyRsa(jws.alg, candidates[i]!.key, jws.signingInput, jws.signature);
  }
  if (!verified) return fail('signature');

  let claims: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('format', 'claims are not a JSON object');
    claims = v as Record<string, unknown>;
  } catch {
    return fail('format', 'claims are not JSON');
  }

  const now = task.nowSec;
  const tol = task.clockToleranceSec;
  const exp = claims.exp;
  if (exp !== undefined) {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail('exp', 'exp is not a number');
    if (exp <= now - tol) return fail('exp', `expired ${Math.round(now - exp)}s ago`);
  }
  const nbf = claims.nbf;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) return fail('nbf', 'nbf is not a number');
    if (nbf > now + tol) return fail('nbf', `valid in ${Math.round(nbf - now)}s`);
  }
  if (task.audience !== '') {
    const aud = claims.aud;
    const okAud = aud === task.audience || (Array.isArray(aud) && aud.includes(task.audience));
    if (!okAud) return fail('aud', aud === undefined ? 'no aud claim' : undefined);
  }
  if (task.issuer !== '' && claims.iss !== task.issuer) {
    return fail('iss', claims.iss === undefined ? 'no iss claim' : undefined);
  }
  const ih = claims.infohash;
  if (!isInfohashClaim(ih)) return fail('infohash', ih === undefined ? 'no infohash claim' : 'infohash claim malformed');

  return typeof exp === 'number' ? { ok: true, infohash: ih, expSec: exp } : { ok: true, infohash: ih };
}

/** piscina calls the default export once per task (synchronous: the RSA work stays on this thread). */
export default function verifyBatch(batch: VerifyBatch): VerifyResult[] {
  const out: VerifyResult[] = new Array<VerifyResult>(batch.tokens.length);
  for (let i = 0; i < batch.tokens.length; i++) out[i] = verifyOne(batch.tokens[i]!, batch);
  return out;
}
