// Public surface of the JWT module for the frontends and main: import from here.
export {
  JWT_OK, JWT_MISSING, JWT_INVALID, JWT_UNAVAILABLE, JWT_BUSY, JWT_PENDING,
  jwtFailureReason, type JwtCode, type JwtVerdict,
} from './codes.js';
export { JwtAuthorizer, type JwtAuthorizerOptions, type JwtCounters } from './authorizer.js';
export { JwkSetSource, type JwkHealth, type JwkSetSnapshot, type JwkSetSourceOptions } from './jwk-set.js';
export { claimMatches } from './infohash-claim.js';
export type { JwtLog } from './log.js';
