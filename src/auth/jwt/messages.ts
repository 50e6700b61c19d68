// The messages that cross the thread boundary between the authorizer (main thread) and the piscina
// verification workers. Explicit, structured-clone friendly types: strings, numbers, plain objects.

/** One verification. Everything the worker needs travels with the task, so workers hold no config. */
export interface VerifyTask {
  /** The compact JWS exactly as received (never logged). */
  token: string;
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
