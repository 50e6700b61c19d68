// The I/O thread's side of the mesh: sends each announce to the owner of its infohash's shard and
// hands the reply bytes back to the frontend that asked. An announce for a shard this thread owns
// itself (workers: 0) is answered inline, synchronously, without touching a ring; the rest go down the
// request ring to their owner, which is woken once per event-loop turn, not once per request. A UDP
// announce forwarded to an I/O thread that owns its shard is answered by that thread, from its own
// socket on the same port: its reply does not come back (directUdp). A scrape is split by owner and
// merged back in request order. When an owner dies, what it answered is still
// delivered and what it left unanswered fails, never hangs.
import { ANNOUNCE_RECORD_BYTES, OFF_INFO_HASH, OFF_REQUEST_ID, OFF_SINK_ID } from '../core/announce-record.js';
import { ClientErrors } from '../core/client-errors.js';
import { shardOf } from '../swarm/shard-of.js';
import type { Dispatcher, ReplySink } from './dispatcher.js';
import { Doorbell } from './doorbell.js';
import { ownerOfShard, type MeshMemory } from './mesh.js';
import { Ring } from './ring.js';
import {
  ANNOUNCE_DIRECT_MSG_BYTES, ANNOUNCE_MSG_BYTES, ANNOUNCE_RECORD_AT, Msg, MSG_TYPE_AT, REPLY_BYTES_AT, REPLY_REQUEST_ID_AT, REPLY_SINK_ID_AT,
  SCRAPE_COUNT_AT, SCRAPE_ENTRIES_AT, SCRAPE_ENTRY_BYTES, SCRAPE_ENTRY_HASH_AT, SCRAPE_ENTRY_INDEX_AT, SCRAPE_ID_AT,
  SCRAPE_REPLY_ENTRY_BYTES, SCRAPE_REPLY_INDEX_AT, SCRAPE_REPLY_LEECHERS_AT, SCRAPE_REPLY_SEEDERS_AT,
  SCRAPE_REPLY_SNATCHES_AT, scrapeMsgBytes,
} from './ring-messages.js';
import { ScrapeAssemblies, ScrapeAssembly } from './scrape-assembly.js';
import type { ShardHost } from './shard-host.js';

/** Scrapes in flight at once (bounded: more are refused as busy). */
const MAX_SCRAPES = 65_536;

interface Link {
  requests: Ring;
  replies: Ring;
  doorbell: Doorbell;
  /** Requests were queued since the owner was last woken. */
  wakePending: boolean;
}

/** Counters of one I/O thread's dispatch, read by the stats of that thread. */
export interface DispatchCounters {
  /** Refused because a request ring (or the scrape table) was full. */
  refusedBusy: number;
  /** Accepted, then failed because their owner died. */
  failedOwnerDied: number;
}

export class RoutedDispatcher implements Dispatcher {
  /** links[j] for every owner reached over rings; null for the owner that is this thread. */
  private readonly links: (Link | null)[] = [];
  private readonly sinks: ReplySink[] = [];
  private readonly scrapes = new ScrapeAssemblies(MAX_SCRAPES);
  private readonly owners: number;
  private readonly shards: number;
  private flushScheduled = false;
  private readonly flushWakes = (): void => {
    this.flushScheduled = false;
    for (const l of this.links) {
      if (l !== null && l.wakePending) {
        l.wakePending = false;
        l.doorbell.ring();
      }
    }
  };
  private counts = new Uint32Array(3 * 128);
  readonly stalled = false;

  /**
   * `io` is this thread's index; `local` the ShardHost this thread runs for its own shards (workers: 0),
   * or null. `directUdp`: every owner is an I/O thread with its own socket on the UDP port, so a UDP
   * announce's owner sends its reply itself (no reply message, no wake-up back to this thread).
   */
  constructor(mesh: MeshMemory, readonly io: number, shards: number, private readonly local: ShardHost | null,
    private readonly counters: DispatchCounters = { refusedBusy: 0, failedOwnerDied: 0 }, private readonly directUdp = false) {
    this.owners = mesh.owners;
    this.shards = shards;
    for (let j = 0; j < mesh.owners; j++) {
      const rq = mesh.requests[io]![j]!;
      const rp = mesh.replies[io]![j]!;
      this.links.push(rq === null ? null : { requests: new Ring(rq), replies: new Ring(rp!), doorbell: new Doorbell(mesh.ownerDoorbells[j]!), wakePending: false });
    }
  }

  async ready(): Promise<void> {}

  register(sink: ReplySink): number {
    this.sinks.push(sink);
    return this.sinks.length - 1;
  }

  private ownerOf(hashes: Uint8Array, offset: number): number {
    return ownerOfShard(shardOf(hashes, offset, this.shards), this.owners);
  }

  announce(record: Buffer): boolean {
    const link = this.links[this.ownerOf(record, OFF_INFO_HASH)]!;
    if (link === null) {
      const h = this.local!.handler;
      const n = h.handle(record, Date.now());
      this.sinks[record[OFF_SINK_ID]!]!.announceDone(record.readUInt32LE(OFF_REQUEST_ID), h.reply.subarray(0, n));
      return true;
    }
    const ring = link.requests;
    const sink = this.sinks[record[OFF_SINK_ID]!]!;
    const direct = this.directUdp && sink.forward !== undefined;
    const at = ring.reserve(direct ? ANNOUNCE_DIRECT_MSG_BYTES : ANNOUNCE_MSG_BYTES);
    if (at < 0) {
      this.counters.refusedBusy++;
      return false;
    }
    record.copy(ring.bytes, at + ANNOUNCE_RECORD_AT, 0, ANNOUNCE_RECORD_BYTES);
    if (direct) {
      ring.bytes[at + MSG_TYPE_AT] = Msg.AnnounceDirect;
      sink.forward!(record.readUInt32LE(OFF_REQUEST_ID), ring.bytes, at);
    } else {
      ring.bytes[at + MSG_TYPE_AT] = Msg.Announce;
    }
    ring.commit();
    this.wakeLater(link);
    return true;
  }

  /**
   * Wakes a sleeping owner once per event-loop turn, after the turn's socket events, not once per
   * request: on a shared core an immediate wake-up preempts this thread for every request.
   */
  private wakeLater(link: Link): void {
    link.wakePending = true;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushWakes);
    }
  }

  scrape(sinkId: number, requestId: number, hashes: Buffer, n: number): boolean {
    if (this.owners === 1 && this.links[0] === null) return this.scrapeLocally(sinkId, requestId, hashes, n);
    const owners = new Uint16Array(n);
    const perOwner = new Uint32Array(this.owners);
    for (let i = 0; i < n; i++) {
      owners[i] = this.ownerOf(hashes, i * 20);
      perOwner[owners[i]!]!++;
    }
    const a = new ScrapeAssembly(sinkId, requestId, n);
    const id = this.scrapes.open(a);
    if (id < 0) {
      this.counters.refusedBusy++;
      return false;
    }
    // Reserve in every ring first, so a refusal leaves nothing half-sent.
    const offsets = new Int32Array(this.owners).fill(-1);
    for (let j = 0; j < this.owners; j++) {
      const link = this.links[j];
      if (perOwner[j] === 0 || link === null) continue;
      const at = link!.requests.reserve(scrapeMsgBytes(perOwner[j]!));
      if (at < 0) {
        // Other rings keep their reservation uncommitted: the next reserve overwrites it.
        this.scrapes.close(id);
        this.counters.refusedBusy++;
        return false;
      }
      offsets[j] = at;
      a.remaining++;
    }
    const filled = new Uint32Array(this.owners);
    for (let i = 0; i < n; i++) {
      const j = owners[i]!;
      const link = this.links[j];
      if (link === null) { // this thread's own shard: answered now
        this.local!.engine.scrape(hashes, i * 20, a.counts, 3 * i);
        continue;
      }
      const e = offsets[j]! + SCRAPE_ENTRIES_AT + filled[j]!++ * SCRAPE_ENTRY_BYTES;
      const bytes = link!.requests.bytes;
      bytes.writeUInt32LE(i, e + SCRAPE_ENTRY_INDEX_AT);
      hashes.copy(bytes, e + SCRAPE_ENTRY_HASH_AT, i * 20, i * 20 + 20);
    }
    if (a.remaining === 0) { // every hash was this thread's own
      this.scrapes.close(id);
      this.sinks[sinkId]!.scrapeDone(requestId, a.counts, n);
      return true;
    }
    for (let j = 0; j < this.owners; j++) {
      if (offsets[j]! < 0) continue;
      const link = this.links[j]!;
      const ring = link.requests;
      ring.bytes[offsets[j]! + MSG_TYPE_AT] = Msg.Scrape;
      ring.bytes.writeUInt32LE(id, offsets[j]! + SCRAPE_ID_AT);
      ring.bytes.writeUInt32LE(perOwner[j]!, offsets[j]! + SCRAPE_COUNT_AT);
      ring.commit();
      this.wakeLater(link);
    }
    return true;
  }

  private scrapeLocally(sinkId: number, requestId: number, hashes: Buffer, n: number): boolean {
    if (this.counts.length < 3 * n) this.counts = new Uint32Array(3 * n);
    for (let i = 0; i < n; i++) this.local!.engine.scrape(hashes, i * 20, this.counts, 3 * i);
    this.sinks[sinkId]!.scrapeDone(requestId, this.counts, n);
    return true;
  }

  /**
   * Request rings whose owner has not taken everything this thread sent yet. A drain waits for them
   * too: a forwarded UDP announce is no longer this thread's pending request, but it is in flight.
   */
  ringsWithUnread(): number {
    let n = 0;
    for (const l of this.links) if (l !== null && l.requests.hasUnreleased()) n++;
    return n;
  }

  // RingConsumer: replies from the owners

  hasWork(): boolean {
    for (const l of this.links) if (l !== null && l.replies.hasMessage()) return true;
    return false;
  }

  drain(): void {
    for (const l of this.links) if (l !== null) this.drainReplies(l.replies);
  }

  private drainReplies(r: Ring): void {
    const bytes = r.bytes;
    for (let off = r.peek(); off >= 0; off = r.peek()) {
      if (bytes[off + MSG_TYPE_AT] === Msg.AnnounceReply) {
        this.sinks[bytes[off + REPLY_SINK_ID_AT]!]!.announceDone(bytes.readUInt32LE(off + REPLY_REQUEST_ID_AT),
          bytes.subarray(off + REPLY_BYTES_AT, off + r.length));
      } else {
        this.mergeScrape(bytes, off);
      }
      r.release();
    }
  }

  private mergeScrape(bytes: Buffer, off: number): void {
    const id = bytes.readUInt32LE(off + SCRAPE_ID_AT);
    const a = this.scrapes.get(id);
    if (a === undefined) return;
    const n = bytes.readUInt32LE(off + SCRAPE_COUNT_AT);
    for (let i = 0; i < n; i++) {
      const e = off + SCRAPE_ENTRIES_AT + i * SCRAPE_REPLY_ENTRY_BYTES;
      const at = 3 * bytes.readUInt32LE(e + SCRAPE_REPLY_INDEX_AT);
      a.counts[at] = bytes.readUInt32LE(e + SCRAPE_REPLY_SEEDERS_AT);
      a.counts[at + 1] = bytes.readUInt32LE(e + SCRAPE_REPLY_SNATCHES_AT);
      a.counts[at + 2] = bytes.readUInt32LE(e + SCRAPE_REPLY_LEECHERS_AT);
    }
    if (--a.remaining === 0) {
      this.scrapes.close(id);
      if (!a.failed) this.sinks[a.sinkId]!.scrapeDone(a.requestId, a.counts, a.n);
    }
  }

  /**
   * Owner `j` died (its thread is gone, its replacement not started yet): delivers the replies it did
   * write, then fails everything it had not answered. Only this thread touches the pair's rings until
   * the replacement starts, which reads on from where this left them. Returns how many failed.
   */
  ownerDied(j: number): number {
    const link = this.links[j];
    if (link === null || link === undefined) return 0;
    this.drainReplies(link.replies);
    let failed = 0;
    const bytes = link.requests.bytes;
    link.requests.forEachUnread((off) => {
      const type = bytes[off + MSG_TYPE_AT];
      if (type === Msg.Announce) {
        const rec = off + ANNOUNCE_RECORD_AT;
        this.sinks[bytes[rec + OFF_SINK_ID]!]!.requestFailed(bytes.readUInt32LE(rec + OFF_REQUEST_ID), ClientErrors.busy);
      } else if (type === Msg.AnnounceDirect) {
        this.sinks[bytes[off + ANNOUNCE_RECORD_AT + OFF_SINK_ID]!]!.forwardedFailed!(bytes, off, ClientErrors.busy);
      } else {
        this.failScrape(bytes.readUInt32LE(off + SCRAPE_ID_AT));
      }
      failed++;
    });
    link.replies.resync();
    this.counters.failedOwnerDied += failed;
    return failed;
  }

  /** A part of scrape `id` will never be answered: the scrape fails once, and its entry is freed. */
  private failScrape(id: number): void {
    const a = this.scrapes.get(id);
    if (a === undefined) return;
    if (!a.failed) {
      a.failed = true;
      this.sinks[a.sinkId]!.requestFailed(a.requestId, ClientErrors.busy);
    }
    if (--a.remaining === 0) this.scrapes.close(id);
  }

  async close(): Promise<void> {
    this.flushScheduled = false;
  }
}
