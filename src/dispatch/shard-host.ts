// The owner side of the mesh: the one writer of a set of shards. It answers what I/O threads queued on
// its request rings (announces through the announce handler, so reply bytes are encoded here, and
// scrape parts), writes each answer on the reply ring back to that thread and rings its doorbell (a
// forwarded UDP announce's reply leaves from this thread's own UDP socket instead), and reaps its
// shards. It runs inside a swarm worker, or inside an I/O thread when `workers: 0` (that
// thread's own announces for its shards then skip the rings: see RoutedDispatcher).
import { ANNOUNCE_RECORD_BYTES, OFF_REQUEST_ID, OFF_SINK_ID } from '../core/announce-record.js';
import type { SwarmSettings } from '../swarm/settings.js';
import type { DirectReplies } from './dispatcher.js';
import type { ShardMemory } from '../swarm/shard.js';
import type { TorrentSummary } from '../swarm/peer-store.js';
import { SwarmEngine } from '../swarm/swarm-engine.js';
import { AnnounceHandler } from './announce-handler.js';
import { ClusterFeed } from './cluster-feed.js';
import { Doorbell } from './doorbell.js';
import { ownerOfShard, type MeshMemory } from './mesh.js';
import { Ring } from './ring.js';
import {
  ANNOUNCE_RECORD_AT, announceReplyMsgBytes, Msg, MSG_TYPE_AT, REPLY_BYTES_AT, REPLY_REQUEST_ID_AT, REPLY_SINK_ID_AT,
  SCRAPE_COUNT_AT, SCRAPE_ENTRIES_AT, SCRAPE_ENTRY_BYTES, SCRAPE_ENTRY_HASH_AT, SCRAPE_ENTRY_INDEX_AT, SCRAPE_ID_AT,
  SCRAPE_REPLY_ENTRY_BYTES, SCRAPE_REPLY_INDEX_AT, SCRAPE_REPLY_LEECHERS_AT, SCRAPE_REPLY_SEEDERS_AT,
  SCRAPE_REPLY_SNATCHES_AT, scrapeReplyMsgBytes,
} from './ring-messages.js';

/** One I/O thread as this owner sees it: its request ring in, its reply ring out, its doorbell. */
interface Peer {
  requests: Ring;
  replies: Ring;
  doorbell: Doorbell;
  /** Replies were committed since the doorbell was last rung. */
  produced: boolean;
}

export type ControlOp = 'describe' | 'create' | 'remove';

export class ShardHost {
  readonly engine: SwarmEngine;
  readonly handler: AnnounceHandler;
  private readonly peers: Peer[] = [];
  private readonly record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  private readonly counts = new Uint32Array(3);
  private readonly reaper: NodeJS.Timeout;
  /** A reply ring was full: the drain stopped early and must run again soon. */
  stalled = false;
  /** Cluster mode: this owner's changes out and the other instances' changes in. */
  private readonly feed: ClusterFeed | null;
  /**
   * The UDP frontend of the I/O thread this host runs in, which sends the replies of forwarded UDP
   * announces (Msg.AnnounceDirect): set before the thread's consumer loop starts.
   */
  direct: DirectReplies | null = null;

  /**
   * `owner` is this host's index among the mesh's owners; `shards` are every shard's memory (only those
   * of this owner are used). `repair` when taking over tables a dead owner may have left mid-write.
   */
  constructor(settings: SwarmSettings, shards: readonly ShardMemory[], mesh: MeshMemory, readonly owner: number, repair: boolean) {
    this.engine = new SwarmEngine(settings, shards.map((m, s) => (ownerOfShard(s, mesh.owners) === owner ? m : undefined)), repair);
    this.handler = new AnnounceHandler(this.engine, settings);
    for (let i = 0; i < mesh.ioThreads; i++) {
      const rq = mesh.requests[i]![owner];
      const rp = mesh.replies[i]![owner];
      if (rq === null || rp === null || rq === undefined || rp === undefined) continue;
      this.peers.push({ requests: new Ring(rq), replies: new Ring(rp), doorbell: new Doorbell(mesh.ioDoorbells[i]!), produced: false });
    }
    this.feed = mesh.cluster === null ? null : new ClusterFeed(mesh.cluster[owner]!, this.engine);
    this.engine.changes = this.feed;
    this.reaper = setInterval(() => this.engine.reap(Date.now()), settings.reapIntervalMs);
    this.reaper.unref();
  }

  /** Whether any request ring has a message (the doorbell's last look before sleeping). */
  hasWork(): boolean {
    for (const p of this.peers) if (p.requests.hasMessage()) return true;
    return this.feed !== null && this.feed.hasWork();
  }

  /** Answers everything queued on every request ring (stopping at a full reply ring), then rings doorbells. */
  drain(): void {
    const nowMs = Date.now(); // one clock read per batch
    this.stalled = false;
    this.feed?.drain();
    for (const p of this.peers) {
      if (!this.drainPeer(p, nowMs)) this.stalled = true;
      if (p.produced) {
        p.produced = false;
        p.doorbell.ring();
      }
    }
  }

  /** False when it stopped because the reply ring was full (the request stays queued). */
  private drainPeer(p: Peer, nowMs: number): boolean {
    const rq = p.requests.bytes;
    const rp = p.replies.bytes;
    const record = this.record;
    for (let off = p.requests.peek(); off >= 0; off = p.requests.peek()) {
      const type = rq[off + MSG_TYPE_AT];
      if (type === Msg.AnnounceDirect) {
        // The reply is queued on this thread's socket, which sends it at this task's end: a thread
        // that dies in between loses it, as the network may lose any datagram (the client retries).
        rq.copy(record, 0, off + ANNOUNCE_RECORD_AT, off + ANNOUNCE_RECORD_AT + ANNOUNCE_RECORD_BYTES);
        this.direct!.sendForwarded(this.handler.reply, this.handler.handle(record, nowMs), rq, off);
        p.requests.release();
        continue;
      }
      if (type === Msg.Announce) {
        rq.copy(record, 0, off + ANNOUNCE_RECORD_AT, off + ANNOUNCE_RECORD_AT + ANNOUNCE_RECORD_BYTES);
        const n = this.handler.handle(record, nowMs);
        const at = p.replies.reserve(announceReplyMsgBytes(n));
        if (at < 0) return false; // re-run after the I/O thread made room; the announce is applied again, harmlessly
        rp[at + MSG_TYPE_AT] = Msg.AnnounceReply;
        rp[at + REPLY_SINK_ID_AT] = record[OFF_SINK_ID]!;
        rp.writeUInt32LE(record.readUInt32LE(OFF_REQUEST_ID), at + REPLY_REQUEST_ID_AT);
        this.handler.reply.copy(rp, at + REPLY_BYTES_AT, 0, n);
      } else {
        const n = rq.readUInt32LE(off + SCRAPE_COUNT_AT);
        const at = p.replies.reserve(scrapeReplyMsgBytes(n));
        if (at < 0) return false;
        rp[at + MSG_TYPE_AT] = Msg.ScrapeReply;
        rp.writeUInt32LE(rq.readUInt32LE(off + SCRAPE_ID_AT), at + SCRAPE_ID_AT);
        rp.writeUInt32LE(n, at + SCRAPE_COUNT_AT);
        const counts = this.counts;
        for (let i = 0; i < n; i++) {
          const e = off + SCRAPE_ENTRIES_AT + i * SCRAPE_ENTRY_BYTES;
          this.engine.scrape(rq, e + SCRAPE_ENTRY_HASH_AT, counts, 0);
          const o = at + SCRAPE_ENTRIES_AT + i * SCRAPE_REPLY_ENTRY_BYTES;
          rp.writeUInt32LE(rq.readUInt32LE(e + SCRAPE_ENTRY_INDEX_AT), o + SCRAPE_REPLY_INDEX_AT);
          rp.writeUInt32LE(counts[0]!, o + SCRAPE_REPLY_SEEDERS_AT);
          rp.writeUInt32LE(counts[1]!, o + SCRAPE_REPLY_SNATCHES_AT);
          rp.writeUInt32LE(counts[2]!, o + SCRAPE_REPLY_LEECHERS_AT);
        }
      }
      // Reply first, then release the request: a request is never both answered and lost in a crash.
      p.replies.commit();
      p.requests.release();
      p.produced = true;
    }
    return true;
  }

  /** Admin API operations, for the torrents this host owns. */
  control(op: ControlOp, infoHash: Buffer): TorrentSummary | boolean | null {
    return op === 'describe' ? this.engine.describe(infoHash) : op === 'create' ? this.engine.create(infoHash) : this.engine.remove(infoHash);
  }

  close(): void {
    clearInterval(this.reaper);
  }
}
