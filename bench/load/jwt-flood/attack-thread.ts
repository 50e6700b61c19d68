// The attack thread of jwt-flood (see attack.ts): every attacker address sends announces carrying a new
// forged token each, closed-loop (the next one when an answer comes), until the deadline or the count.
// Answers are classified by their failure reason. Raw node:net and node:dgram, to keep the attacker
// cheap: the tracker's CPU, not the attacker's, should be what the flood costs.
import { createSocket, type Socket } from 'node:dgram';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { ForgedTokens } from '../../jwt/tokens.js';
import { percentEncodeBytes } from '../../workload/percent.js';
import type { AttackerFigures, AttackMessage, AttackResult, AttackTask } from './attack.js';

const task = workerData as AttackTask;
const post = (m: AttackMessage): void => parentPort!.postMessage(m);
const started = performance.now();
const deadline = started + task.durationSec * 1000;
const infoHash = Buffer.from(task.infoHashHex, 'hex');
let issued = 0;

const more = (): boolean => performance.now() < deadline && (task.maxRequests === 0 || issued < task.maxRequests);

function figures(address: string): AttackerFigures {
  return { address, sent: 0, answered: 0, byText: {}, errors: 0 };
}

function count(f: AttackerFigures, text: string): void {
  f.answered++;
  f.byText[text] = (f.byText[text] ?? 0) + 1;
}

// --- HTTP: keep-alive connections, one request at a time each ---

const FAILURE = Buffer.from('d14:failure reason');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The failure reason of a bencoded body, or "" for any other answer. */
function failureText(body: Buffer): string {
  if (!body.subarray(0, FAILURE.length).equals(FAILURE)) return '';
  const colon = body.indexOf(0x3a, FAILURE.length);
  return colon < 0 ? '?' : body.toString('latin1', colon + 1, body.length - 1);
}

function httpConnection(f: AttackerFigures, tokens: ForgedTokens, peerId: string, done: () => void): void {
  const query = `/announce?info_hash=${percentEncodeBytes(infoHash)}&peer_id=${peerId}&port=6881&uploaded=0&downloaded=0&left=0&numwant=0&compact=1&jwt=`;
  const xff = task.forwardedFor === true ? `X-Forwarded-For: ${f.address}\r\n` : '';
  const tail = ` HTTP/1.1\r\nHost: ${task.host}:${task.port}\r\n${xff}\r\n`;
  const sock = net.connect({ host: task.host, port: task.port, localAddress: task.forwardedFor === true ? undefined : f.address, noDelay: true });
  let buf: Buffer = Buffer.alloc(0);
  let closed = false;
  const send = (): void => {
    if (!more()) {
      sock.end();
      return;
    }
    issued++;
    f.sent++;
    sock.write(`GET ${query}${tokens.next()}${tail}`);
  };
  sock.on('connect', send);
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf(HEADER_END);
      if (end < 0) return;
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.toString('latin1', 0, end));
      const len = m === null ? 0 : Number(m[1]);
      if (buf.length < end + 4 + len) return;
      count(f, failureText(buf.subarray(end + 4, end + 4 + len)));
      buf = buf.subarray(end + 4 + len);
      send();
    }
  });
  const finish = (): void => {
    if (closed) return;
    closed = true;
    sock.destroy();
    // A connection the tracker closed is opened again while the attack lasts.
    if (more()) setTimeout(() => httpConnection(f, tokens, peerId, done), 10);
    else done();
  };
  sock.on('error', () => { f.errors++; finish(); });
  sock.on('close', finish);
}

function httpAttack(): Promise<AttackerFigures[]> {
  return new Promise((resolve) => {
    const all = task.addresses.map(figures);
    let running = all.length * task.concurrency;
    all.forEach((f, a) => {
      const tokens = new ForgedTokens(task.kid, task.issuer, task.audience, infoHash, a);
      for (let c = 0; c < task.concurrency; c++) {
        httpConnection(f, tokens, `-AT0001-${String(a).padStart(3, '0')}${String(c).padStart(9, '0')}`, () => {
          if (--running === 0) resolve(all);
        });
      }
    });
  });
}

// --- UDP: one socket per address, a window of announces in flight ---

const TIMEOUT_MS = 1000;

function udpSocket(f: AttackerFigures, a: number, window: number): Promise<void> {
  const tokens = new ForgedTokens(task.kid, task.issuer, task.audience, infoHash, 1000 + a);
  const sock: Socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const sentAt = new Float64Array(window).fill(-1);
  const slotSeq = new Uint32Array(window);
  const cid = Buffer.alloc(8);
  let connected = false;
  let seq = 1;
  const peerId = Buffer.from(`-AT0001-udp${String(a).padStart(9, '0')}`, 'latin1');

  const connect = (): void => {
    const c = Buffer.alloc(16);
    c.writeUInt32BE(0x417, 0);
    c.writeUInt32BE(0x27101980, 4);
    c.writeUInt32BE(0, 8);
    c.writeUInt32BE(0xffffffff, 12);
    sock.send(c, task.port, task.host);
  };
  const announce = (slot: number): void => {
    if (!more()) {
      sentAt[slot] = -1;
      return;
    }
    issued++;
    f.sent++;
    const data = Buffer.from(`/announce?jwt=${tokens.next()}`, 'latin1');
    const chunks = Math.ceil(data.length / 255);
    const pkt = Buffer.alloc(98 + data.length + 2 * chunks + 1);
    cid.copy(pkt, 0);
    pkt.writeUInt32BE(1, 8);
    slotSeq[slot] = seq++ & 0xffffff;
    pkt.writeUInt32BE(((slotSeq[slot]! << 8) | slot) >>> 0, 12);
    infoHash.copy(pkt, 16);
    peerId.copy(pkt, 36);
    pkt.writeInt32BE(0, 92);
    pkt.writeUInt16BE(6881, 96);
    let o = 98;
    for (let i = 0; i < data.length; i += 255) {
      const part = data.subarray(i, i + 255);
      pkt[o++] = 2;
      pkt[o++] = part.length;
      part.copy(pkt, o);
      o += part.length;
    }
    pkt[o] = 0;
    sentAt[slot] = performance.now();
    sock.send(pkt, task.port, task.host);
  };

  return new Promise((resolve) => {
    sock.on('message', (m) => {
      if (m.length < 8) return;
      const tx = m.readUInt32BE(4);
      if (tx === 0xffffffff) {
        if (m.readUInt32BE(0) !== 0 || m.length < 16) return;
        m.copy(cid, 0, 8, 16);
        if (!connected) {
          connected = true;
          for (let s = 0; s < window; s++) announce(s);
        }
        return;
      }
      const slot = tx & 0xff;
      if (slot >= window || sentAt[slot]! < 0 || slotSeq[slot] !== tx >>> 8) return; // late or stray
      const action = m.readUInt32BE(0);
      const text = action === 3 ? m.toString('latin1', 8) : '';
      count(f, text);
      if (text === 'bad connection ID') connect();
      announce(slot);
    });
    sock.on('error', () => { f.errors++; });
    const sweep = setInterval(() => {
      const now = performance.now();
      if (!connected) connect();
      let live = 0;
      for (let s = 0; s < window; s++) {
        if (sentAt[s]! < 0) continue;
        if (now - sentAt[s]! > TIMEOUT_MS) {
          f.errors++; // lost (dropped by a full socket buffer, or never answered)
          announce(s);
        }
        if (sentAt[s]! >= 0) live++;
      }
      if (!more() && (live === 0 || now > deadline + TIMEOUT_MS)) {
        clearInterval(sweep);
        sock.close();
        resolve();
      }
    }, 50);
    sock.bind(0, f.address, connect);
  });
}

/** Each attacker address: sockets of at most 256 datagrams in flight each, `concurrency` in all. */
async function udpAttack(): Promise<AttackerFigures[]> {
  const all = task.addresses.map(figures);
  const sockets: Promise<void>[] = [];
  all.forEach((f, a) => {
    for (let left = task.concurrency, k = 0; left > 0; left -= 256, k++) sockets.push(udpSocket(f, a * 64 + k, Math.min(256, left)));
  });
  await Promise.all(sockets);
  return all;
}

(task.protocol === 'udp' ? udpAttack() : httpAttack()).then(
  (attackers) => {
    const result: AttackResult = { elapsedSec: (performance.now() - started) / 1000, attackers };
    post({ type: 'result', result });
  },
  (err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
);
