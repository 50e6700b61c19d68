// UDP through node:dgram, for when the native addon is not there (no C compiler at build time, another
// OS): one callback, one Buffer and one remote-info object per datagram, one send per reply. Slower
// than BatchSocket, the same behaviour.
import type { RemoteInfo, Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { formatIP } from '../../protocol/ip.js';
import { SourceAddress } from '../../protocol/source-address.js';
import type { DatagramHandler, DatagramTransport, TransportCounters } from './datagram-transport.js';
import { ReplyRing } from './reply-ring.js';

/**
 * Bytes node:dgram may hold queued (the kernel's send buffer was full) before replies are dropped:
 * libuv's send queue has no bound of its own.
 */
const MAX_QUEUED_SEND_BYTES = 8 << 20;

export class DgramSocket implements DatagramTransport {
  readonly port: number;
  /** A dual-stack IPv6 socket reaches IPv4 clients at ::ffff:a.b.c.d. */
  private readonly v4Prefix: string;
  private readonly source = new SourceAddress();
  private readonly ring = new ReplyRing();
  /** The destination node:dgram is about to resolve: an address literal we formatted. */
  private sendingTo = '';

  /** `socket` is bound and listening (its 'message' listener is added here). */
  constructor(private readonly socket: Socket, private readonly onDatagram: DatagramHandler,
    private readonly counters: TransportCounters) {
    const self = socket.address();
    this.port = self.port;
    this.v4Prefix = self.family === 'IPv6' ? '::ffff:' : '';
    socket.on('message', this.receive);
  }

  private readonly receive = (pkt: Buffer, rinfo: RemoteInfo): void => {
    const source = this.source.parse(rinfo.address);
    if (source !== null) this.onDatagram(pkt, source, rinfo.port, false);
  };

  /**
   * node:dgram resolves every destination through `lookup` (by default dns.lookup, which answers an
   * address literal a tick later, through a closure and a nextTick per datagram). Replies go to a
   * literal, so that one is answered at once; anything else still goes to dns.lookup.
   */
  static lookupFor(self: () => DgramSocket | null) {
    return (host: string, family: unknown, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void => {
      const s = self();
      if (s !== null && host === s.sendingTo && host !== '') cb(null, host, host.includes(':') ? 6 : 4);
      else dnsLookup(host, family as number, cb);
    };
  }

  /**
   * node:dgram keeps a reference to the buffer when it has to queue the datagram, so the bytes go
   * through the reply ring (or a copy while a queue exists, see ReplyRing); past MAX_QUEUED_SEND_BYTES
   * queued the reply is dropped and counted.
   */
  send(bytes: Uint8Array, length: number, addr: Uint8Array, at: number, family: number, port: number): void {
    const s = this.socket;
    const queued = s.getSendQueueSize();
    if (queued > MAX_QUEUED_SEND_BYTES) {
      this.counters.udpRepliesDropped++;
      return;
    }
    const address = family === 4 ? this.v4Prefix + formatIP(addr, at, 4) : formatIP(addr, at, 6);
    this.sendingTo = address;
    if (queued === 0) {
      const o = this.ring.put(bytes, length);
      s.send(this.ring.bytes, o, length, port, address);
    } else {
      const copy = Buffer.allocUnsafe(length);
      copy.set(length === bytes.length ? bytes : bytes.subarray(0, length));
      s.send(copy, port, address);
    }
    this.sendingTo = '';
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
