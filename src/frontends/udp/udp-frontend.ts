// The UDP tracker (BEP 15 + BEP 41) on a DatagramTransport: the native addon's batched socket, or
// node:dgram without it. Connection IDs are MACs of the source address and a time window; nothing but a
// connect reply (16 bytes, the size of the request) or an error no larger than the request ever goes to
// an address that has not proven it receives our packets.
import { createSocket } from 'node:dgram';
import { sourceKeyOf, type ClientWhitelist, type JwtGate } from '../../auth/index.js';
import { ANNOUNCE_RECORD_BYTES } from '../../core/announce-record.js';
import { ClientErrors } from '../../core/client-errors.js';
import type { Config } from '../../config/config.js';
import type { DirectReplies, Dispatcher, ReplySink } from '../../dispatch/dispatcher.js';
import {
  ANNOUNCE_RECORD_AT, DIRECT_ADDR_AT, DIRECT_FAMILY_AT, DIRECT_KIND_AT, DIRECT_PORT_AT, DIRECT_STARTED_AT,
} from '../../dispatch/ring-messages.js';
import { OFF_TRANSACTION_ID } from '../../core/announce-record.js';
import { formatIP } from '../../protocol/ip.js';
import { parseUrlDataQuery, readUrlData } from '../../protocol/udp/bep41.js';
import { ConnectionIds } from '../../protocol/udp/connection-id.js';
import { UdpError, udpErrorText } from '../../protocol/udp/errors.js';
import {
  Action, isConnectRequest, maxScrapeHashesPerDatagram, parseAnnounceInto, PKT_CONNECTION_ID, PKT_SCRAPE_HASHES, PKT_TRANSACTION_ID,
  readAction, SCRAPE_ENTRY_BYTES, SCRAPE_REPLY_HEADER_BYTES, scrapeHashCount, type AnnounceParseOptions,
} from '../../protocol/udp/packets.js';
import { writeConnectReply, writeErrorReply, writeScrapeReply } from '../../protocol/udp/writers.js';
import type { RequestStats } from '../../stats/request-stats.js';
import { AddrFamily, Outcome, Proto, ResponseAction, responseKind } from '../../stats/response-kinds.js';
import { bindHost } from '../../util/listen.js';
import { ThrottledErrorLog } from '../../util/log-throttle.js';
import type { Log } from '../../util/log.js';
import { sharedNowMs } from '../../util/shared-clock.js';
import { Admission, AnnounceGate, type ParkedAnswer } from '../announce-gate.js';
import { BatchSocket } from './batch-socket.js';
import type { DatagramTransport } from './datagram-transport.js';
import { DgramSocket } from './dgram-socket.js';
import { PendingDatagrams } from './pending-datagrams.js';
import { batchIoAddon, openReusePortUdpSocket } from './reuseport.js';
import { MAX_DATAGRAM_BYTES } from './reply-ring.js';

const MAX_IN_FLIGHT = 65_536;
/** Peers that fit one reply datagram even at 18 bytes each (IPv6), whatever maxNumWant says. */
const MAX_PEERS_PER_DATAGRAM = Math.floor((MAX_DATAGRAM_BYTES - 20) / 18);
/**
 * The receive slot of the batched socket: every request this tracker accepts fits (the largest scrape
 * the config allows; an announce whose BEP 41 URL data carries the longest JWT the checker takes, 8,192
 * characters, is ~8.5 KB); a longer datagram is refused.
 */
const MIN_SLOT_BYTES = 16_384;

/** Response kinds (stats/response-kinds.ts) by action; add FAMILY_STEP for an IPv6 source. */
const CONNECT = responseKind(Proto.Udp, ResponseAction.Connect, AddrFamily.V4);
const ANNOUNCE = responseKind(Proto.Udp, ResponseAction.Announce, AddrFamily.V4);
const SCRAPE = responseKind(Proto.Udp, ResponseAction.Scrape, AddrFamily.V4);
const FAMILY_STEP = responseKind(Proto.Udp, ResponseAction.Announce, AddrFamily.V6) - ANNOUNCE;

export class UdpFrontend implements ReplySink, ParkedAnswer, DirectReplies {
  private socket: DatagramTransport | null = null;
  private readonly ids: ConnectionIds;
  private readonly record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  /** Connect, error and scrape replies (sized for the largest scrape maxScrapeInfoHashes allows). */
  private readonly scratch: Buffer;
  private readonly txBytes = Buffer.alloc(4);
  private readonly pending = new PendingDatagrams(MAX_IN_FLIGHT);
  private readonly parseOptions: AnnounceParseOptions;
  private readonly maxScrapeHashes: number;
  private readonly sinkId: number;
  private readonly errors: ThrottledErrorLog;
  private readonly gate: AnnounceGate;
  private accepting = true;
  /** The source address of the datagram being handled (valid during the call), for sourceKey. */
  private currentSource: Uint8Array = new Uint8Array(4);
  /** The datagram being handled: its response kind (-1: an action with none) and when it arrived. */
  private currentKind = -1;
  private currentStartedAt = 0;
  /** Clock for connection IDs: read once per datagram. */
  private nowMs = Date.now();

  /**
   * `connectionIdKey` is the secret of the connection IDs: the same for every I/O thread of the process,
   * so an ID issued by one thread verifies on another.
   */
  constructor(config: Config, private readonly dispatcher: Dispatcher, whitelist: ClientWhitelist,
    private readonly stats: RequestStats, private readonly log: Log, jwt: JwtGate | null, connectionIdKey: Uint8Array) {
    this.ids = new ConnectionIds(connectionIdKey);
    this.parseOptions = { sourceAddr: this.currentSource, allowIPSpoofing: config.allowIPSpoofing,
      dualStackedPeers: config.dualStackedPeers, defaultNumWant: config.defaultNumWant,
      maxNumWant: Math.min(config.maxNumWant, MAX_PEERS_PER_DATAGRAM) };
    // The same bound as HTTP's (more is refused, not cut): no datagram carries more than this anyway.
    this.maxScrapeHashes = Math.min(config.maxScrapeInfoHashes, maxScrapeHashesPerDatagram(MAX_DATAGRAM_BYTES));
    this.scratch = Buffer.alloc(Math.max(2048, SCRAPE_REPLY_HEADER_BYTES + SCRAPE_ENTRY_BYTES * this.maxScrapeHashes));
    this.errors = new ThrottledErrorLog(log);
    this.sinkId = dispatcher.register(this);
    this.gate = new AnnounceGate(this.record, dispatcher, this.sinkId, whitelist, jwt, this, MAX_IN_FLIGHT, stats);
  }

  /**
   * Binds; host "" listens on every address of both families where the OS allows (an IPv6 socket
   * accepting IPv4 too), or on every IPv4 address when the host has no IPv6. With `reusePort` the
   * socket is one of several on the port (one per I/O thread; the kernel spreads datagrams by source):
   * the caller has checked that the addon is there. With the addon the socket is batched
   * (BatchSocket), else it is node:dgram's.
   */
  async listen(host: string, port: number, reusePort: boolean): Promise<number> {
    const h = bindHost(host);
    if (h !== '') return this.bind(h.includes(':') ? 'udp6' : 'udp4', h, port, host, reusePort);
    try {
      return await this.bind('udp6', '::', port, host, reusePort);
    } catch {
      return this.bind('udp4', '0.0.0.0', port, host, reusePort);
    }
  }

  /** Called after each batch of datagrams (batched socket only). */
  afterBatch: (() => void) | null = null;

  private async bind(type: 'udp4' | 'udp6', address: string, port: number, configured: string, reusePort: boolean): Promise<number> {
    const where = `udpListenAddr: cannot listen on ${configured === '' ? '*' : configured}:${port}`;
    const addon = batchIoAddon();
    if (addon !== null) {
      let fd: number | null;
      try {
        fd = openReusePortUdpSocket(address, port, type, reusePort);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
      const socket = new BatchSocket(addon, fd!, this.slotBytes(), this.receive, this.stats);
      socket.afterBatch = () => this.afterBatch?.();
      this.socket = socket;
      return socket.port;
    }
    let self: DgramSocket | null = null;
    const socket = createSocket({ type, ipv6Only: false, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: DgramSocket.lookupFor(() => self) });
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(new Error(`${where}: ${err.message}`));
      });
      socket.bind(port, address, () => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.log.info(`udp socket error: ${err.message}`));
        self = new DgramSocket(socket, this.receive, this.stats);
        this.socket = self;
        resolve(self.port);
      });
    });
  }

  private slotBytes(): number {
    return Math.max(MIN_SLOT_BYTES, (PKT_SCRAPE_HASHES + 20 * this.maxScrapeHashes + 1023) & ~1023);
  }

  /** Drops new datagrams from now on (shutdown); replies to accepted ones still go out. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Tests only: handles a datagram as if the socket had received it from source:port. */
  injectDatagram(pkt: Buffer, source: Uint8Array, port: number): void {
    this.receive(pkt, source, port, false);
  }

  /** Datagrams accepted and not yet answered. */
  get inFlight(): number {
    return this.pending.inFlight;
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    return s === null ? Promise.resolve() : s.close();
  }

  private readonly receive = (pkt: Buffer, source: Uint8Array, port: number, truncated: boolean): void => {
    if (!this.accepting) return;
    this.stats.udpPackets++;
    try {
      this.onMessage(pkt, source, port, truncated);
    } catch (err) { // a bug costs one datagram its answer, never the process
      this.stats.requestsErrored++;
      this.errors.report('udp', err);
    }
  };

  private onMessage(pkt: Buffer, addr: Uint8Array, port: number, truncated: boolean): void {
    const startedAt = sharedNowMs();
    this.nowMs = Date.now();
    this.currentSource = addr;
    const action = readAction(pkt);
    // Shorter than a header: not even an error. Source port 0: nothing can be sent back (and
    // node:dgram throws on it), so it is dropped here rather than failing as an internal error.
    if (action < 0 || port === 0) return this.drop();
    const family = addr.length === 4 ? 0 : FAMILY_STEP;
    this.currentStartedAt = startedAt;
    this.currentKind = action === Action.Connect ? CONNECT + family : action === Action.Announce ? ANNOUNCE + family
      : action === Action.Scrape ? SCRAPE + family : -1;
    // Longer than any request this tracker accepts (see MIN_SLOT_BYTES): only its start was read.
    if (truncated) return this.refuse(pkt, addr, port, udpErrorText(UdpError.Malformed));
    if (action === Action.Connect) {
      if (!isConnectRequest(pkt)) return this.drop();
      const n = writeConnectReply(this.scratch, 0, pkt, this.ids, addr, this.nowMs);
      this.send(this.scratch, n, addr, 0, port);
      this.stats.recordLatency(this.currentKind, (sharedNowMs() - startedAt) * 1000);
      return;
    }
    if (!this.ids.verify(pkt, PKT_CONNECTION_ID, addr, this.nowMs)) return this.refuse(pkt, addr, port, udpErrorText(UdpError.BadConnectionId));
    // From here the source has shown it receives our packets: replies may be larger than requests.
    if (action === Action.Announce) return this.announce(pkt, addr, port, startedAt);
    if (action === Action.Scrape) return this.scrape(pkt, addr, port, startedAt);
    return this.refuse(pkt, addr, port, udpErrorText(UdpError.UnknownAction));
  }

  private announce(pkt: Buffer, addr: Uint8Array, port: number, startedAt: number): void {
    this.stats.trackerAnnounces++;
    this.parseOptions.sourceAddr = addr;
    const err = parseAnnounceInto(pkt, this.record, this.parseOptions);
    if (err !== 0) return this.refuse(pkt, addr, port, udpErrorText(err));
    const id = this.pending.add(addr, port, startedAt, this.currentKind);
    if (id < 0) {
      this.stats.refusedBusy++;
      return this.refuse(pkt, addr, port, ClientErrors.busy);
    }
    this.pending.transactionId[id] = pkt.readUInt32BE(PKT_TRANSACTION_ID);
    // BEP 41 URL data carries the token: `/announce?jwt=...`, possibly over several chunks.
    let token: string | null = null;
    if (this.gate.checksJwt) {
      const urlData = readUrlData(pkt);
      token = urlData === null || urlData === '' ? null : parseUrlDataQuery(urlData)?.get('jwt') ?? null;
    }
    if (this.gate.admit(id, token) === Admission.Refused) {
      this.pending.take(id);
      this.refuse(pkt, addr, port, this.gate.reason);
    }
  }

  // ParkedAnswer: the gate's word on an announce that waited for its token's verdict.
  sourceKey(): string {
    const a = this.currentSource;
    return sourceKeyOf(formatIP(a, 0, a.length === 4 ? 4 : 6));
  }

  isWaiting(id: number): boolean {
    return this.pending.isPending(id);
  }

  refuseParked(id: number, reason: string): void {
    if (!this.pending.take(id)) return;
    this.stats.udpPacketsBad++;
    this.stats.countFailure(Proto.Udp, reason);
    if (this.log.on(2)) this.log.at(2, `udp refused ${this.pending.addressText(id)}:${this.pending.port[id]}: ${reason}`);
    this.sendError(id, reason);
    this.stats.recordLatency(this.pending.kind[id]! + Outcome.ClientError, (sharedNowMs() - this.pending.startedAt[id]!) * 1000);
  }

  private scrape(pkt: Buffer, addr: Uint8Array, port: number, startedAt: number): void {
    this.stats.trackerScrapes++;
    const n = scrapeHashCount(pkt, this.maxScrapeHashes);
    if (n < 0) return this.refuse(pkt, addr, port, udpErrorText(n));
    const id = this.pending.add(addr, port, startedAt, this.currentKind);
    if (id < 0) {
      this.stats.refusedBusy++;
      return this.refuse(pkt, addr, port, ClientErrors.busy);
    }
    this.pending.transactionId[id] = pkt.readUInt32BE(PKT_TRANSACTION_ID);
    if (!this.dispatcher.scrape(this.sinkId, id, pkt.subarray(PKT_SCRAPE_HASHES, PKT_SCRAPE_HASHES + 20 * n), n)) {
      this.pending.take(id);
      this.refuse(pkt, addr, port, ClientErrors.busy);
    }
  }

  private drop(): void {
    this.stats.udpPacketsBad++;
  }

  /** An error packet, never longer than the request it answers. */
  private refuse(pkt: Buffer, addr: Uint8Array, port: number, message: string): void {
    this.stats.udpPacketsBad++;
    this.stats.countFailure(Proto.Udp, message);
    if (this.log.on(2)) this.log.at(2, `udp refused ${formatIP(addr, 0, addr.length === 4 ? 4 : 6)}:${port}: ${message}`);
    const n = writeErrorReply(this.scratch, 0, pkt, PKT_TRANSACTION_ID, message, pkt.length);
    if (n > 0) this.send(this.scratch, n, addr, 0, port);
    if (this.currentKind >= 0) this.stats.recordLatency(this.currentKind + Outcome.ClientError, (sharedNowMs() - this.currentStartedAt) * 1000);
  }

  /** Sends bytes[0, length) to the address in addr[at..] (4 bytes: IPv4, else 16). */
  private send(bytes: Uint8Array, length: number, addr: Uint8Array, at: number, port: number): void {
    this.socket?.send(bytes, length, addr, at, addr.length === 4 ? 4 : 6, port);
  }

  /** Sends bytes[0, length) to pending request `id`'s source. */
  private sendTo(id: number, bytes: Uint8Array, length: number): void {
    this.socket?.send(bytes, length, this.pending.address, id * 16, this.pending.family[id]!, this.pending.port[id]!);
  }

  // ReplySink

  announceDone(requestId: number, bytes: Uint8Array): void {
    if (!this.pending.take(requestId)) return;
    this.sendTo(requestId, bytes, bytes.length);
    // Action 3 (error, big-endian): the owner refused it (torrent unknown, swarm full).
    const outcome = bytes[3] === 3 && bytes[2] === 0 ? Outcome.ClientError : Outcome.Ok;
    this.stats.recordLatency(this.pending.kind[requestId]! + outcome, (sharedNowMs() - this.pending.startedAt[requestId]!) * 1000);
  }

  scrapeDone(requestId: number, counts: Uint32Array, n: number): void {
    if (!this.pending.take(requestId)) return;
    this.txBytes.writeUInt32BE(this.pending.transactionId[requestId]!, 0);
    const len = writeScrapeReply(this.scratch, 0, this.txBytes, 0, counts, n);
    this.sendTo(requestId, this.scratch, len);
    this.stats.recordLatency(this.pending.kind[requestId]! + Outcome.Ok, (sharedNowMs() - this.pending.startedAt[requestId]!) * 1000);
  }

  requestFailed(requestId: number, reason: string): void {
    if (!this.pending.take(requestId)) return;
    this.stats.requestsErrored++;
    this.stats.countFailure(Proto.Udp, reason);
    this.sendError(requestId, reason);
    this.stats.recordLatency(this.pending.kind[requestId]! + Outcome.InternalError, (sharedNowMs() - this.pending.startedAt[requestId]!) * 1000);
  }

  // Forwarded announces (RoutedDispatcher with directUdp): this thread forwards, the owner answers.

  forward(requestId: number, msg: Buffer, at: number): void {
    msg[at + DIRECT_FAMILY_AT] = this.pending.family[requestId]!;
    msg[at + DIRECT_KIND_AT] = this.pending.kind[requestId]!;
    msg.writeUInt16LE(this.pending.port[requestId]!, at + DIRECT_PORT_AT);
    const from = requestId * 16;
    for (let k = 0; k < 16; k++) msg[at + DIRECT_ADDR_AT + k] = this.pending.address[from + k]!;
    msg.writeDoubleLE(this.pending.startedAt[requestId]!, at + DIRECT_STARTED_AT);
    this.pending.take(requestId);
  }

  sendForwarded(reply: Uint8Array, n: number, msg: Buffer, at: number): void {
    this.socket?.send(reply, n, msg, at + DIRECT_ADDR_AT, msg[at + DIRECT_FAMILY_AT]!, msg.readUInt16LE(at + DIRECT_PORT_AT));
    const outcome = reply[3] === 3 && reply[2] === 0 ? Outcome.ClientError : Outcome.Ok;
    this.stats.recordLatency(msg[at + DIRECT_KIND_AT]! + outcome, (sharedNowMs() - msg.readDoubleLE(at + DIRECT_STARTED_AT)) * 1000);
  }

  forwardedFailed(msg: Buffer, at: number, reason: string): void {
    this.stats.requestsErrored++;
    this.stats.countFailure(Proto.Udp, reason);
    const n = writeErrorReply(this.scratch, 0, msg, at + ANNOUNCE_RECORD_AT + OFF_TRANSACTION_ID, reason, 8 + reason.length);
    this.socket?.send(this.scratch, n, msg, at + DIRECT_ADDR_AT, msg[at + DIRECT_FAMILY_AT]!, msg.readUInt16LE(at + DIRECT_PORT_AT));
    this.stats.recordLatency(msg[at + DIRECT_KIND_AT]! + Outcome.InternalError, (sharedNowMs() - msg.readDoubleLE(at + DIRECT_STARTED_AT)) * 1000);
  }

  /** An error packet to a source that passed the connection-ID check (so it need not be capped). */
  private sendError(id: number, reason: string): void {
    this.txBytes.writeUInt32BE(this.pending.transactionId[id]!, 0);
    const n = writeErrorReply(this.scratch, 0, this.txBytes, 0, reason, 8 + reason.length);
    this.sendTo(id, this.scratch, n);
  }
}
