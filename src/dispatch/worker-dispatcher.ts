// workers >= 1 — each swarm worker thread owns the shards s with s % workers == its index, and is the
// only writer of their SharedArrayBuffer tables. Requests go down a per-worker ring, replies come back
// up another; no postMessage per request. A worker that dies is restarted over the same tables
// (repaired first); requests it had not answered are failed, never left hanging.
import { Worker } from 'node:worker_threads';
import type { Log } from '../util/log.js';
import { ANNOUNCE_RECORD_BYTES, OFF_INFO_HASH, OFF_REQUEST_ID, OFF_SINK_ID } from '../core/announce-record.js';
import { ClientErrors } from '../core/client-errors.js';
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';
import { shardOf } from '../swarm/shard-of.js';
import type { TorrentSummary } from '../swarm/peer-store.js';
import type { Dispatcher, ReplySink } from './dispatcher.js';
import { allocateRing, Ring, type RingMemory } from './ring.js';
import { ScrapeAssemblies, ScrapeAssembly } from './scrape-assembly.js';
import {
  ANNOUNCE_MSG_BYTES, ANNOUNCE_RECORD_AT, Msg, MSG_TYPE_AT, REPLY_BYTES_AT, REPLY_REQUEST_ID_AT, REPLY_SINK_ID_AT,
  SCRAPE_COUNT_AT, SCRAPE_ENTRIES_AT, SCRAPE_ENTRY_BYTES, SCRAPE_ENTRY_HASH_AT, SCRAPE_ENTRY_INDEX_AT, SCRAPE_ID_AT,
  SCRAPE_REPLY_ENTRY_BYTES, SCRAPE_REPLY_INDEX_AT, SCRAPE_REPLY_LEECHERS_AT, SCRAPE_REPLY_SEEDERS_AT,
  SCRAPE_REPLY_SNATCHES_AT, scrapeMsgBytes,
} from './ring-messages.js';
import type { ControlReply, ControlRequest, ReadyMessage, SwarmWorkerData } from './worker-messages.js';

/** Per-worker ring sizes: ~11,900 queued announces down, and room for their typical replies up. */
const REQUEST_RING_BYTES = 1 << 20;
const REPLY_RING_BYTES = 1 << 22;
const MAX_RESTARTS_IN_A_ROW = 3;
const STABLE_AFTER_MS = 5_000;

interface SwarmThread {
  index: number;
  worker: Worker;
  requests: Ring;
  replies: Ring;
  memory: { requests: RingMemory; replies: RingMemory };
  startedAt: number;
  restartsInARow: number;
  tid: number;
  /** Requests were queued since the last wake-up check (see flushWakes). */
  wakePending: boolean;
  control: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

export class WorkerDispatcher implements Dispatcher {
  refusedCount = 0;
  failedInFlight = 0;
  restarts = 0;
  private readonly threads: SwarmThread[] = [];
  private readonly sinks: ReplySink[] = [];
  private readonly scrapes = new ScrapeAssemblies(65_536);
  private readonly workerFile = new URL('./swarm-worker.js', import.meta.url);
  private controlId = 0;
  private closing = false;
  private flushScheduled = false;
  private readonly flushWakes = (): void => {
    this.flushScheduled = false;
    for (const t of this.threads) {
      if (t.wakePending) {
        t.wakePending = false;
        t.requests.wake();
      }
    }
  };

  constructor(private readonly settings: SwarmSettings, private readonly shardMemories: readonly ShardMemory[],
    readonly workerCount: number, private readonly log: Log, private readonly onFatal: (err: Error) => void = (err) => { throw err; }) {
    for (let i = 0; i < workerCount; i++) {
      const memory = { requests: allocateRing(REQUEST_RING_BYTES), replies: allocateRing(REPLY_RING_BYTES) };
      this.threads.push(this.spawn(i, memory, false, 0));
      this.listen(this.threads[i]!);
    }
  }

  /** Resolves once every worker has started (tests and start-up logs use it). */
  async ready(): Promise<void> {
    await Promise.all(this.threads.map((t) => (t.tid !== 0 ? undefined : new Promise<void>((resolve) => {
      const check = (m: unknown): void => {
        if ((m as ReadyMessage).ready) { t.worker.off('message', check); resolve(); }
      };
      t.worker.on('message', check);
    }))));
  }

  /** The Worker objects, for tests that kill one. */
  get workers(): Worker[] {
    return this.threads.map((t) => t.worker);
  }

  private spawn(index: number, memory: SwarmThread['memory'], repair: boolean, restartsInARow: number): SwarmThread {
    const shards = this.shardMemories.map((m, s) => (s % this.workerCount === index ? m : undefined));
    const data: SwarmWorkerData = { index, settings: this.settings, shards, requests: memory.requests, replies: memory.replies, repair };
    const name = `swarm-${String(index + 1).padStart(2, '0')}`;
    const worker = new Worker(this.workerFile, { workerData: data, name });
    const thread: SwarmThread = {
      index, worker, memory, requests: new Ring(memory.requests), replies: new Ring(memory.replies),
      startedAt: Date.now(), restartsInARow, tid: 0, wakePending: false, control: new Map(),
    };
    worker.on('message', (m: ReadyMessage | ControlReply) => this.onMessage(thread, m));
    worker.on('error', (err) => this.log.info(`${name}: uncaught error: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.onExit(thread, code));
    return thread;
  }

  /** Drains replies whenever the worker signals, for as long as this worker object is current. */
  private listen(t: SwarmThread): void {
    const loop = (): void => {
      if (this.closing || this.threads[t.index] !== t) return; // a replaced (dead) worker's loop ends here
      this.drainReplies(t);
      const wait = t.replies.sleep();
      if (wait === null) setImmediate(loop);
      else void wait.then(loop);
    };
    loop();
  }

  private drainReplies(t: SwarmThread): void {
    const r = t.replies;
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

  private onMessage(t: SwarmThread, m: ReadyMessage | ControlReply): void {
    if ('ready' in m) {
      t.tid = m.tid;
      return;
    }
    const waiter = t.control.get(m.id);
    if (waiter === undefined) return;
    t.control.delete(m.id);
    if (m.error !== undefined) waiter.reject(new Error(m.error));
    else waiter.resolve(m.result);
  }

  private onExit(t: SwarmThread, code: number): void {
    if (this.closing || this.threads[t.index] !== t) return;
    const name = `swarm-${String(t.index + 1).padStart(2, '0')}`;
    this.restarts++;
    // 1. answers the worker did write still go out; 2. everything it had not answered fails.
    this.drainReplies(t);
    let failed = 0;
    t.requests.forEachUnread((off) => {
      const bytes = t.requests.bytes;
      if (bytes[off + MSG_TYPE_AT] === Msg.Announce) {
        const rec = off + ANNOUNCE_RECORD_AT;
        this.sinks[bytes[rec + OFF_SINK_ID]!]!.requestFailed(bytes.readUInt32LE(rec + OFF_REQUEST_ID), ClientErrors.busy);
      } else {
        this.failScrape(bytes.readUInt32LE(off + SCRAPE_ID_AT));
      }
      failed++;
    });
    this.failedInFlight += failed;
    for (const w of t.control.values()) w.reject(new Error(`${name} died`));
    const quickDeath = Date.now() - t.startedAt < STABLE_AFTER_MS;
    const inARow = quickDeath ? t.restartsInARow + 1 : 1;
    this.log.info(`${name} exited (code ${code}); ${failed} in-flight requests failed; restarting over its tables (restart ${this.restarts})`);
    if (inARow > MAX_RESTARTS_IN_A_ROW) {
      this.onFatal(new Error(`${name} died ${inARow} times within ${STABLE_AFTER_MS} ms of starting: cannot restore the swarm`));
      return;
    }
    t.replies.resync();
    this.threads[t.index] = this.spawn(t.index, t.memory, true, inARow);
    this.listen(this.threads[t.index]!);
  }

  private failScrape(id: number): void {
    const a = this.scrapes.get(id);
    if (a === undefined || a.failed) return;
    a.failed = true;
    this.sinks[a.sinkId]!.requestFailed(a.requestId, ClientErrors.busy);
  }

  register(sink: ReplySink): number {
    this.sinks.push(sink);
    return this.sinks.length - 1;
  }

  announce(record: Buffer): boolean {
    const t = this.threads[shardOf(record, OFF_INFO_HASH, this.settings.torrentMapShards) % this.workerCount]!;
    const ring = t.requests;
    const at = ring.reserve(ANNOUNCE_MSG_BYTES);
    if (at < 0) {
      this.refusedCount++;
      return false;
    }
    ring.bytes[at + MSG_TYPE_AT] = Msg.Announce;
    record.copy(ring.bytes, at + ANNOUNCE_RECORD_AT, 0, ANNOUNCE_RECORD_BYTES);
    ring.commit();
    this.wakeLater(t);
    return true;
  }

  /**
   * Wakes a sleeping worker once per event-loop turn, after the turn's socket events, not once per
   * request: on a shared core an immediate wake-up preempts the main thread for every request.
   */
  private wakeLater(t: SwarmThread): void {
    t.wakePending = true;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushWakes);
    }
  }

  scrape(sinkId: number, requestId: number, hashes: Buffer, n: number): boolean {
    const a = new ScrapeAssembly(sinkId, requestId, n);
    const owners = new Uint8Array(n);
    const perWorker = new Uint32Array(this.workerCount);
    for (let i = 0; i < n; i++) {
      owners[i] = shardOf(hashes, i * 20, this.settings.torrentMapShards) % this.workerCount;
      perWorker[owners[i]!]!++;
    }
    const id = this.scrapes.open(a);
    if (id < 0) {
      this.refusedCount++;
      return false;
    }
    // Reserve in every ring first, so a refusal leaves nothing half-sent.
    const offsets = new Int32Array(this.workerCount).fill(-1);
    for (let w = 0; w < this.workerCount; w++) {
      if (perWorker[w] === 0) continue;
      const at = this.threads[w]!.requests.reserve(scrapeMsgBytes(perWorker[w]!));
      if (at < 0) {
        // Other rings keep their reservation uncommitted: the next reserve overwrites it.
        this.scrapes.close(id);
        this.refusedCount++;
        return false;
      }
      offsets[w] = at;
      a.remaining++;
    }
    const filled = new Uint32Array(this.workerCount);
    for (let i = 0; i < n; i++) {
      const w = owners[i]!;
      const bytes = this.threads[w]!.requests.bytes;
      const e = offsets[w]! + SCRAPE_ENTRIES_AT + filled[w]!++ * SCRAPE_ENTRY_BYTES;
      bytes.writeUInt32LE(i, e + SCRAPE_ENTRY_INDEX_AT);
      hashes.copy(bytes, e + SCRAPE_ENTRY_HASH_AT, i * 20, i * 20 + 20);
    }
    for (let w = 0; w < this.workerCount; w++) {
      if (offsets[w]! < 0) continue;
      const ring = this.threads[w]!.requests;
      ring.bytes[offsets[w]! + MSG_TYPE_AT] = Msg.Scrape;
      ring.bytes.writeUInt32LE(id, offsets[w]! + SCRAPE_ID_AT);
      ring.bytes.writeUInt32LE(perWorker[w]!, offsets[w]! + SCRAPE_COUNT_AT);
      ring.commit();
      this.wakeLater(this.threads[w]!);
    }
    return true;
  }

  private control(infoHash: Buffer, op: ControlRequest['op']): Promise<unknown> {
    const t = this.threads[shardOf(infoHash, 0, this.settings.torrentMapShards) % this.workerCount]!;
    const id = ++this.controlId;
    return new Promise((resolve, reject) => {
      t.control.set(id, { resolve, reject });
      const msg: ControlRequest = { id, op, infoHash };
      t.worker.postMessage(msg);
    });
  }

  async describe(infoHash: Buffer): Promise<TorrentSummary | null> {
    return (await this.control(infoHash, 'describe')) as TorrentSummary | null;
  }

  async create(infoHash: Buffer): Promise<boolean> {
    return (await this.control(infoHash, 'create')) as boolean;
  }

  async remove(infoHash: Buffer): Promise<boolean> {
    return (await this.control(infoHash, 'remove')) as boolean;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
