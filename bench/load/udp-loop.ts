// One UDP generator thread (BEP 15). Several connected dgram sockets, each a simulated client: it first
// gets a connection ID (connect), then keeps `window` requests in flight; every request slot owns its
// buffer, so a buffer is rewritten only after its reply (or timeout). Transaction IDs carry the slot
// number in the low byte and a per-socket sequence above it, so a reply finds its slot in O(1) and a
// reply for an abandoned request is recognised as late. A timeout sweep every 20 ms frees stuck slots.
// Connection IDs are refreshed after 60 s (BEP 15: valid for about 2 minutes).
import dgram from 'node:dgram';
import { FillPaths, fillCoordinates } from '../workload/paths.js';
import { peerFields } from '../workload/peers.js';
import { encodeHistogram, newHistogram, recordMicros } from './histogram.js';
import type { ThreadResult, UdpTask } from './types.js';
import {
  ACTION_CONNECT, ACTION_ERROR, ANNOUNCE_BYTES, CONNECT_BYTES, scrapeBytes, stampRequest, writeAnnounceBody,
  writeConnect, writeScrapeBody,
} from './udp-packets.js';

const REFRESH_MS = 60_000;
const PRECOMPUTE_MAX = 100_000;

interface Slot {
  buf: Buffer;
  tid: number;
  sentAt: number;
  busy: boolean;
  isConnect: boolean;
}

interface Client {
  sock: dgram.Socket;
  connId: Buffer;
  connAt: number;
  ready: boolean;
  refreshing: boolean;
  seq: number;
  slots: Slot[];
}

export function runUdp(task: UdpTask, onProgress: (done: number) => void): Promise<ThreadResult> {
  const w = task.workload;
  if (task.window < 1 || task.window > 256) throw new Error('udp window must be 1..256');
  const r: ThreadResult = {
    requests: 0, errors: 0, timeouts: 0, non2xx: 0, failures: 0, late: 0, statusCodes: {}, elapsedSec: 0, histogram: '', notes: [],
  };
  const hist = newHistogram();
  const countConnects = w.action === 'connect';
  const reqBytes = w.action === 'connect' ? CONNECT_BYTES : w.action === 'announce' ? ANNOUNCE_BYTES : scrapeBytes(w.hashesPerScrape);
  const fill = new FillPaths(w.fill);
  const errorTexts = new Map<string, number>();
  let handshakes = 0;
  let handshakeFailures = 0;
  let bad = 0;

  const writeBody = (buf: Buffer, at: number, k: number): void => {
    const pos = w.first + k;
    if (w.action === 'announce') {
      const { torrent, g } = fillCoordinates(w.fill, pos);
      writeAnnounceBody(buf, at, fill.infoHash(torrent), peerFields(g), w.fill.numwant);
    } else {
      const t = pos % w.fill.torrents;
      const hashes: Buffer[] = [];
      for (let j = 0; j < w.hashesPerScrape; j++) hashes.push(fill.infoHash((t + j) % w.fill.torrents));
      writeScrapeBody(buf, at, hashes);
    }
  };
  let templates: Buffer | null = null;
  if (w.action !== 'connect' && w.count <= PRECOMPUTE_MAX) {
    templates = Buffer.alloc(w.count * reqBytes);
    for (let k = 0; k < w.count; k++) writeBody(templates, k * reqBytes, k);
  }

  const clients: Client[] = [];
  let issued = 0;
  let cursor = 0;
  let stopped = false;
  let started = 0;

  return new Promise((resolve) => {
    let resolved = false;
    const finish = (): void => {
      if (resolved) return;
      resolved = true;
      stopped = true;
      clearInterval(sweeper);
      clearInterval(ticker);
      clearTimeout(hardStop);
      for (const c of clients) c.sock.close();
      r.elapsedSec = (performance.now() - started) / 1000;
      r.histogram = encodeHistogram(hist);
      if (!countConnects) r.notes.push(`${handshakes} connect handshakes (not counted)`);
      if (handshakeFailures > 0) r.notes.push(`${handshakeFailures} connect handshakes failed or timed out`);
      if (bad > 0) r.notes.push(`${bad} replies with an unexpected action or size`);
      for (const [text, n] of errorTexts) r.notes.push(`error reply x${n}: ${text}`);
      resolve(r);
    };
    const exhausted = (): boolean =>
      (task.maxRequests > 0 && issued >= task.maxRequests) || (w.once && cursor >= w.count);
    const maybeDone = (): void => {
      if (!exhausted()) return;
      for (const c of clients) for (const s of c.slots) if (s.busy) return;
      finish();
    };

    const sendConnect = (c: Client, i: number): void => {
      const s = c.slots[i]!;
      s.tid = ((c.seq++ & 0xffffff) << 8 | i) >>> 0;
      writeConnect(s.buf, s.tid);
      s.isConnect = true;
      s.busy = true;
      s.sentAt = performance.now();
      if (countConnects) issued++;
      c.sock.send(s.buf, 0, CONNECT_BYTES);
    };

    const sendNext = (c: Client, i: number): void => {
      const s = c.slots[i]!;
      s.busy = false;
      if (stopped || exhausted()) return maybeDone();
      if (countConnects) return sendConnect(c, i);
      if (!c.ready) {
        if (!c.refreshing) { c.refreshing = true; sendConnect(c, i); }
        return;
      }
      if (!c.refreshing && performance.now() - c.connAt > REFRESH_MS) {
        c.refreshing = true;
        return sendConnect(c, i);
      }
      const k = cursor++ % w.count;
      if (templates !== null) templates.copy(s.buf, 0, k * reqBytes, (k + 1) * reqBytes);
      else writeBody(s.buf, 0, k);
      s.tid = ((c.seq++ & 0xffffff) << 8 | i) >>> 0;
      stampRequest(s.buf, c.connId, s.tid);
      s.isConnect = false;
      s.busy = true;
      s.sentAt = performance.now();
      issued++;
      c.sock.send(s.buf, 0, reqBytes);
    };

    const onMessage = (c: Client, msg: Buffer): void => {
      if (msg.length < 8) { bad++; return; }
      const action = msg.readUInt32BE(0);
      const tid = msg.readUInt32BE(4);
      const i = tid & 0xff;
      const s = c.slots[i];
      if (s === undefined || !s.busy || s.tid !== tid) { r.late++; return; }
      const now = performance.now();
      const us = (now - s.sentAt) * 1000;
      if (action === ACTION_ERROR) {
        const text = msg.toString('latin1', 8, Math.min(msg.length, 88));
        if (errorTexts.size < 8 || errorTexts.has(text)) errorTexts.set(text, (errorTexts.get(text) ?? 0) + 1);
      }
      if (s.isConnect) {
        const wasReady = c.ready;
        if (action === ACTION_CONNECT && msg.length >= 16) {
          msg.copy(c.connId, 0, 8, 16);
          c.connAt = now;
          c.ready = true;
        } else if (!countConnects) {
          handshakeFailures++;
        }
        c.refreshing = false;
        if (countConnects) {
          r.requests++;
          recordMicros(hist, us);
          if (action !== ACTION_CONNECT) r.failures++;
        } else {
          handshakes++;
        }
        sendNext(c, i);
        if (!wasReady && c.ready) for (let j = 0; j < c.slots.length; j++) if (j !== i && !c.slots[j]!.busy) sendNext(c, j);
        return;
      }
      r.requests++;
      recordMicros(hist, us);
      if (action === ACTION_ERROR) {
        r.failures++;
        c.ready = false; // perhaps an expired connection ID: shake hands again
      } else if (action !== (w.action === 'announce' ? 1 : 2)) {
        bad++;
      }
      sendNext(c, i);
    };

    const sweep = (): void => {
      const now = performance.now();
      for (const c of clients) {
        for (let i = 0; i < c.slots.length; i++) {
          const s = c.slots[i]!;
          if (!s.busy || now - s.sentAt < task.timeoutMs) continue;
          s.tid = 0;
          if (s.isConnect && !countConnects) {
            handshakeFailures++;
            c.refreshing = false;
          } else {
            r.timeouts++;
          }
          sendNext(c, i);
        }
      }
    };

    const slotBytes = Math.max(reqBytes, CONNECT_BYTES);
    for (let n = 0; n < task.sockets; n++) {
      const sock = dgram.createSocket('udp4');
      const c: Client = { sock, connId: Buffer.alloc(8), connAt: 0, ready: false, refreshing: false, seq: 1, slots: [] };
      for (let i = 0; i < task.window; i++) c.slots.push({ buf: Buffer.alloc(slotBytes), tid: 0, sentAt: 0, busy: false, isConnect: false });
      sock.on('message', (msg) => onMessage(c, msg));
      sock.on('error', () => { r.errors++; });
      clients.push(c);
    }
    const sweeper = setInterval(sweep, 20);
    const ticker = setInterval(() => onProgress(r.requests), 250);
    const hardStop = setTimeout(finish, task.durationSec * 1000);
    let connected = 0;
    for (const c of clients) {
      c.sock.connect(task.port, task.host, () => {
        try {
          c.sock.setRecvBufferSize(4 << 20);
          c.sock.setSendBufferSize(4 << 20);
        } catch {
          // the kernel caps these at rmem_max / wmem_max: keep whatever it allows
        }
        if (++connected < clients.length) return;
        started = performance.now();
        for (const cl of clients) {
          if (countConnects) for (let i = 0; i < cl.slots.length; i++) sendNext(cl, i);
          else sendNext(cl, 0);
        }
      });
    }
  });
}
