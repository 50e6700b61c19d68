// One UDP socket of a paced load (BEP 15): it shakes hands for a connection ID, then keeps up to
// `window` announces in flight, each slot asking the pacer before it sends. Transaction IDs carry the
// slot in the low byte and a sequence above it, so a reply finds its slot at once and one for an
// abandoned request is recognised. The connection ID is renewed every 60 s and after a
// `bad connection ID` answer (a restarted tracker has a new secret).
import dgram from 'node:dgram';
import type { LaneEnv } from './http-lane.js';
import { ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, stampRequest, writeConnect } from '../udp-packets.js';

const REFRESH_MS = 60_000;
const HANDSHAKE_TIMEOUT_MS = 1_000;
/** Room for 98 bytes and BEP 41 URL data carrying a token of up to ~1,800 bytes. */
const SLOT_BYTES = 2_048;

interface Slot {
  buf: Buffer;
  tid: number;
  g: number;
  sentAt: number;
  /** Sent and not answered. */
  busy: boolean;
  /** Asked the pacer and not yet called back. */
  queued: boolean;
}

export class UdpLane {
  private readonly sock = dgram.createSocket('udp4');
  private readonly slots: Slot[] = [];
  private readonly connId = Buffer.alloc(8);
  private readonly connectBuf = Buffer.alloc(16);
  private connTid = 0;
  private connSentAt = 0;
  private connAt = -Infinity;
  private ready = false;
  private handshaking = false;
  private seq = 1;
  private stopping = false;
  private done = false;
  /** Replies that came after their request had timed out. */
  late = 0;

  constructor(private readonly env: LaneEnv, window: number) {
    if (!(window >= 1 && window <= 255)) throw new RangeError('udp window must be 1..255');
    for (let i = 0; i < window; i++) this.slots.push({ buf: Buffer.alloc(SLOT_BYTES), tid: 0, g: -1, sentAt: 0, busy: false, queued: false });
    this.sock.on('message', (m: Buffer) => this.onMessage(m));
    this.sock.on('error', () => { /* ICMP unreachable and the like: requests time out */ });
  }

  start(): void {
    this.sock.connect(this.env.port, this.env.host, () => {
      try {
        this.sock.setRecvBufferSize(4 << 20);
        this.sock.setSendBufferSize(4 << 20);
      } catch {
        // capped by rmem_max / wmem_max: keep what the kernel allows
      }
      this.handshake();
    });
  }

  stop(): void {
    this.stopping = true;
    this.maybeFinish();
  }

  sweep(now: number, timeoutMs: number): void {
    if (this.handshaking && now - this.connSentAt > HANDSHAKE_TIMEOUT_MS) {
      this.handshaking = false;
      this.env.observer.connection?.('udp', 'udp-handshake-failed');
      if (!this.stopping) this.handshake();
    }
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      if (!s.busy || now - s.sentAt <= timeoutMs) continue;
      s.busy = false;
      s.tid = 0;
      this.env.observer.lost('udp', s.g, 'timeout');
      this.next(i);
    }
    this.maybeFinish();
  }

  private handshake(): void {
    if (this.stopping || this.handshaking) return;
    this.handshaking = true;
    this.connTid = (this.seq++ & 0xffffff) << 8 | 0xff;
    writeConnect(this.connectBuf, this.connTid);
    this.connSentAt = performance.now();
    this.sock.send(this.connectBuf);
  }

  private next(i: number): void {
    const s = this.slots[i]!;
    if (this.stopping || s.queued || s.busy || !this.ready) return;
    if (performance.now() - this.connAt > REFRESH_MS) {
      this.ready = false;
      this.handshake();
      return;
    }
    s.queued = true;
    this.env.pacer.request(() => this.send(i));
  }

  private send(i: number): void {
    const s = this.slots[i]!;
    s.queued = false;
    if (this.stopping) return this.maybeFinish();
    if (!this.ready) return; // a new handshake is under way; it restarts every slot
    const k = this.env.cursor.next();
    if (k < 0) return this.maybeFinish();
    const ref = this.env.pool.ref(k);
    const n = this.env.pool.writeUdp(s.buf, ref);
    s.tid = ((this.seq++ & 0xffffff) << 8 | i) >>> 0;
    stampRequest(s.buf, this.connId, s.tid);
    s.g = ref.g;
    s.busy = true;
    s.sentAt = performance.now();
    this.sock.send(s.buf, 0, n);
  }

  private onMessage(msg: Buffer): void {
    if (msg.length < 8) return;
    const action = msg.readUInt32BE(0);
    const tid = msg.readUInt32BE(4);
    if (this.handshaking && tid === this.connTid) {
      this.handshaking = false;
      if (action === ACTION_CONNECT && msg.length >= 16) {
        msg.copy(this.connId, 0, 8, 16);
        this.connAt = performance.now();
        this.ready = true;
        for (let i = 0; i < this.slots.length; i++) this.next(i);
      } else {
        this.env.observer.connection?.('udp', 'udp-handshake-failed');
        setTimeout(() => this.handshake(), 50);
      }
      return;
    }
    const i = tid & 0xff;
    const s = this.slots[i];
    if (s === undefined || !s.busy || s.tid !== tid) {
      this.late++;
      return;
    }
    s.busy = false;
    const us = (performance.now() - s.sentAt) * 1000;
    const o = this.env.observer;
    if (action === ACTION_ANNOUNCE && msg.length >= 20) {
      o.answered('udp', s.g, null, us, msg.readUInt32BE(16), msg.readUInt32BE(12));
    } else if (action === ACTION_ERROR) {
      const text = msg.toString('latin1', 8);
      o.answered('udp', s.g, text, us, -1, -1);
      if (text === 'bad connection ID' && this.ready) {
        this.ready = false;
        this.handshake();
      }
    } else {
      o.lost('udp', s.g, 'bad-reply');
    }
    this.next(i);
    this.maybeFinish();
  }

  /** Nothing in flight and nothing more to send: close the socket and tell the load. */
  private maybeFinish(): void {
    if (this.done) return;
    if (!this.stopping && !this.env.cursor.exhausted) return;
    for (const s of this.slots) if (s.busy) return;
    this.done = true;
    this.stopping = true;
    this.sock.close();
    this.env.idle();
  }
}
