// The peers a paced load announces: `torrents` × `peersPerTorrent` peers of workload/peers.ts (distinct
// peer_id and 10.x.y.z address each, 30% seeders), walked in fill order by one cursor shared by every
// lane of every protocol, so a pass announces each peer once whichever protocol carries it. Optional
// JWTs per torrent (Quay's `?jwt=`: a query parameter over HTTP, BEP 41 URL data over UDP).
import { fillCoordinates, FillPaths, type SwarmFill } from '../../workload/paths.js';
import { peerFields } from '../../workload/peers.js';
import { writeAnnounceBody } from '../udp-packets.js';

export interface AnnouncePoolOptions {
  salt: string;
  torrents: number;
  peersPerTorrent: number;
  numwant: number;
  /** The token for torrent t, when announces must carry one. */
  jwtOf?: (torrent: number) => string;
}

/** What one announce is about: fill position k, its torrent and its global peer index g. */
export interface PeerRef {
  k: number;
  torrent: number;
  g: number;
}

export class AnnouncePool {
  readonly size: number;
  private readonly paths: FillPaths;
  private readonly fill: SwarmFill;
  private readonly udpOptions = new Map<number, Buffer>();

  constructor(readonly opts: AnnouncePoolOptions) {
    if (!(opts.torrents >= 1 && opts.peersPerTorrent >= 1)) throw new RangeError('a pool needs at least one torrent and one peer');
    if (opts.torrents * opts.peersPerTorrent > 1 << 24) throw new RangeError('at most 2^24 peers (their addresses are 10.x.y.z)');
    this.fill = { salt: opts.salt, torrents: opts.torrents, peersPerTorrent: opts.peersPerTorrent, numwant: opts.numwant };
    this.size = opts.torrents * opts.peersPerTorrent;
    this.paths = new FillPaths(this.fill);
  }

  ref(k: number): PeerRef {
    const { torrent, g } = fillCoordinates(this.fill, k);
    return { k, torrent, g };
  }

  infoHash(torrent: number): Buffer {
    return this.paths.infoHash(torrent);
  }

  /** Peer g's torrent. */
  torrentOf(g: number): number {
    return Math.floor(g / this.opts.peersPerTorrent);
  }

  /** `/announce?...` for fill position k. */
  httpPath(k: number): string {
    const jwtOf = this.opts.jwtOf;
    return this.paths.path(k, jwtOf === undefined ? undefined : jwtOf(k % this.opts.torrents));
  }

  /** Bytes of a UDP announce for position k (without connection and transaction IDs). */
  udpLength(k: number): number {
    return 98 + this.optionsOf(k % this.opts.torrents).length;
  }

  /** Writes the UDP announce body for position k at `buf[0..]` (buf must hold udpLength(k) bytes). */
  writeUdp(buf: Buffer, ref: PeerRef): number {
    writeAnnounceBody(buf, 0, this.infoHash(ref.torrent), peerFields(ref.g), this.opts.numwant);
    const opts = this.optionsOf(ref.torrent);
    opts.copy(buf, 98);
    return 98 + opts.length;
  }

  /** BEP 41 URL data carrying the torrent's token (chunks of 255 bytes, then EndOfOptions), or nothing. */
  private optionsOf(torrent: number): Buffer {
    const jwtOf = this.opts.jwtOf;
    if (jwtOf === undefined) return EMPTY;
    let o = this.udpOptions.get(torrent);
    if (o === undefined) {
      o = urlDataOptions(`/announce?jwt=${jwtOf(torrent)}`);
      if (this.udpOptions.size < 100_000) this.udpOptions.set(torrent, o);
    }
    return o;
  }
}

const EMPTY = Buffer.alloc(0);

function urlDataOptions(url: string): Buffer {
  const data = Buffer.from(url, 'latin1');
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += 255) {
    const piece = data.subarray(o, o + 255);
    parts.push(Buffer.from([0x02, piece.length]), piece);
  }
  parts.push(Buffer.from([0x00]));
  return Buffer.concat(parts);
}

/**
 * The fill positions a load walks: first, first + 1, ... wrapping after `span` positions (default: the
 * whole pool); -1 once `limit` were handed out. Several generator threads take disjoint spans.
 */
export class PoolCursor {
  private k: number;
  private readonly end: number;
  issued = 0;

  constructor(size: number, private readonly limit = Infinity, private readonly first = 0, span = size - first) {
    if (!(first >= 0 && span >= 1 && first + span <= size)) throw new RangeError(`span ${first}+${span} is outside a pool of ${size}`);
    this.k = first;
    this.end = first + span;
  }

  next(): number {
    if (this.issued >= this.limit) return -1;
    this.issued++;
    const k = this.k;
    this.k = k + 1 === this.end ? this.first : k + 1;
    return k;
  }

  get exhausted(): boolean {
    return this.issued >= this.limit;
  }
}
