// The piscina worker: verifies one token's signature and claims. RSA work happens only here, never on
// the main thread. Rules (compat.md "JWT"): the key is chosen by `kid` (no kid: each key is tried); an
// RSA key without `alg` is RS256; only the RSA algorithm the key allows is accepted, so `alg: none`,
// HS256 keyed with the public key and algorithm substitution are refused before any crypto; exp/nbf
// are honoured when present (Quay sends neither); aud/iss as configured; `infohash` must be a string in
// an accepted form (it is compared with the announced hash on the main thread, per request).
import { compactVerify, errors, importJWK, type KeyLike } from 'jose';
import { isInfohashClaim } from './infohash-claim.js';
import { keyAlgorithm, RSA_ALGS, type PublicRsaJwk } from './jwk-parse.js';
import type { VerifyCheck, VerifyResult, VerifyTask } from './messages.js';

interface ImportedKey {
  kid: string | undefined;
  alg: string;
  key: KeyLike;
}

// Imported keys of the last key-set version seen: each key is imported once per version per worker.
// The text is compared too, so two sources that happen to share a version number cannot mix keys.
let cache: { version: number; text: string; keys: ImportedKey[] } | null = null;

async function importedKeys(task: VerifyTask): Promise<ImportedKey[] | null> {
  if (cache !== null && cache.version === task.jwksVersion && cache.text === task.jwks) return cache.keys;
  try {
    const doc = JSON.parse(task.jwks) as { keys: PublicRsaJwk[] };
    const keys: ImportedKey[] = [];
    for (const jwk of doc.keys) {
      const alg = keyAlgorithm(jwk);
      keys.push({ kid: jwk.kid, alg, key: (await importJWK(jwk, alg)) as KeyLike });
    }
    cache = { version: task.jwksVersion, text: task.jwks, keys };
    return keys;
  } catch {
    return null;
  }
}

const fail = (check: VerifyCheck, detail?: string): VerifyResult =>
  detail === undefined ? { ok: false, check } : { ok: false, check, detail };

/** Log-safe rendering of an attacker-controlled header value. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

function decodeJsonObject(segment: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function verifyToken(task: VerifyTask): Promise<VerifyResult> {
  const token = task.token;
  const dot1 = token.indexOf('.');
  const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
  if (dot1 <= 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) return fail('format', 'not a compact JWS');
  const header = decodeJsonObject(token.slice(0, dot1));
  if (header === null) return fail('format', 'header is not a JSON object');

  const alg = header.alg;
  if (typeof alg !== 'string') return fail('format', 'header has no alg');
  if (!RSA_ALGS.includes(alg)) return fail('alg', `alg ${show(alg)} is not accepted`);

  const keys = await importedKeys(task);
  if (keys === null) return fail('keys', 'key set could not be imported');

  const kid = header.kid;
  if (kid !== undefined && typeof kid !== 'string') return fail('format', 'kid is not a string');
  let byKid = keys;
  if (kid !== undefined) {
    byKid = keys.filter((k) => k.kid === kid);
    if (byKid.length === 0) return fail('kid', `kid ${show(kid)} is not in the key set`);
  }
  const candidates = byKid.filter((k) => k.alg === alg);
  if (candidates.length === 0) return fail('alg', `alg ${alg} is not allowed by the key(s)`);

  let payloadBytes: Uint8Array | null = null;
  for (const k of candidates) {
    try {
      // `algorithms` restricts jose to the one algorithm this key allows, whatever the header says.
      payloadBytes = (await compactVerify(token, k.key, { algorithms: [k.alg] })).payload;
      break;
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) continue; // maybe another key (no kid)
      if (err instanceof errors.JOSEAlgNotAllowed) return fail('alg', `alg ${alg} not allowed`);
      return fail('format', err instanceof errors.JOSEError ? err.code : 'unparsable');
    }
  }
  if (payloadBytes === null) return fail('signature');

  let claims: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
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

// piscina calls the default export once per task.
export default verifyToken;
