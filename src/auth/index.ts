// The one entry of the auth module: what frontends and the tracker use to decide who may announce.
export { ClientWhitelist } from './client-whitelist.js';
export { JwtGate, type VerdictSink } from './jwt-gate.js';
export {
  JWT_BUSY, JWT_INVALID, JWT_MISSING, JWT_OK, JWT_PENDING, JWT_UNAVAILABLE, jwtFailureReason, type JwtCode, type JwtCounters,
  type JwtVerdict,
} from './jwt/index.js';
