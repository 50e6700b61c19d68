// The messages that cross the thread boundary between the authorizer (main thread) and the piscina
// verification workers. Explicit, structured-clone friendly types: strings, numbers, plain objects.

/**
 * What a piscina task carries: the tokens that arrived in one event-loop turn (piscina costs tens of µs
 * per task, more than an RS256 verification, so tokens travel in batches) and everything needed to
 * verify them: workers hold no configuration. Results come back as VerifyResult[] in the same order.
 */
export interface VerifyBatch extends VerifyContext {
  /** Compact JWSs exactly as received (never logged). */
  tokens: string[];
}

/** One verification (the unit verifyToken works on; tests call it directly). */
export interface VerifyTask extends VerifyContext {
  token: string;
}

export interface VerifyContext {
  /** Required `aud` value; "" disables the audience check. */
  audience: string;
  /** Required `iss` value; "" when no issuer applies (neither jwtIssuer nor a JWK set `issuer`). */
  issuer: string;
  /** Canonical JWK set text produced by the main thread (public RSA members only). */
  jwks: string;
  /** Key-set version the text belongs to; the worker caches imported keys per version. */
  jwksVersion: number;
  /** Current time, seconds since the epoch (the main thread's clock, so tests can move it). */
  nowSec: number;
  /** Tolerance for exp/nbf, seconds. */
  clockToleranceSec: number;
}

/** Which rule refused a token: for logs only, the client is told just "invalid jwt". */
export type VerifyCheck =
  | 'format'    // not a compact JWS / bad base64url / header or payload not a JSON object
  | 'alg'       // alg none, HS*, or any algorithm the selected key does not allow
  | 'kid'       // kid names no key in the set
  | 'signature' // no candidate key verifies the signature
  | 'exp'       // expired (or exp not a number)
  | 'nbf'       // not yet valid (or nbf not a number)
  | 'aud'       // audience missing or different
  | 'iss'       // issuer missing or different
  | 'infohash'  // infohash claim missing, not a string, or not a 20-byte value in any accepted form
  | 'keys';     // the worker could not use the key set (should not happen: main validated it)

export type VerifyResult =
  | { ok: true; infohash: string; expSec?: number }
  | { ok: false; check: VerifyCheck; detail?: string };
