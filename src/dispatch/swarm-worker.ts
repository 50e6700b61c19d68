// A swarm worker thread: the only writer of its shards. Drains announce and scrape requests from its
// ring in batches, writes reply bytes into the reply ring, and sleeps on Atomics.waitAsync when idle.
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ANNOUNCE_RECORD_BYTES, OFF_REQUEST_ID, OFF_SINK_ID } from '../core/announce-record.js';
import { SwarmEngine } from '../swarm/swarm-engine.js';
import { AnnounceHandler } from './announce-handler.js';
import { Ring } from './ring.js';
import {
  ANNOUNCE_RECORD_AT, announceReplyMsgBytes, Msg, MSG_TYPE_AT, REPLY_BYTES_AT, REPLY_REQUEST_ID_AT, REPLY_SINK_ID_AT,
  SCRAPE_COUNT_AT, SCRAPE_ENTRIES_AT, SCRAPE_ENTRY_BYTES, SCRAPE_ENTRY_HASH_AT, SCRAPE_ENTRY_INDEX_AT, SCRAPE_ID_AT,
  SCRAPE_REPLY_ENTRY_BYTES, SCRAPE_REPLY_INDEX_AT, SCRAPE_REPLY_LEECHERS_AT, SCRAPE_REPLY_SEEDERS_AT,
  SCRAPE_REPLY_SNATCHES_AT, scrapeReplyMsgBytes,
} from './ring-messages.js';
import type { ControlReply, ControlRequest, SwarmWorkerData } from './worker-messages.js';

const data = workerData as SwarmWorkerData;
const engine = new SwarmEngine(data.settings, data.shards, data.repair);
const handler = new AnnounceHandler(engine, data.settings);
const requests = new Ring(data.requests);
const replies = new Ring(data.replies);
const record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
const counts = new Uint32Array(3);
let retryTimer: NodeJS.Timeout | null = null;

/** Handles every queued request; stops early (and retries soon) if the reply ring is full. */
function drain(): void {
  const nowMs = Date.now(); // one clock read per batch
  const rq = requests.bytes;
  const rp = replies.bytes;
  let produced = false;
  for (let off = requests.peek(); off >= 0; off = requests.peek()) {
    if (rq[off + MSG_TYPE_AT] === Msg.Announce) {
      rq.copy(record, 0, off + ANNOUNCE_RECORD_AT, off + ANNOUNCE_RECORD_AT + ANNOUNCE_RECORD_BYTES);
      const n = handler.handle(record, nowMs);
      const at = replies.reserve(announceReplyMsgBytes(n));
      if (at < 0) return stall(produced); // the request stays queued; it is re-run after the retry
      rp[at + MSG_TYPE_AT] = Msg.AnnounceReply;
      rp[at + REPLY_SINK_ID_AT] = record[OFF_SINK_ID]!;
      rp.writeUInt32LE(record.readUInt32LE(OFF_REQUEST_ID), at + REPLY_REQUEST_ID_AT);
      handler.reply.copy(rp, at + REPLY_BYTES_AT, 0, n);
    } else {
      const n = rq.readUInt32LE(off + SCRAPE_COUNT_AT);
      const at = replies.reserve(scrapeReplyMsgBytes(n));
      if (at < 0) return stall(produced);
      rp[at + MSG_TYPE_AT] = Msg.ScrapeReply;
      rp.writeUInt32LE(rq.readUInt32LE(off + SCRAPE_ID_AT), at + SCRAPE_ID_AT);
      rp.writeUInt32LE(n, at + SCRAPE_COUNT_AT);
      for (let i = 0; i < n; i++) {
        const e = off + SCRAPE_ENTRIES_AT + i * SCRAPE_ENTRY_BYTES;
        engine.scrape(rq, e + SCRAPE_ENTRY_HASH_AT, counts, 0);
        const o = at + SCRAPE_ENTRIES_AT + i * SCRAPE_REPLY_ENTRY_BYTES;
        rp.writeUInt32LE(rq.readUInt32LE(e + SCRAPE_ENTRY_INDEX_AT), o + SCRAPE_REPLY_INDEX_AT);
        rp.writeUInt32LE(counts[0]!, o + SCRAPE_REPLY_SEEDERS_AT);
        rp.writeUInt32LE(counts[1]!, o + SCRAPE_REPLY_SNATCHES_AT);
        rp.writeUInt32LE(counts[2]!, o + SCRAPE_REPLY_LEECHERS_AT);
      }
    }
    // Reply first, then release the request: a request is never both answered and lost in a crash.
    replies.commit();
    requests.release();
    produced = true;
  }
  if (produced) replies.wake();
  idle();
}

function stall(produced: boolean): void {
  if (produced) replies.wake();
  if (retryTimer === null) retryTimer = setTimeout(() => { retryTimer = null; drain(); }, 1);
}

function idle(): void {
  const wait = requests.sleep();
  if (wait === null) setImmediate(drain);
  else void wait.then(drain);
}

parentPort!.on('message', (msg: ControlRequest) => {
  const ih = Buffer.from(msg.infoHash);
  const reply: ControlReply = { id: msg.id };
  try {
    reply.result = msg.op === 'describe' ? engine.describe(ih) : msg.op === 'create' ? engine.create(ih) : engine.remove(ih);
  } catch (err) {
    reply.error = err instanceof Error ? err.message : String(err);
  }
  parentPort!.postMessage(reply);
});

const reaper = setInterval(() => engine.reap(Date.now()), data.settings.reapIntervalMs);
reaper.unref();

let tid = 0;
try {
  tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
} catch {
  // not Linux: per-thread CPU accounting is unavailable
}
parentPort!.postMessage({ ready: true, tid });
drain();
