// Outcomes of JwtAuthorizer.check(), as small integers so the hot path returns without allocating,
// and the client texts each one is answered with (Quay's configuration validator looks for "invalid jwt").
import { ClientErrors } from '../../core/client-errors.js';

export const JWT_OK = 0;
/** No `jwt` parameter (or an empty one). */
export const JWT_MISSING = 1;
/** Any verification failure: signature, kid, alg, aud, iss, exp/nbf, infohash, format. */
export const JWT_INVALID = 2;
/** No usable key set (never fetched, or expired after jwkTTL): fail closed. */
export const JWT_UNAVAILABLE = 3;
/** The verification queue is full: answer a failure rather than grow without bound. */
export const JWT_BUSY = 4;
/** Not known yet: onVerdict(requestId, code) will be called later with one of the codes above. */
export const JWT_PENDING = 5;

export type JwtCode =
  | typeof JWT_OK | typeof JWT_MISSING | typeof JWT_INVALID
  | typeof JWT_UNAVAILABLE | typeof JWT_BUSY | typeof JWT_PENDING;

/** A final verdict: what onVerdict receives (never JWT_PENDING). */
export type JwtVerdict = Exclude<JwtCode, typeof JWT_PENDING>;

const REASONS: readonly string[] = [
  '',
  ClientErrors.missingJwt,
  ClientErrors.invalidJwt,
  ClientErrors.jwtKeysUnavailable,
  ClientErrors.busy,
  '',
];

/** The `failure reason` text for a code; "" for JWT_OK and JWT_PENDING (not failures). */
export function jwtFailureReason(code: number): string {
  return REASONS[code] ?? ClientErrors.invalidJwt;
}
