// One JWT authorizer (one verification pool, one verdict cache) shared by the HTTP and UDP frontends.
// A pending check's id carries its frontend in the top bits, so each verdict returns to the frontend
// that parked the request, without a closure per request.
import type { Config } from '../config/config.js';
import type { Log } from '../util/log.js';
import { JwtAuthorizer, type JwtCode, type JwtCounters, type JwtVerdict } from './jwt/index.js';

export interface VerdictSink {
  /** The verdict for a request `check` answered JWT_PENDING for. Must not throw. */
  jwtVerdict(localId: number, code: JwtVerdict): void;
}

const LOCAL_BITS = 20; // local ids (pending-table indexes) stay below 2^20

export class JwtGate {
  private readonly sinks: VerdictSink[] = [];
  private readonly authorizer: JwtAuthorizer;

  constructor(config: Config, log: Log) {
    this.authorizer = new JwtAuthorizer({
      jwkSetURI: config.jwkSetURI,
      jwtAudience: config.jwtAudience,
      jwtIssuer: config.jwtIssuer,
      jwkUpdateIntervalMs: config.jwkUpdateIntervalMs,
      jwkTTLMs: config.jwkTTLMs,
      jwtWorkers: config.jwtWorkers,
      onVerdict: (id, code) => this.sinks[id >>> LOCAL_BITS]!.jwtVerdict(id & ((1 << LOCAL_BITS) - 1), code),
      log: (level, message) => log.at(level, message),
      verbosity: log.verbosity,
    });
  }

  register(sink: VerdictSink): number {
    this.sinks.push(sink);
    return this.sinks.length - 1;
  }

  /** JWT_OK, a failure code, or JWT_PENDING (the verdict then goes to the sink's jwtVerdict). */
  check(sinkTag: number, token: string | null, infoHash: Uint8Array, localId: number): JwtCode {
    return this.authorizer.check(token, infoHash, (sinkTag << LOCAL_BITS) | localId);
  }

  health(): { ok: true } | { ok: false; reason: string } {
    return this.authorizer.health();
  }

  get counters(): JwtCounters {
    return this.authorizer.counters;
  }

  start(): Promise<void> {
    return this.authorizer.start();
  }

  close(): Promise<void> {
    return this.authorizer.close();
  }
}
