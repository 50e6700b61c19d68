// The one door every announce passes, HTTP and UDP alike: the port, the client whitelist, then the
// JWT check (which may park the record while its token is verified off the thread), then the
// dispatcher. A frontend fills its announce record, takes a pending id, and asks `admit`; it answers a
// refusal itself, and hears through ParkedAnswer when a parked announce cannot go on.
import {
  type ClientWhitelist, type JwtGate, JWT_BUSY, JWT_OK, JWT_PENDING, jwtFailureReason, type JwtVerdict, type VerdictSink,
} from '../auth/index.js';
import { ANNOUNCE_RECORD_BYTES, OFF_INFO_HASH, OFF_PEER_ID, OFF_PORT, OFF_REQUEST_ID, OFF_SINK_ID } from '../core/announce-record.js';
import { clientIdOf } from '../core/client-id.js';
import { ClientErrors } from '../core/client-errors.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';

export const enum Admission {
  /** Handed to the dispatcher: the reply comes through the frontend's ReplySink. */
  Forwarded = 0,
  /** Waiting for its token's verdict: the reply comes later, or ParkedAnswer.refuseParked. */
  Parked = 1,
  /** Refused at once: the frontend answers `gate.reason` and frees its pending id. */
  Refused = 2,
}

export interface ParkedAnswer {
  /** Fairness key of the current request's client (its address, or IPv6 /64), for the JWT queue. */
  sourceKey(): string;
  /** False when the pending id was already answered or freed (the verdict is then dropped). */
  isWaiting(pendingId: number): boolean;
  /** A parked announce cannot go on (its token was refused, or the swarm is busy): answer `reason`. */
  refuseParked(pendingId: number, reason: string): void;
}

export class AnnounceGate implements VerdictSink {
  /** Client text of the last Refused admission. */
  reason = '';
  /** Why, for the frontend's log line at -v=2 (never the token). */
  detail = '';
  private readonly parked: Buffer;
  private readonly jwtTag: number;
  /** The record's info_hash, as the JWT check reads it: a view made once, not one per request. */
  private readonly infoHash: Buffer;

  /**
   * `record` is the frontend's reused announce record, filled before each `admit`; `maxPending` bounds
   * the frontend's pending ids (and so the parked records).
   */
  private readonly sourceKey: () => string;

  constructor(private readonly record: Buffer, private readonly dispatcher: Dispatcher, private readonly sinkId: number,
    private readonly whitelist: ClientWhitelist, private readonly jwt: JwtGate | null, private readonly answer: ParkedAnswer,
    maxPending: number, private readonly counters: { refusedBusy: number }) {
    this.sourceKey = () => answer.sourceKey();
    this.infoHash = record.subarray(OFF_INFO_HASH, OFF_INFO_HASH + 20);
    this.jwtTag = jwt === null ? -1 : jwt.register(this);
    this.parked = Buffer.alloc(jwt === null ? 0 : maxPending * ANNOUNCE_RECORD_BYTES);
  }

  /** Whether announces need a token (the frontend only extracts one then). */
  get checksJwt(): boolean {
    return this.jwt !== null;
  }

  /** Admits the announce in the record under `pendingId`; `token` is its `jwt` (null when absent). */
  admit(pendingId: number, token: string | null): Admission {
    const rec = this.record;
    // Port 0: nobody could connect to this peer, so it must not be handed to others (any event: the
    // rule stays simple, and a peer that was never stored has nothing to stop).
    if ((rec[OFF_PORT]! | rec[OFF_PORT + 1]!) === 0) return this.refuse(ClientErrors.invalidPort, 'port 0');
    if (this.whitelist.enabled && !this.whitelist.allows(clientIdOf(rec, OFF_PEER_ID))) {
      return this.refuse(ClientErrors.clientNotApproved, 'client not on the whitelist');
    }
    if (this.jwt !== null) {
      const code = this.jwt.check(this.jwtTag, token, this.infoHash, pendingId, this.sourceKey);
      if (code === JWT_PENDING) {
        rec.copy(this.parked, pendingId * ANNOUNCE_RECORD_BYTES, 0, ANNOUNCE_RECORD_BYTES);
        return Admission.Parked;
      }
      if (code !== JWT_OK) {
        if (code === JWT_BUSY) this.counters.refusedBusy++;
        return this.refuse(jwtFailureReason(code), code === JWT_BUSY ? 'jwt verification queue full' : 'jwt refused');
      }
    }
    return this.forward(pendingId, rec) ? Admission.Forwarded : this.refuse(ClientErrors.busy, 'swarm queue full');
  }

  // VerdictSink: a parked announce's token was verified (or not).
  jwtVerdict(pendingId: number, code: JwtVerdict): void {
    if (!this.answer.isWaiting(pendingId)) return;
    const at = pendingId * ANNOUNCE_RECORD_BYTES;
    if (code === JWT_OK && this.forward(pendingId, this.parked.subarray(at, at + ANNOUNCE_RECORD_BYTES))) return;
    if (code === JWT_BUSY) this.counters.refusedBusy++;
    this.answer.refuseParked(pendingId, code === JWT_OK ? ClientErrors.busy : jwtFailureReason(code));
  }

  private forward(pendingId: number, rec: Buffer): boolean {
    rec[OFF_SINK_ID] = this.sinkId;
    rec.writeUInt32LE(pendingId, OFF_REQUEST_ID);
    return this.dispatcher.announce(rec);
  }

  private refuse(reason: string, detail: string): Admission {
    this.reason = reason;
    this.detail = detail;
    return Admission.Refused;
  }
}
