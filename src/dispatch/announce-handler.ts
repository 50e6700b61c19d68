// The one place an announce's outcome becomes reply bytes: the store decides (counts, peers, refusal),
// this encodes it for the record's ReplyKind, a bencoded HTTP body or a BEP 15 packet. Both the inline
// path and the swarm worker call it, so with workers >= 1 encoding runs on the worker, off the thread
// that owns the sockets.
import { OFF_REPLY_KIND, OFF_TRANSACTION_ID, ReplyKind } from '../core/announce-record.js';
import { AnnounceFailure, announceFailureText } from '../core/announce-outcome.js';
import { intervalsTail, maxAnnounceBodyBytes, putHttpAnnounce } from '../protocol/http/announce-response.js';
import { putFailure } from '../protocol/http/failure.js';
import { writeAnnounceReplyHeader, writeErrorReply } from '../protocol/udp/writers.js';
import type { PeerStore } from '../swarm/peer-store.js';
import type { SwarmSettings } from '../swarm/settings.js';

export class AnnounceHandler {
  /** Reply bytes of the last `handle` call (valid until the next one). */
  readonly reply: Buffer;
  /** `e8:intervali..e12:min intervali..e`, the same in every HTTP reply. */
  private readonly tail: Buffer;
  private readonly intervalSec: number;

  constructor(private readonly store: PeerStore, settings: SwarmSettings) {
    this.reply = Buffer.alloc(maxAnnounceBodyBytes(settings.maxNumWant));
    this.tail = intervalsTail(settings.intervalSec, settings.minIntervalSec);
    this.intervalSec = settings.intervalSec;
  }

  /** Applies the announce in `rec` at `nowMs`, writes its reply into `this.reply`, returns its length. */
  handle(rec: Buffer, nowMs: number): number {
    const o = this.store.announce(rec, nowMs);
    const kind = rec[OFF_REPLY_KIND]!;
    const out = this.reply;
    if (kind === ReplyKind.Udp4 || kind === ReplyKind.Udp6) {
      if (o.failure !== AnnounceFailure.None) {
        return writeErrorReply(out, 0, rec, OFF_TRANSACTION_ID, announceFailureText(o.failure), out.length);
      }
      const n = writeAnnounceReplyHeader(out, 0, rec, OFF_TRANSACTION_ID, this.intervalSec, o.leechers, o.seeders);
      if (!o.withPeers) return n;
      const peers = o.selection;
      return kind === ReplyKind.Udp6 ? n + peers.compact6.copy(out, n, 0, peers.n6 * 18) : n + peers.compact4.copy(out, n, 0, peers.n4 * 6);
    }
    if (o.failure !== AnnounceFailure.None) return putFailure(out, 0, announceFailureText(o.failure));
    return putHttpAnnounce(out, o.seeders, o.leechers, this.tail, o.withPeers ? o.selection : null, kind === ReplyKind.HttpCompact);
  }
}
