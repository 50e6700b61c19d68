// The JWT check of one I/O thread, shared by its HTTP and UDP frontends: one JwtChecker (this thread's
// verdict cache) whose cold tokens go to the process's one VerificationBroker. A pending check's id
// carries its frontend in the top bits, so each verdict returns to the frontend that parked the
// request, without a closure per request.
import { JwtChecker, type JwtCheckerCounters } from './jwt/checker.js';
import type { JwtCode, JwtVerdict } from './jwt/codes.js';
import type { JwtLog } from './jwt/log.js';
import type { BrokerLink, KeySetView, VerifyOutcome } from './jwt/verify-protocol.js';

export interface VerdictSink {
  /** The verdict for a request `check` answered JWT_PENDING for. Must not throw. */
  jwtVerdict(localId: number, code: JwtVerdict): void;
}

export interface JwtGateOptions {
  audience: string;
  keySet: KeySetView;
  link: BrokerLink;
  counters: JwtCheckerCounters;
  log: JwtLog;
  verbosity: number;
  now: () => number;
}

const LOCAL_BITS = 20; // local ids (pending-table indexes) stay below 2^20

export class JwtGate {
  private readonly sinks: VerdictSink[] = [];
  private readonly checker: JwtChecker;

  constructor(opts: JwtGateOptions) {
    this.checker = new JwtChecker({
      ...opts,
      onVerdict: (id, code) => this.sinks[id >>> LOCAL_BITS]!.jwtVerdict(id & ((1 << LOCAL_BITS) - 1), code),
    });
  }

  register(sink: VerdictSink): number {
    this.sinks.push(sink);
    return this.sinks.length - 1;
  }

  /**
   * JWT_OK, a failure code, or JWT_PENDING (the verdict then goes to the sink's jwtVerdict). `source`
   * names the client for the broker's fair queue; it is asked only when the token must be verified.
   */
  check(sinkTag: number, token: string | null, infoHash: Uint8Array, localId: number, source: () => string): JwtCode {
    return this.checker.check(token, infoHash, (sinkTag << LOCAL_BITS) | localId, source);
  }

  /** What the broker found (for this thread's requests, or taught to every thread). */
  deliver(outcomes: VerifyOutcome[]): void {
    this.checker.deliver(outcomes);
  }

  close(): void {
    this.checker.close();
  }
}
