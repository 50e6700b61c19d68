// A small BEP 15 (+ BEP 41) UDP tracker client on node:dgram for the e2e suites: packet builders that
// produce exact bytes (so tests can also corrupt them), reply parsers, and a socket wrapper whose every
// wait is bounded. Replies are matched to requests by transaction id; anything else that arrives is
// kept in `stray` so a test can assert that nothing unexpected (e.g. a reply with peers) came back.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/** Bound on a single request/reply exchange. */
export const UDP_WAIT_MS = 2_000;

export const PROTOCOL_ID = Buffer.from('0000041727101980', 'hex');

export const enum UdpAction {
  Connect = 0,
  Announce = 1,
  Scrape = 2,
  Error = 3,
}

export const enum UdpEvent {
  None = 0,
  Completed = 1,
  Started = 2,
  Stopped = 3,
}

// --- packet builders ---

let nextTx = (randomBytes(4).readUInt32BE(0) & 0x7fffffff) >>> 0;
/** A fresh transaction id (a counter from a random start, so ids never repeat within a run). */
export function newTransactionId(): number {
  nextTx = (nextTx + 1) >>> 0;
  return nextTx;
}

export function connectPacket(transactionId: number): Buffer {
  const b = Buffer.alloc(16);
  PROTOCOL_ID.copy(b, 0);
  b.writeUInt32BE(UdpAction.Connect, 8);
  b.writeUInt32BE(transactionId, 12);
  return b;
}

export interface AnnounceFields {
  connectionId: Buffer;
  transactionId?: number;
  infoHash: Buffer;
  peerId: Buffer;
  downloaded?: bigint;
  left?: bigint | number;
  uploaded?: bigint;
  /** 0 none, 1 completed, 2 started, 3 stopped (any u32 to test bad values) */
  event?: number;
  /** IPv4 text ("10.0.0.1") or 0 (use the source address) */
  ip?: string | 0;
  key?: number;
  /** i32; -1 = tracker default */
  numWant?: number;
  port: number;
  /** raw bytes appended after byte 98 (BEP 41 options), e.g. from urlDataOptions() */
  options?: Buffer;
}

/** A BEP 15 announce: 98 bytes, plus `options` when given. */
export function announcePacket(f: AnnounceFields): Buffer {
  const opts = f.options ?? Buffer.alloc(0);
  const b = Buffer.alloc(98 + opts.length);
  if (f.connectionId.length !== 8) throw new Error('connection id must be 8 bytes');
  if (f.infoHash.length !== 20 || f.peerId.length !== 20) throw new Error('info hash and peer id must be 20 bytes');
  f.connectionId.copy(b, 0);
  b.writeUInt32BE(UdpAction.Announce, 8);
  b.writeUInt32BE(f.transactionId ?? newTransactionId(), 12);
  f.infoHash.copy(b, 16);
  f.peerId.copy(b, 36);
  b.writeBigUInt64BE(f.downloaded ?? 0n, 56);
  b.writeBigUInt64BE(BigInt(f.left ?? 0), 64);
  b.writeBigUInt64BE(f.uploaded ?? 0n, 72);
  b.writeUInt32BE(f.event ?? UdpEvent.None, 80);
  if (f.ip !== undefined && f.ip !== 0) {
    const parts = f.ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${f.ip}`);
    Buffer.from(parts).copy(b, 84);
  }
  b.writeUInt32BE(f.key ?? 0, 88);
  b.writeInt32BE(f.numWant ?? -1, 92);
  b.writeUInt16BE(f.port, 96);
  opts.copy(b, 98);
  return b;
}

/** BEP 41 URLData options carrying `url`, split into chunks of at most `chunk` (<= 255) bytes, then EndOfOptions. */
export function urlDataOptions(url: string, chunk = 255, endOfOptions = true): Buffer {
  if (!(chunk >= 1 && chunk <= 255)) throw new Error('chunk must be 1..255');
  const data = Buffer.from(url, 'latin1');
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += chunk) {
    const piece = data.subarray(o, o + chunk);
    parts.push(Buffer.from([0x02, piece.length]), piece);
  }
  if (endOfOptions) parts.push(Buffer.from([0x00]));
  return Buffer.concat(parts);
}

export function scrapePacket(connectionId: Buffer, hashes: Buffer[], transactionId = newTransactionId()): Buffer {
  const b = Buffer.alloc(16 + 20 * hashes.length);
  connectionId.copy(b, 0);
  b.writeUInt32BE(UdpAction.Scrape, 8);
  b.writeUInt32BE(transactionId, 12);
  hashes.forEach((h, i) => {
    if (h.length !== 20) throw new Error('info hash must be 20 bytes');
    h.copy(b, 16 + 20 * i);
  });
  return b;
}

// --- reply parsers ---

export interface ConnectReply { action: UdpAction.Connect; transactionId: number; connectionId: Buffer }
export interface AnnounceReply {
  action: UdpAction.Announce;
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  /** "a.b.c.d:port" (6-byte entries) or "[v6]:port" (18-byte entries) */
  peers: string[];
  /** bytes per peer entry the reply was parsed with */
  peerBytes: 6 | 18;
  length: number;
}
export interface ScrapeEntry { seeders: number; completed: number; leechers: number }
export interface ScrapeReply { action: UdpAction.Scrape; transactionId: number; entries: ScrapeEntry[]; length: number }
export interface ErrorReply { action: UdpAction.Error; transactionId: number; message: string; length: number }
export type Reply = ConnectReply | AnnounceReply | ScrapeReply | ErrorReply;

function ipv6Text(b: Buffer, o: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) groups.push(b.readUInt16BE(o + 2 * g).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname; // canonical, with brackets
}

/** Splits compact peers: 6 bytes (IPv4) or 18 bytes (IPv6) each; throws on a partial entry. */
export function compactPeers(b: Buffer, peerBytes: 6 | 18): string[] {
  if (b.length % peerBytes !== 0) throw new Error(`peer list of ${b.length} bytes is not a multiple of ${peerBytes}`);
  const out: string[] = [];
  for (let o = 0; o < b.length; o += peerBytes) {
    if (peerBytes === 6) out.push(`${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}:${b.readUInt16BE(o + 4)}`);
    else out.push(`${ipv6Text(b, o)}:${b.readUInt16BE(o + 16)}`);
  }
  return out;
}

/**
 * Parses any tracker reply. `peerBytes` is the entry size expected in an announce reply (6 when the
 * request came from an IPv4 address, 18 from IPv6). Throws on a reply that is not well-formed.
 */
export function parseReply(msg: Buffer, peerBytes: 6 | 18): Reply {
  if (msg.length < 8) throw new Error(`reply of ${msg.length} bytes is shorter than 8`);
  const action = msg.readUInt32BE(0);
  const transactionId = msg.readUInt32BE(4);
  switch (action) {
    case UdpAction.Connect:
      if (msg.length !== 16) throw new Error(`connect reply of ${msg.length} bytes, not 16`);
      return { action, transactionId, connectionId: Buffer.from(msg.subarray(8, 16)) };
    case UdpAction.Announce:
      if (msg.length < 20) throw new Error(`announce reply of ${msg.length} bytes, shorter than 20`);
      return {
        action, transactionId, interval: msg.readUInt32BE(8), leechers: msg.readUInt32BE(12), seeders: msg.readUInt32BE(16),
        peers: compactPeers(msg.subarray(20), peerBytes), peerBytes, length: msg.length,
      };
    case UdpAction.Scrape: {
      if ((msg.length - 8) % 12 !== 0) throw new Error(`scrape reply of ${msg.length} bytes is not 8 + 12n`);
      const entries: ScrapeEntry[] = [];
      for (let o = 8; o < msg.length; o += 12) {
        entries.push({ seeders: msg.readUInt32BE(o), completed: msg.readUInt32BE(o + 4), leechers: msg.readUInt32BE(o + 8) });
      }
      return { action, transactionId, entries, length: msg.length };
    }
    case UdpAction.Error:
      return { action, transactionId, message: msg.toString('latin1', 8), length: msg.length };
    default:
      throw new Error(`reply with unknown action ${action}`);
  }
}

// --- the client ---

export interface UdpClientOptions {
  /** tracker host: "127.0.0.1" or "::1" */
  host: string;
  port: number;
  /** local address to bind (e.g. "127.0.0.2"); default: any address of the host's family */
  bindAddress?: string;
}

export interface Datagram { msg: Buffer; at: number }

export class UdpClient {
  readonly family: 4 | 6;
  /** bytes per peer in announce replies to this client: 6 over IPv4, 18 over IPv6 */
  readonly peerBytes: 6 | 18;
  /** datagrams that arrived while nobody waited for them, or that matched no request */
  readonly stray: Buffer[] = [];
  private readonly queue: Datagram[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: Socket, readonly host: string, readonly port: number) {
    this.family = host.includes(':') ? 6 : 4;
    this.peerBytes = this.family === 6 ? 18 : 6;
    socket.on('message', (msg) => {
      this.queue.push({ msg, at: performance.now() });
      const w = this.waiter;
      this.waiter = null;
      w?.();
    });
    socket.on('error', () => {}); // e.g. ICMP port unreachable; waits are bounded anyway
  }

  /** Opens a socket (bound within UDP_WAIT_MS); rejects when the local address cannot be bound. */
  static open(opts: UdpClientOptions): Promise<UdpClient> {
    const v6 = opts.host.includes(':');
    const socket = createSocket(v6 ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { socket.close(); reject(new Error('udp client: bind timed out')); }, UDP_WAIT_MS);
      socket.once('error', (err) => { clearTimeout(timer); try { socket.close(); } catch { /* already closed */ } reject(err); });
      socket.bind(0, opts.bindAddress, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new UdpClient(socket, opts.host, opts.port));
      });
    });
  }

  /** The local port of this client's socket. */
  get localPort(): number {
    return this.socket.address().port;
  }

  get localAddress(): string {
    return this.socket.address().address;
  }

  send(raw: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(raw, this.port, this.host, (err) => (err ? reject(err) : resolve())));
  }

  /** The next datagram, or null when none arrives within `timeoutMs`. */
  async receive(timeoutMs = UDP_WAIT_MS): Promise<Buffer | null> {
    const deadline = performance.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.waiter = null; resolve(); }, left);
        this.waiter = () => { clearTimeout(timer); resolve(); };
      });
    }
    return this.queue.shift()!.msg;
  }

  /** Moves whatever is queued to `stray`. */
  private drain(): void {
    for (const d of this.queue.splice(0)) this.stray.push(d.msg);
  }

  /**
   * Sends `raw` and resolves with the first reply echoing `raw`'s transaction id (bytes 12..16);
   * other datagrams go to `stray`. Rejects after `timeoutMs` without one.
   */
  async request(raw: Buffer, timeoutMs = UDP_WAIT_MS): Promise<Buffer> {
    if (raw.length < 16) throw new Error('request() needs a packet with a transaction id; use collect()');
    const tx = raw.readUInt32BE(12);
    this.drain();
    await this.send(raw);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const msg = await this.receive(deadline - performance.now());
      if (msg === null) throw new Error(`udp ${this.host}:${this.port}: no reply to a ${raw.length}-byte request (tx ${tx}) within ${timeoutMs} ms`);
      if (msg.length >= 8 && msg.readUInt32BE(4) === tx) return msg;
      this.stray.push(msg);
    }
  }

  /** Sends `raw` and collects every datagram arriving within `windowMs` (for "no reply or an error" checks). */
  async collect(raw: Buffer, windowMs = 300): Promise<Buffer[]> {
    this.drain();
    await this.send(raw);
    const deadline = performance.now() + windowMs;
    const got: Buffer[] = [];
    for (;;) {
      const msg = await this.receive(deadline - performance.now());
      if (msg === null) return got;
      got.push(msg);
    }
  }

  async requestParsed(raw: Buffer, timeoutMs = UDP_WAIT_MS): Promise<Reply> {
    return parseReply(await this.request(raw, timeoutMs), this.peerBytes);
  }

  /** BEP 15 connect: the 8-byte connection ID. */
  async connect(): Promise<Buffer> {
    const tx = newTransactionId();
    const r = await this.requestParsed(connectPacket(tx));
    if (r.action !== UdpAction.Connect) throw new Error(`connect: got action ${r.action}${r.action === UdpAction.Error ? ` (${r.message})` : ''}`);
    if (r.transactionId !== tx) throw new Error('connect: transaction id not echoed');
    return r.connectionId;
  }

  /**
   * connect (unless `connectionId` is given) + announce. Resolves with the announce reply or an error
   * reply (action 3), so tests can assert either.
   */
  async announce(f: Omit<AnnounceFields, 'connectionId'> & { connectionId?: Buffer }): Promise<AnnounceReply | ErrorReply> {
    const connectionId = f.connectionId ?? (await this.connect());
    const pkt = announcePacket({ ...f, connectionId });
    const r = await this.requestParsed(pkt);
    if (r.action !== UdpAction.Announce && r.action !== UdpAction.Error) throw new Error(`announce: got action ${r.action}`);
    return r;
  }

  /** Like announce(), but rejects on an error reply. */
  async announceOk(f: Omit<AnnounceFields, 'connectionId'> & { connectionId?: Buffer }): Promise<AnnounceReply> {
    const r = await this.announce(f);
    if (r.action === UdpAction.Error) throw new Error(`announce refused: ${r.message}`);
    return r;
  }

  async scrape(hashes: Buffer[], connectionId?: Buffer): Promise<ScrapeReply | ErrorReply> {
    const cid = connectionId ?? (await this.connect());
    const r = await this.requestParsed(scrapePacket(cid, hashes));
    if (r.action !== UdpAction.Scrape && r.action !== UdpAction.Error) throw new Error(`scrape: got action ${r.action}`);
    return r;
  }

  async scrapeOk(hashes: Buffer[], connectionId?: Buffer): Promise<ScrapeEntry[]> {
    const r = await this.scrape(hashes, connectionId);
    if (r.action === UdpAction.Error) throw new Error(`scrape refused: ${r.message}`);
    return r.entries;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** Opens a client, or null when the local family/address is not available (e.g. no IPv6 loopback). */
export async function tryOpen(opts: UdpClientOptions): Promise<UdpClient | null> {
  try {
    return await UdpClient.open(opts);
  } catch {
    return null;
  }
}

/** True when a UDP socket can be bound on `address` (e.g. "::1", "127.0.0.2"). */
export function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => { try { s.close(); } catch { /* closed */ } resolve(false); }, UDP_WAIT_MS);
    s.once('error', () => { clearTimeout(timer); try { s.close(); } catch { /* closed */ } resolve(false); });
    s.bind(0, address, () => { clearTimeout(timer); s.close(); resolve(true); });
  });
}
