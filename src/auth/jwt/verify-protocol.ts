// What travels between a JwtChecker (in each I/O thread, in front of the verdict cache) and the one
// VerificationBroker (on the main thread, in front of the piscina pool): tokens to verify, and what
// became of them. Structured-clone friendly: strings, numbers, plain objects.
import type { VerifyResult } from './messages.js';

export interface VerifyRequest {
  /** The compact JWS as received (never logged). */
  token: string;
  /** Fairness key of the client that sent it (an IPv4 address or an IPv6 /64). */
  source: string;
  /** The key-set version the checker saw; echoed in the outcome, so the checker finds its waiters. */
  asked: number;
}

/**
 * `asked` is the version of the request it answers (-1 when it only teaches a cache); `version` the key
 * set it was verified with (a verdict is cached only when that is still the checker's current one).
 */
export type VerifyOutcome = { token: string; asked: number; version: number } & (
  | { result: VerifyResult }
  /** The broker's queue (or this source's share of it) was full. */
  | { busy: true }
  /** No usable key set, or the broker is closing. */
  | { unavailable: true });

/** The checker's way to the broker: requests are batched per event-loop turn by the checker. */
export interface BrokerLink {
  request(items: VerifyRequest[]): void;
}

/** The key set as a checker sees it: its version, and whether it may still be used (fail closed if not). */
export interface KeySetView {
  /** The current version, or -1 when no usable key set exists (never fetched, or expired past jwkTTL). */
  usableVersion(nowMs: number): number;
}

/** The same view over shared memory, written by the broker's thread: [version, usable until (epoch ms)]. */
export class SharedKeySetView implements KeySetView {
  private readonly slots: Float64Array;

  constructor(memory: SharedArrayBuffer) {
    this.slots = new Float64Array(memory);
  }

  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(2 * 8);
  }

  usableVersion(nowMs: number): number {
    return nowMs <= this.slots[1]! ? this.slots[0]! : -1;
  }

  publish(version: number, usableUntilMs: number): void {
    this.slots[1] = usableUntilMs;
    this.slots[0] = version;
  }
}
