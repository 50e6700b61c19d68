// Compact JWS parsing and RSA signature verification, synchronous, for the verification workers.
//
// Why not jose's compactVerify here: in Node it verifies through promisified crypto.verify, i.e. on
// libuv's shared threadpool (the one DNS and fs use), with a thread hop per token. Measured on the dev
// VM: 91 µs per RS256 verification through jose vs 29 µs with a synchronous crypto.verify. The worker
// threads are the CPU we budgeted (jwtWorkers), so the RSA work is done on them, synchronously.
// The rules mirror jose's for the algorithms we accept, and test/jwt-verify-task.test.ts checks this
// code against jose's compactVerify as an oracle.
import { constants, verify, type KeyObject } from 'node:crypto';
import { RSA_ALGS } from './jwk-parse.js';
import { looksLikeCompactJws } from './token-shape.js';

export interface ParsedJws {
  alg: string;
  kid: string | undefined;
  /** ASCII bytes of `header.payload`: what the signature covers. */
  signingInput: Buffer;
  signature: Buffer;
  /** base64url payload segment (decoded only after the signature verified). */
  payload: string;
}

export type JwsRefusal = { check: 'format' | 'alg'; detail: string };

const HASH: Record<string, string> = {
  RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', PS256: 'sha256', PS384: 'sha384', PS512: 'sha512',
};

/** Parses `header.payload.signature`; refuses anything but an RSA algorithm we accept. */
export function parseCompactJws(token: string): ParsedJws | JwsRefusal {
  // Base64url alphabet and exactly three segments: Buffer's base64url decoder skips bad characters
  // silently, so the alphabet is checked before decoding anything.
  if (!looksLikeCompactJws(token)) return { check: 'format', detail: 'not a compact JWS' };
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString('utf8'));
  } catch {
    return { check: 'format', detail: 'header is not JSON' };
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    return { check: 'format', detail: 'header is not a JSON object' };
  }
  const h = header as Record<string, unknown>;
  if (typeof h.alg !== 'string') return { check: 'format', detail: 'header has no alg' };
  if (!RSA_ALGS.includes(h.alg)) return { check: 'alg', detail: `alg ${show(h.alg)} is not accepted` };
  // We understand no critical extension, so any `crit` must be refused (RFC 7515 4.1.11); this also
  // refuses unencoded payloads (RFC 7797 b64=false requires crit).
  if (h.crit !== undefined) return { check: 'format', detail: 'crit header not supported' };
  if (h.b64 !== undefined && h.b64 !== true) return { check: 'format', detail: 'b64 header not supported' };
  if (h.kid !== undefined && typeof h.kid !== 'string') return { check: 'format', detail: 'kid is not a string' };
  return {
    alg: h.alg,
    kid: h.kid as string | undefined,
    signingInput: Buffer.from(token.slice(0, dot2), 'latin1'),
    signature: Buffer.from(token.slice(dot2 + 1), 'base64url'),
    payload: token.slice(dot1 + 1, dot2),
  };
}

/** RSASSA-PKCS1-v1_5 (RS*) or RSASSA-PSS with salt = hash length and MGF1 of the same hash (PS*). */
export function verifyRsa(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const hash = HASH[alg];
  if (hash === undefined) return false;
  try {
    if (alg.charCodeAt(0) === 0x50 /* P */) {
      return verify(hash, signingInput, {
        key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      }, signature);
    }
    return verify(hash, signingInput, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false; // e.g. a signature of the wrong length
  }
}

/** Log-safe rendering of an attacker-controlled header value. */
export function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}
