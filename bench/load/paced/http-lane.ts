// One keep-alive HTTP connection of a paced load: one announce at a time (no pipelining: with
// asynchronous answers uWebSockets.js closes a connection that pipelines), raw node:net so the
// generator stays cheap and sees exactly what the server does: an answer, a close with a request
// unanswered, or silence. It reconnects after a close, unless the load is stopping.
import net from 'node:net';
import type { AnnouncePool, PoolCursor } from './announce-pool.js';
import type { AnnounceObserver } from './observer.js';
import type { Pacer } from './pacer.js';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('\r\nContent-Length:');
const CONTENT_LENGTH_LC = Buffer.from('\r\ncontent-length:');
const FAILURE = Buffer.from('d14:failure reason');
const CONNECTION_CLOSE = Buffer.from('\r\nConnection: close\r\n');
const COMPLETE = Buffer.from('8:completei');
const INCOMPLETE = Buffer.from('10:incompletei');
const RECONNECT_MS = 50;

export interface LaneEnv {
  host: string;
  port: number;
  pool: AnnouncePool;
  cursor: PoolCursor;
  pacer: Pacer;
  observer: AnnounceObserver;
  /** Called when a lane has nothing more to do (stopped, or the cursor ran out and its last request ended). */
  idle: () => void;
}

export class HttpLane {
  private sock: net.Socket | null = null;
  private connected = false;
  private waitingForToken = false;
  /** The peer of the request in flight, -1 when none. */
  private g = -1;
  private sentAt = 0;
  private buf: Buffer = Buffer.alloc(0);
  private stopping = false;
  private done = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** The last answer said `Connection: close`. */
  private closingAsAsked = false;
  private readonly head: string;

  constructor(private readonly env: LaneEnv) {
    this.head = ` HTTP/1.1\r\nHost: ${env.host}:${env.port}\r\nUser-Agent: hayate-paced-load\r\n\r\n`;
  }

  start(): void {
    this.connect();
  }

  /** Sends nothing more; the request in flight is waited for (bounded by the load's timeout sweep). */
  stop(): void {
    this.stopping = true;
    if (this.g < 0) this.finish();
  }

  /** Called by the load's sweep: a request older than `timeoutMs` is lost and its connection closed. */
  sweep(now: number, timeoutMs: number): void {
    if (this.g >= 0 && now - this.sentAt > timeoutMs) {
      const g = this.g;
      this.g = -1;
      this.env.observer.lost('http', g, 'timeout');
      this.drop();
    }
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopping) return this.finish();
    const sock = net.connect({ host: this.env.host, port: this.env.port, noDelay: true });
    this.sock = sock;
    this.connected = false;
    this.buf = Buffer.alloc(0);
    sock.on('connect', () => {
      this.connected = true;
      this.next();
    });
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', () => { /* reported by 'close' */ });
    sock.on('close', () => this.onClose(sock));
  }

  private onClose(sock: net.Socket): void {
    if (this.sock !== sock) return;
    this.sock = null;
    const o = this.env.observer;
    if (this.g >= 0) {
      const g = this.g;
      this.g = -1;
      o.lost('http', g, 'reset');
    } else if (!this.connected) {
      o.connection?.('http', 'connect-failed');
    } else if (this.closingAsAsked) {
      o.connection?.('http', 'closed-as-asked');
    } else if (!this.stopping) {
      o.connection?.('http', 'closed-idle');
    }
    this.closingAsAsked = false;
    this.connected = false;
    if (this.stopping || this.done) return this.finish();
    this.reconnectTimer = setTimeout(() => this.connect(), RECONNECT_MS);
  }

  /** Closes this connection now (after a timeout or a bad reply); onClose reconnects. */
  private drop(): void {
    this.sock?.destroy();
  }

  private next(): void {
    if (this.stopping || this.waitingForToken) return this.stopping ? this.finish() : undefined;
    this.waitingForToken = true;
    this.env.pacer.request(this.send);
  }

  private readonly send = (): void => {
    this.waitingForToken = false;
    if (this.stopping || !this.connected || this.sock === null) return this.stopping ? this.finish() : undefined;
    const k = this.env.cursor.next();
    if (k < 0) return this.finish();
    const ref = this.env.pool.ref(k);
    this.g = ref.g;
    this.sentAt = performance.now();
    this.sock.write('GET ' + this.env.pool.httpPath(k) + this.head);
  };

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) return;
    let cl = this.buf.indexOf(CONTENT_LENGTH);
    if (cl < 0 || cl > end) cl = this.buf.indexOf(CONTENT_LENGTH_LC);
    if (cl < 0 || cl > end) return this.badReply();
    const len = Number.parseInt(this.buf.toString('latin1', cl + CONTENT_LENGTH.length, this.buf.indexOf(13, cl + 2)).trim(), 10);
    const bodyAt = end + 4;
    if (!(len >= 0)) return this.badReply();
    if (this.buf.length < bodyAt + len) return;
    const status = this.buf.toString('latin1', 9, 12);
    const closeAt = this.buf.indexOf(CONNECTION_CLOSE);
    const close = closeAt >= 0 && closeAt < end;
    const body = this.buf.subarray(bodyAt, bodyAt + len);
    const rest = this.buf.subarray(bodyAt + len);
    this.buf = rest.length === 0 ? Buffer.alloc(0) : Buffer.from(rest);
    const g = this.g;
    if (g < 0) return this.badReply(); // an answer nobody asked for
    this.g = -1;
    const us = (performance.now() - this.sentAt) * 1000;
    let failure: string | null = null;
    if (status !== '200') failure = `HTTP ${status}`;
    else if (body.subarray(0, FAILURE.length).equals(FAILURE)) failure = failureText(body);
    // RFC 9112 section 9.6: after `Connection: close` no further request goes on this connection.
    const seeders = failure === null ? bencodedInt(body, COMPLETE) : -1;
    const leechers = failure === null ? bencodedInt(body, INCOMPLETE) : -1;
    this.env.observer.answered('http', g, failure, us, seeders, leechers);
    if (close) return this.closeForServer();
    this.next();
  }

  /** The server said `Connection: close`: end this connection (onClose reconnects). */
  private closeForServer(): void {
    this.closingAsAsked = true;
    this.sock?.end();
  }

  private badReply(): void {
    const g = this.g;
    this.g = -1;
    if (g >= 0) this.env.observer.lost('http', g, 'bad-reply');
    this.drop();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.stopping = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const s = this.sock;
    this.sock = null;
    s?.destroy();
    this.env.idle();
  }
}

/** The integer after `key` (e.g. `8:completei`) up to its `e`, or -1. */
function bencodedInt(body: Buffer, key: Buffer): number {
  const at = body.indexOf(key);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + key.length; i < body.length; i++) {
    const c = body[i]!;
    if (c === 0x65) return n;
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + c - 0x30;
  }
  return -1;
}

/** The text of `d14:failure reason<len>:<text>e`. */
export function failureText(body: Buffer): string {
  const colon = body.indexOf(0x3a, FAILURE.length);
  if (colon < 0) return 'unparsable failure';
  const len = Number(body.toString('latin1', FAILURE.length, colon));
  return body.toString('latin1', colon + 1, colon + 1 + len);
}
