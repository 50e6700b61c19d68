// The UDP fuzzer's runner: one socket per source family (127.0.0.1, and ::1 when the tracker listens on
// both), a real connection ID from connecting first (refreshed from every connect reply), a window of
// datagrams in flight, and every reply matched by transaction ID to the datagram it answers and checked
// (udp-checks.ts). The transaction ID (bytes 12..16) is the runner's counter, written after mutation, so
// every reply can be matched; everything else about a datagram is the generator's.
import { createSocket, type Socket } from 'node:dgram';
import { hex, type Findings, type RecentInputs } from './assertions.js';
import { Latency, type LatencySummary } from './latency.js';
import { Prng } from './prng.js';
import { checkUdpReply, expectsReply, isConnectRequest, type TrackerExpectations } from './udp-checks.js';
import { connectRequest } from './udp-packets.js';
import { UdpGenerator, type ConnectionIdBook, type Family } from './udp-generator.js';

/** Error texts seen from hayate (for grouping cut-short ones in the histogram, not for judging). */
const KNOWN_ERRORS = ['bad connection ID', 'malformed packet', 'unknown action ID', 'malformed event ID', 'client is not approved',
  'unapproved request: missing jwt', 'unapproved request: invalid jwt', 'tracker busy, retry later'];
const RING = 1 << 17;
const MASK = RING - 1;
/** A connection ID is used for this long after it was issued (hayate's are valid about 2 minutes). */
const CID_USE_MS = 60_000;

export interface UdpRunOptions {
  seed: number;
  /** e.g. "udp/defaults": the PRNG stream label and the report's prefix */
  where: string;
  count: number;
  /** Date.now() after which no new datagram is sent */
  deadline: number;
  port: number;
  /** also send from ::1 (the tracker listens on both families) */
  ipv6: boolean;
  expect: TrackerExpectations;
  findings: Findings;
  /** false once the tracker process is gone */
  alive: () => boolean;
  /** the last inputs, for a crash report */
  recent?: RecentInputs;
  /** datagrams owed an answer and not answered yet, at most */
  window?: number;
  /** how long a reply may take before it counts as missing */
  replyWaitMs?: number;
}

export interface UdpRunStats {
  sent: number;
  sentIPv6: number;
  replies: number;
  repliesByAction: Record<string, number>;
  /** action-3 texts and how often */
  errorTexts: Record<string, number>;
  /** owed an answer (well-formed header) and none came within replyWaitMs */
  unanswered: number;
  /** replies that came after replyWaitMs (still checked) */
  late: number;
  /** time from send to (first) reply */
  latency: LatencySummary | null;
  /** replies whose request had left the ring (not checked) */
  unmatched: number;
  elapsedMs: number;
  datagramsPerSec: number;
  stoppedBy: string;
}

class CidBook implements ConnectionIdBook {
  private readonly ids: Record<Family, { cid: Buffer; at: number }[]> = { 4: [], 6: [] };

  current(family: Family): Buffer | null {
    const list = this.ids[family];
    return list.length === 0 ? null : list[list.length - 1]!.cid;
  }

  add(family: Family, cid: Buffer, now: number): void {
    const list = this.ids[family];
    if (list.length > 0 && list[list.length - 1]!.cid.equals(cid)) {
      list[list.length - 1]!.at = now;
      return;
    }
    list.push({ cid: Buffer.from(cid), at: now });
    if (list.length > 8) list.shift();
  }

  isValid(family: Family, b: Buffer, now: number): boolean {
    if (b.length < 8) return false;
    for (const e of this.ids[family]) if (now - e.at < CID_USE_MS && b.compare(e.cid, 0, 8, 0, 8) === 0) return true;
    return false;
  }
}

/** A socket bound to `address` and connected to the tracker (no address lookup per send). */
function openSocket(type: 'udp4' | 'udp6', address: string, port: number): Promise<Socket> {
  const s = createSocket({ type, ipv6Only: type === 'udp6', recvBufferSize: 8 << 20, sendBufferSize: 4 << 20 });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => {
      s.connect(port, address, () => {
        s.removeListener('error', reject);
        s.on('error', () => {}); // ICMP errors and the like: replies are what is judged
        resolve(s);
      });
    });
  });
}

export async function runUdpFuzzer(o: UdpRunOptions): Promise<UdpRunStats> {
  const window = o.window ?? 1024;
  const replyWaitMs = o.replyWaitMs ?? 2_000;
  const rng = new Prng(o.seed, o.where);
  const families: Family[] = o.ipv6 ? [4, 6] : [4];
  const gen = new UdpGenerator(rng, o.expect.tokens, families);
  const book = new CidBook();
  const sockets: Record<Family, Socket | null> = {
    4: await openSocket('udp4', '127.0.0.1', o.port), 6: o.ipv6 ? await openSocket('udp6', '::1', o.port) : null,
  };

  // the ring of datagrams by transaction ID
  const txBase = rng.u32();
  let txCount = 0;
  const slotTx = new Uint32Array(RING);
  const slotIndex = new Float64Array(RING).fill(-1); // input index; -2 bootstrap connect
  const slotBytes: (Buffer | null)[] = new Array(RING).fill(null);
  const slotTags: string[] = new Array(RING).fill('');
  const slotFamily = new Uint8Array(RING);
  const slotCidValid = new Uint8Array(RING);
  const slotSentAt = new Float64Array(RING);
  const slotAnswers = new Uint8Array(RING);
  const slotInFlight = new Uint8Array(RING);
  // datagrams owed an answer, in send order (tx values), swept from the head
  let queue: number[] = [];
  let head = 0;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const latency = new Latency();

  const stats: UdpRunStats = {
    sent: 0, sentIPv6: 0, replies: 0, repliesByAction: {}, errorTexts: {}, unanswered: 0, late: 0, latency: null, unmatched: 0,
    elapsedMs: 0, datagramsPerSec: 0, stoppedBy: 'count',
  };

  const example = (slot: number, detail: string, reply?: Buffer) => ({
    where: o.where, index: slotIndex[slot]!, tags: `${slotTags[slot]} ipv${slotFamily[slot]}`, detail,
    input: [slotBytes[slot]!], reply,
  });

  const onMessage = (family: Family) => (msg: Buffer): void => {
    stats.replies++;
    const now = performance.now();
    if (msg.length < 8) {
      o.findings.violation('udp: reply shorter than 8 bytes', { where: o.where, index: -1, tags: `ipv${family}`, detail: `${msg.length} bytes`, input: [], reply: msg });
      return;
    }
    const tx = msg.readUInt32BE(4);
    const slot = tx & MASK;
    if (slotTx[slot] !== tx || slotIndex[slot] === -1 || slotBytes[slot] === null) {
      if (((tx - txBase) >>> 0) < txCount) {
        stats.unmatched++;
      } else {
        o.findings.violation('udp: reply with a transaction ID never sent', { where: o.where, index: -1, tags: `ipv${family}`, detail: `tx ${tx}`, input: [], reply: msg });
      }
      return;
    }
    const req = { bytes: slotBytes[slot]!, family: slotFamily[slot] as Family, cidValid: slotCidValid[slot] === 1 };
    const action = msg.readUInt32BE(0);
    const actionName = action <= 3 ? ['connect', 'announce', 'scrape', 'error'][action]! : 'unknown';
    stats.repliesByAction[actionName] = (stats.repliesByAction[actionName] ?? 0) + 1;
    if (family !== req.family) o.findings.violation('udp: reply sent to the other family\'s socket', example(slot, `arrived on ipv${family}`, msg));
    if (slotAnswers[slot]! > 0) o.findings.violation('udp: more than one reply to one datagram', example(slot, `reply #${slotAnswers[slot]! + 1}`, msg));
    slotAnswers[slot] = Math.min(255, slotAnswers[slot]! + 1);
    const text = checkUdpReply(req, msg, o.expect, (kind, detail) => o.findings.violation(kind, example(slot, detail, msg)));
    if (action === 3) {
      const full = KNOWN_ERRORS.find((k) => k !== text && k.startsWith(text));
      const key = full !== undefined ? `${full} (cut short)` : text.length > 60 ? `${text.slice(0, 60)}...` : text;
      stats.errorTexts[key] = (stats.errorTexts[key] ?? 0) + 1;
    }
    if (action === 0 && msg.length === 16 && isConnectRequest(req.bytes)) book.add(req.family, msg.subarray(8, 16), Date.now());
    if (now - slotSentAt[slot]! > replyWaitMs) stats.late++;
    if (slotAnswers[slot] === 1) latency.record(now - slotSentAt[slot]!);
    if (slotInFlight[slot] === 1) {
      slotInFlight[slot] = 0;
      inFlight--;
      if (wake !== null && inFlight < window) {
        const w = wake;
        wake = null;
        w();
      }
    }
  };
  sockets[4]!.on('message', onMessage(4));
  sockets[6]?.on('message', onMessage(6));

  /** Drops answered and silent entries from the queue head; counts the ones owed an answer that expired. */
  const sweep = (): void => {
    const now = performance.now();
    while (head < queue.length) {
      const tx = queue[head]!;
      const slot = tx & MASK;
      if (slotTx[slot] === tx && slotInFlight[slot] === 1) {
        if (now - slotSentAt[slot]! < replyWaitMs) break;
        slotInFlight[slot] = 0;
        inFlight--;
        stats.unanswered++;
        if (slotIndex[slot]! >= 0) {
          o.findings.note('udp: no reply within 2 s to a datagram owed one (UDP may drop; not a violation)', example(slot, `${hex(slotBytes[slot]!, 16)}`));
        }
      }
      head++;
    }
    if (head > 65_536) {
      queue = queue.slice(head);
      head = 0;
    }
    if (wake !== null && inFlight < window) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const sweeper = setInterval(sweep, 50);

  const send = (index: number, bytes: Buffer, family: Family, tags: string): void => {
    const tx = (txBase + txCount) >>> 0;
    txCount++;
    if (bytes.length >= 16) {
      bytes.writeUInt32BE(tx, 12);
      const slot = tx & MASK;
      if (slotInFlight[slot] === 1) { // wrapped the ring within replyWaitMs: forget the old one
        slotInFlight[slot] = 0;
        inFlight--;
      }
      slotTx[slot] = tx;
      slotIndex[slot] = index;
      slotBytes[slot] = bytes;
      slotTags[slot] = tags;
      slotFamily[slot] = family;
      slotCidValid[slot] = book.isValid(family, bytes, Date.now()) ? 1 : 0;
      slotSentAt[slot] = performance.now();
      slotAnswers[slot] = 0;
      if (expectsReply(bytes)) {
        slotInFlight[slot] = 1;
        inFlight++;
        queue.push(tx);
      }
    }
    sockets[family]!.send(bytes);
  };

  const waitForRoom = (): Promise<void> => new Promise((resolve) => {
    if (inFlight < window) resolve();
    else wake = resolve;
  });

  const started = performance.now();
  try {
    // a real connection ID per family before anything else
    for (const family of families) {
      for (let attempt = 0; attempt < 10 && book.current(family) === null; attempt++) {
        send(-2, connectRequest(), family, 'bootstrap-connect');
        const until = performance.now() + 500;
        while (book.current(family) === null && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
      }
      if (book.current(family) === null) throw new Error(`${o.where}: no connect reply from 127.0.0.1/::1 port ${o.port} (ipv${family})`);
    }

    for (let i = 0; i < o.count; i++) {
      if ((i & 255) === 0) {
        if (Date.now() > o.deadline) {
          stats.stoppedBy = 'time';
          break;
        }
        if (!o.alive()) {
          stats.stoppedBy = 'tracker exited';
          break;
        }
      }
      if (inFlight >= window) await waitForRoom();
      const input = gen.next(book);
      send(i, input.bytes, input.family, input.tags);
      o.recent?.add(o.where, i, input.tags, [input.bytes]);
      stats.sent++;
      if (input.family === 6) stats.sentIPv6++;
      if ((i & 63) === 63) await new Promise((r) => setImmediate(r));
    }
    // the last replies
    const until = performance.now() + replyWaitMs + 500;
    while (inFlight > 0 && performance.now() < until && o.alive()) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    sweep();
  } finally {
    clearInterval(sweeper);
    for (const s of [sockets[4], sockets[6]]) if (s !== null) await new Promise<void>((r) => s.close(() => r()));
  }
  stats.elapsedMs = Math.round(performance.now() - started);
  stats.datagramsPerSec = Math.round(stats.sent / (stats.elapsedMs / 1000));
  stats.latency = latency.summary();
  return stats;
}
