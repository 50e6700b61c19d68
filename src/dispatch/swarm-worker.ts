// A swarm worker thread: the only writer of its shards. Drains announce and scrape requests from its
// ring in batches, writes reply bytes into the reply ring, and sleeps on Atomics.waitAsync when idle.
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ANNOUNCE_RECORD_BYTES, OFF_REQUEST_ID, OFF_SINK_ID } from '../protocol/announce-request.js';
import { SwarmEngine } from '../swarm/swarm-engine.js';
import { Ring } from './ring.js';
import {
  MSG_HEADER, Msg, SCRAPE_ENTRY_BYTES, SCRAPE_REPLY_ENTRY_BYTES, type ControlReply, type ControlRequest, type SwarmWorkerData,
} from './worker-messages.js';

const data = workerData as SwarmWorkerData;
const engine = new SwarmEngine(data.settings, data.shards, data.repair);
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
    const type = rq[off]!;
    if (type === Msg.Announce) {
      rq.copy(record, 0, off + MSG_HEADER, off + MSG_HEADER + ANNOUNCE_RECORD_BYTES);
      const n = engine.announce(record, nowMs);
      const at = replies.reserve(8 + n);
      if (at < 0) return stall(produced); // the request stays queued; it is re-run after the retry
      rp[at] = Msg.AnnounceReply;
      rp[at + 1] = record[OFF_SINK_ID]!;
      rp.writeUInt32LE(record.readUInt32LE(OFF_REQUEST_ID), at + 4);
      engine.reply.copy(rp, at + 8, 0, n);
    } else {
      const scrapeId = rq.readUInt32LE(off + 4);
      const n = rq.readUInt32LE(off + 8);
      const at = replies.reserve(12 + n * SCRAPE_REPLY_ENTRY_BYTES);
      if (at < 0) return stall(produced);
      rp[at] = Msg.ScrapeReply;
      rp.writeUInt32LE(scrapeId, at + 4);
      rp.writeUInt32LE(n, at + 8);
      for (let i = 0; i < n; i++) {
        const e = off + 12 + i * SCRAPE_ENTRY_BYTES;
        engine.scrape(rq, e + 4, counts, 0);
        const o = at + 12 + i * SCRAPE_REPLY_ENTRY_BYTES;
        rp.writeUInt32LE(rq.readUInt32LE(e), o);
        rp.writeUInt32LE(counts[0]!, o + 4);
        rp.writeUInt32LE(counts[1]!, o + 8);
        rp.writeUInt32LE(counts[2]!, o + 12);
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
