// HTTP request targets: realistic announce and scrape query strings (the parameter set and order of a
// qBittorrent announce, binary values percent-encoded), built from workload/peers.ts identities.
import { percentEncodeBytes } from './percent.js';
import { infoHashOf, ipv4Text, peerFields } from './peers.js';

export interface AnnounceOptions {
  numwant: number;
  jwt?: string;         // appended as &jwt=...
}

export function announcePath(infoHash: Uint8Array, g: number, o: AnnounceOptions): string {
  const p = peerFields(g);
  let path = `/announce?info_hash=${percentEncodeBytes(infoHash)}&peer_id=${percentEncodeBytes(p.peerId)}` +
    `&port=${p.port}&uploaded=${p.uploaded}&downloaded=${p.downloaded}&left=${p.left}&corrupt=0` +
    `&key=${p.key.toString(16).toUpperCase().padStart(8, '0')}&numwant=${o.numwant}&compact=1&no_peer_id=1` +
    `&supportcrypto=1&redundant=0&ip=${ipv4Text(p.ipv4)}`;
  if (o.jwt !== undefined) path += `&jwt=${o.jwt}`;
  return path;
}

export function scrapePath(infoHashes: readonly Uint8Array[]): string {
  let path = '/scrape';
  for (let i = 0; i < infoHashes.length; i++) path += `${i === 0 ? '?' : '&'}info_hash=${percentEncodeBytes(infoHashes[i]!)}`;
  return path;
}

/**
 * A swarm "fill" order: request k goes to torrent k % torrents as that torrent's peer floor(k / torrents),
 * so consecutive requests touch different torrents. Global peer index g = torrent * peersPerTorrent + slot.
 */
export interface SwarmFill {
  salt: string;
  torrents: number;
  peersPerTorrent: number;
  numwant: number;
}

export function fillSize(f: SwarmFill): number {
  return f.torrents * f.peersPerTorrent;
}

export function fillCoordinates(f: SwarmFill, k: number): { torrent: number; g: number } {
  const torrent = k % f.torrents;
  const slot = Math.floor(k / f.torrents) % f.peersPerTorrent;
  return { torrent, g: torrent * f.peersPerTorrent + slot };
}

/** Builds announce paths for fill positions on the fly, caching info hashes per torrent for small pools. */
export class FillPaths {
  private readonly hashes: (Buffer | undefined)[];

  constructor(readonly fill: SwarmFill) {
    this.hashes = fill.torrents <= 200_000 ? new Array<Buffer | undefined>(fill.torrents) : [];
  }

  infoHash(torrent: number): Buffer {
    if (this.hashes.length === 0) return infoHashOf(this.fill.salt, torrent);
    return (this.hashes[torrent] ??= infoHashOf(this.fill.salt, torrent));
  }

  path(k: number, jwt?: string): string {
    const { torrent, g } = fillCoordinates(this.fill, k);
    return announcePath(this.infoHash(torrent), g, { numwant: this.fill.numwant, jwt });
  }
}
