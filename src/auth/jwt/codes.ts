// Outcomes of JwtAuthorizer.check(), as small integers so the hot path returns without allocating,
// and the only texts a peer ever sees about JWTs (compat.md: Quay's validator looks for "invalid jwt").

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
  'unapproved request: missing jwt',
  'unapproved request: invalid jwt',
  'unapproved request: jwt keys unavailable',
  'tracker busy, retry later',
  '',
];

/** The `failure reason` text for a code; "" for JWT_OK and JWT_PENDING (not failures). */
export function jwtFailureReason(code: number): string {
  return REASONS[code] ?? 'unapproved request: invalid jwt';
}
