// The one entry of the auth module: what frontends, I/O threads and the tracker use to decide who may
// announce.
export { ClientWhitelist } from './client-whitelist.js';
export { JwtGate, type JwtGateOptions, type VerdictSink } from './jwt-gate.js';
export {
  JWT_BUSY, JWT_INVALID, JWT_MISSING, JWT_OK, JWT_PENDING, JWT_UNAVAILABLE, jwtFailureReason, type JwtCode, type JwtCounters,
  type JwtVerdict,
} from './jwt/index.js';
export { VerificationBroker, type BrokerCounters } from './jwt/broker.js';
export type { JwtCheckerCounters } from './jwt/checker.js';
export { coarseNow, startCoarseClock } from './jwt/coarse-clock.js';
export { sourceKeyOf } from './jwt/fair-queue.js';
export { SharedKeySetView, type VerifyOutcome, type VerifyRequest } from './jwt/verify-protocol.js';
