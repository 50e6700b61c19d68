// The UDP tracker (BEP 15 + BEP 41) on node:dgram. Connection IDs are MACs of the source address and a
// time window; nothing but a connect reply (16 bytes, the size of the request) or an error no larger
// than the request ever goes to an address that has not proven it receives our packets.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { performance } from 'node:perf_hooks'; // a module binding: the global is an accessor (a slow load per call)
import { sourceKeyOf, type ClientWhitelist, type JwtGate } from '../../auth/index.js';
import { ANNOUNCE_RECORD_BYTES } from '../../core/announce-record.js';
import { ClientErrors } from '../../core/client-errors.js';
import type { Config } from '../../config/config.js';
import type { Dispatcher, ReplySink } from '../../dispatch/dispatcher.js';
import { SourceAddress } from '../../protocol/source-address.js';
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
import { Admission, AnnounceGate, type ParkedAnswer } from '../announce-gate.js';
import { PendingDatagrams } from './pending-datagrams.js';
import { bindDgramToFd, openReusePortUdpSocket } from './reuseport.js';
import { MAX_DATAGRAM_BYTES, ReplyRing } from './reply-ring.js';

const MAX_IN_FLIGHT = 65_536;
/** Peers that fit one reply datagram even at 18 bytes each (IPv6), whatever maxNumWant says. */
const MAX_PEERS_PER_DATAGRAM = Math.floor((MAX_DATAGRAM_BYTES - 20) / 18);
/**
 * Bytes node:dgram may hold queued (the kernel's send buffer was full) before replies are dropped:
 * libuv's send queue has no bound of its own.
 */
const MAX_QUEUED_SEND_BYTES = 8 << 20;

/** Response kinds (stats/response-kinds.ts) by action; add FAMILY_STEP for an IPv6 source. */
const CONNECT = responseKind(Proto.Udp, ResponseAction.Connect, AddrFamily.V4);
const ANNOUNCE = responseKind(Proto.Udp, ResponseAction.Announce, AddrFamily.V4);
const SCRAPE = responseKind(Proto.Udp, ResponseAction.Scrape, AddrFamily.V4);
const FAMILY_STEP = responseKind(Proto.Udp, ResponseAction.Announce, AddrFamily.V6) - ANNOUNCE;

export class UdpFrontend implements ReplySink, ParkedAnswer {
  private socket: Socket | null = null;
  private readonly ids: ConnectionIds;
  private readonly source = new SourceAddress();
  private readonly record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  /** Connect, error and scrape replies (sized for the largest scrape maxScrapeInfoHashes allows). */
  private readonly scratch: Buffer;
  private readonly txBytes = Buffer.alloc(4);
  private readonly ring = new ReplyRing();
  /** The destination node:dgram is about to resolve: an address literal from a received datagram. */
  private sendingTo = '';
  private readonly pending = new PendingDatagrams(MAX_IN_FLIGHT);
  private readonly parseOptions: AnnounceParseOptions;
  private readonly maxScrapeHashes: number;
  private readonly sinkId: number;
  private readonly errors: ThrottledErrorLog;
  private readonly gate: AnnounceGate;
  private accepting = true;
  /** The source address of the datagram being handled, for sourceKey. */
  private currentSource = '';
  /** The datagram being handled: its response kind (-1: an action with none) and when it arrived. */
  private currentKind = -1;
  private currentStartedAt = 0;
  /** Coarse clock for connection IDs: refreshed once per event-loop turn that has packets. */
  private nowMs = Date.now();

  /**
   * `connectionIdKey` is the secret of the connection IDs: the same for every I/O thread of the process,
   * so an ID issued by one thread verifies on another.
   */
  constructor(config: Config, private readonly dispatcher: Dispatcher, whitelist: ClientWhitelist,
    private readonly stats: RequestStats, private readonly log: Log, jwt: JwtGate | null, connectionIdKey: Uint8Array) {
    this.ids = new ConnectionIds(connectionIdKey);
    this.parseOptions = { sourceAddr: this.source.v4, allowIPSpoofing: config.allowIPSpoofing,
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
   * the caller has checked that the addon is there.
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

  private async bind(type: 'udp4' | 'udp6', address: string, port: number, configured: string, reusePort: boolean): Promise<number> {
    const socket = createSocket({ type, ipv6Only: false, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: this.lookup });
    let fd: number | null = null;
    if (reusePort) {
      try {
        fd = openReusePortUdpSocket(address, port, type);
      } catch (err) {
        socket.close();
        throw new Error(`udpListenAddr: cannot listen on ${configured === '' ? '*' : configured}:${port}: ${(err as Error).message}`);
      }
    }
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(new Error(`udpListenAddr: cannot listen on ${configured === '' ? '*' : configured}:${port}: ${err.message}`));
      });
      const listening = (): void => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.log.info(`udp socket error: ${err.message}`));
        socket.on('message', this.receive);
        this.socket = socket;
        resolve(socket.address().port);
      };
      if (fd === null) socket.bind(port, address, listening);
      else bindDgramToFd(socket, fd).then(listening, reject);
    });
  }

  /** Drops new datagrams from now on (shutdown); replies to accepted ones still go out. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Tests only: handles a datagram as if the socket had received it. */
  injectDatagram(pkt: Buffer, rinfo: RemoteInfo): void {
    this.receive(pkt, rinfo);
  }

  /** Datagrams accepted and not yet answered. */
  get inFlight(): number {
    return this.pending.inFlight;
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    return new Promise((resolve) => (s === null ? resolve() : s.close(() => resolve())));
  }

  private readonly receive = (pkt: Buffer, rinfo: RemoteInfo): void => {
    if (!this.accepting) return;
    this.stats.udpPackets++;
    try {
      this.onMessage(pkt, rinfo);
    } catch (err) { // a bug costs one datagram its answer, never the process
      this.stats.requestsErrored++;
      this.errors.report('udp', err);
    }
  };

  private onMessage(pkt: Buffer, rinfo: RemoteInfo): void {
    const startedAt = performance.now();
    this.nowMs = Date.now();
    const addr = this.source.parse(rinfo.address);
    const action = readAction(pkt);
    // Shorter than a header: not even an error. Source port 0: nothing can be sent back (and
    // node:dgram throws on it), so it is dropped here rather than failing as an internal error.
    if (addr === null || action < 0 || rinfo.port === 0) return this.drop();
    const family = addr.length === 4 ? 0 : FAMILY_STEP;
    this.currentStartedAt = startedAt;
    this.currentKind = action === Action.Connect ? CONNECT + family : action === Action.Announce ? ANNOUNCE + family
      : action === Action.Scrape ? SCRAPE + family : -1;
    if (action === Action.Connect) {
      if (!isConnectRequest(pkt)) return this.drop();
      const n = writeConnectReply(this.scratch, 0, pkt, this.ids, addr, this.nowMs);
      this.send(this.scratch, n, rinfo.port, rinfo.address);
      this.stats.recordLatency(this.currentKind, (performance.now() - startedAt) * 1000);
      return;
    }
    if (!this.ids.verify(pkt, PKT_CONNECTION_ID, addr, this.nowMs)) return this.refuse(pkt, rinfo, udpErrorText(UdpError.BadConnectionId));
    // From here the source has shown it receives our packets: replies may be larger than requests.
    if (action === Action.Announce) return this.announce(pkt, rinfo, addr, startedAt);
    if (action === Action.Scrape) return this.scrape(pkt, rinfo, startedAt);
    return this.refuse(pkt, rinfo, udpErrorText(UdpError.UnknownAction));
  }

  private announce(pkt: Buffer, rinfo: RemoteInfo, addr: Uint8Array, startedAt: number): void {
    this.stats.trackerAnnounces++;
    this.parseOptions.sourceAddr = addr;
    const err = parseAnnounceInto(pkt, this.record, this.parseOptions);
    if (err !== 0) return this.refuse(pkt, rinfo, udpErrorText(err));
    const id = this.pending.add(rinfo.address, rinfo.port, startedAt, this.currentKind);
    if (id < 0) {
      this.stats.refusedBusy++;
      return this.refuse(pkt, rinfo, ClientErrors.busy);
    }
    this.pending.transactionId[id] = pkt.readUInt32BE(PKT_TRANSACTION_ID);
    this.currentSource = rinfo.address;
    // BEP 41 URL data carries the token: `/announce?jwt=...`, possibly over several chunks.
    let token: string | null = null;
    if (this.gate.checksJwt) {
      const urlData = readUrlData(pkt);
      token = urlData === null || urlData === '' ? null : parseUrlDataQuery(urlData)?.get('jwt') ?? null;
    }
    if (this.gate.admit(id, token) === Admission.Refused) {
      this.pending.take(id);
      this.refuse(pkt, rinfo, this.gate.reason);
    }
  }

  // ParkedAnswer: the gate's word on an announce that waited for its token's verdict.
  sourceKey(): string {
    return sourceKeyOf(this.currentSource);
  }

  isWaiting(id: number): boolean {
    return this.pending.isPending(id);
  }

  refuseParked(id: number, reason: string): void {
    if (!this.pending.take(id)) return;
    this.stats.udpPacketsBad++;
    this.stats.countFailure(Proto.Udp, reason);
    if (this.log.on(2)) this.log.at(2, `udp refused ${this.pending.address[id]}:${this.pending.port[id]}: ${reason}`);
    this.sendError(id, reason);
    this.stats.recordLatency(this.pending.kind[id]! + Outcome.ClientError, (performance.now() - this.pending.startedAt[id]!) * 1000);
  }

  private scrape(pkt: Buffer, rinfo: RemoteInfo, startedAt: number): void {
    this.stats.trackerScrapes++;
    const n = scrapeHashCount(pkt, this.maxScrapeHashes);
    if (n < 0) return this.refuse(pkt, rinfo, udpErrorText(n));
    const id = this.pending.add(rinfo.address, rinfo.port, startedAt, this.currentKind);
    if (id < 0) {
      this.stats.refusedBusy++;
      return this.refuse(pkt, rinfo, ClientErrors.busy);
    }
    this.pending.transactionId[id] = pkt.readUInt32BE(PKT_TRANSACTION_ID);
    if (!this.dispatcher.scrape(this.sinkId, id, pkt.subarray(PKT_SCRAPE_HASHES, PKT_SCRAPE_HASHES + 20 * n), n)) {
      this.pending.take(id);
      this.refuse(pkt, rinfo, ClientErrors.busy);
    }
  }

  private drop(): void {
    this.stats.udpPacketsBad++;
  }

  /** An error packet, never longer than the request it answers. */
  private refuse(pkt: Buffer, rinfo: RemoteInfo, message: string): void {
    this.stats.udpPacketsBad++;
    this.stats.countFailure(Proto.Udp, message);
    if (this.log.on(2)) this.log.at(2, `udp refused ${rinfo.address}:${rinfo.port}: ${message}`);
    const n = writeErrorReply(this.scratch, 0, pkt, PKT_TRANSACTION_ID, message, pkt.length);
    if (n > 0) this.send(this.scratch, n, rinfo.port, rinfo.address);
    if (this.currentKind >= 0) this.stats.recordLatency(this.currentKind + Outcome.ClientError, (performance.now() - this.currentStartedAt) * 1000);
  }

  /**
   * node:dgram resolves every destination through `lookup` (by default dns.lookup, which answers an
   * address literal a tick later, through a closure and a nextTick per datagram). Replies go to the
   * literal a datagram came from, so that one is answered at once; anything else (a host name to bind)
   * still goes to dns.lookup.
   */
  private readonly lookup = (host: string, family: unknown, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void => {
    if (host === this.sendingTo && host !== '') cb(null, host, host.includes(':') ? 6 : 4);
    else dnsLookup(host, family as number, cb);
  };

  /**
   * Sends `bytes[0, length)`. node:dgram keeps a reference to the buffer when it has to queue the
   * datagram, so the bytes go through the reply ring (or a copy while a queue exists, see ReplyRing);
   * past MAX_QUEUED_SEND_BYTES queued the reply is dropped and counted.
   */
  private send(bytes: Uint8Array, length: number, port: number, address: string): void {
    const s = this.socket;
    if (s === null) return;
    const queued = s.getSendQueueSize();
    if (queued > MAX_QUEUED_SEND_BYTES) {
      this.stats.udpRepliesDropped++;
      return;
    }
    this.sendingTo = address;
    if (queued === 0) {
      const at = this.ring.put(bytes, length);
      s.send(this.ring.bytes, at, length, port, address);
    } else {
      const copy = Buffer.allocUnsafe(length);
      copy.set(length === bytes.length ? bytes : bytes.subarray(0, length));
      s.send(copy, port, address);
    }
    this.sendingTo = '';
  }

  // ReplySink

  announceDone(requestId: number, bytes: Uint8Array): void {
    if (!this.pending.take(requestId)) return;
    this.send(bytes, bytes.length, this.pending.port[requestId]!, this.pending.address[requestId]!);
    // Action 3 (error, big-endian): the owner refused it (torrent unknown, swarm full).
    const outcome = bytes[3] === 3 && bytes[2] === 0 ? Outcome.ClientError : Outcome.Ok;
    this.stats.recordLatency(this.pending.kind[requestId]! + outcome, (performance.now() - this.pending.startedAt[requestId]!) * 1000);
  }

  scrapeDone(requestId: number, counts: Uint32Array, n: number): void {
    if (!this.pending.take(requestId)) return;
    this.txBytes.writeUInt32BE(this.pending.transactionId[requestId]!, 0);
    const len = writeScrapeReply(this.scratch, 0, this.txBytes, 0, counts, n);
    this.send(this.scratch, len, this.pending.port[requestId]!, this.pending.address[requestId]!);
    this.stats.recordLatency(this.pending.kind[requestId]! + Outcome.Ok, (performance.now() - this.pending.startedAt[requestId]!) * 1000);
  }

  requestFailed(requestId: number, reason: string): void {
    if (!this.pending.take(requestId)) return;
    this.stats.requestsErrored++;
    this.stats.countFailure(Proto.Udp, reason);
    this.sendError(requestId, reason);
    this.stats.recordLatency(this.pending.kind[requestId]! + Outcome.InternalError, (performance.now() - this.pending.startedAt[requestId]!) * 1000);
  }

  /** An error packet to a source that passed the connection-ID check (so it need not be capped). */
  private sendError(id: number, reason: string): void {
    this.txBytes.writeUInt32BE(this.pending.transactionId[id]!, 0);
    const n = writeErrorReply(this.scratch, 0, this.txBytes, 0, reason, 8 + reason.length);
    this.send(this.scratch, n, this.pending.port[id]!, this.pending.address[id]!);
  }
}
