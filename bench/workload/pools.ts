// The request lists the HTTP scenarios rotate through. Lists are finite (a wrk script embeds them) and
// deterministic (seeded), so two runs send the same bytes.
import { infoHashOf } from './peers.js';
import { announcePath, FillPaths, scrapePath, type SwarmFill } from './paths.js';
import { Prng } from './prng.js';
import { ZipfSampler } from './zipf.js';

/** The standard pool: `torrents` × `peersPerTorrent` peers, one announce each, in fill order. */
export function fillAnnounces(fill: SwarmFill, count = fill.torrents * fill.peersPerTorrent,
  jwtOf?: (torrent: number) => string): string[] {
  const paths = new FillPaths(fill);
  const out = new Array<string>(count);
  for (let k = 0; k < count; k++) out[k] = paths.path(k, jwtOf?.(k % fill.torrents));
  return out;
}

export interface SkewedPool {
  paths: string[];
  distinctTorrents: number;
  topShare: number;     // share of requests that go to the most popular torrent
}

/**
 * `length` announces whose torrent is drawn from Zipf(s) over `torrents` (s = 0: uniform) and whose peer is
 * drawn from 2^24 peers, so a torrent's swarm grows with its popularity.
 */
export function skewedAnnounces(salt: string, torrents: number, s: number, length: number, numwant: number,
  seed = 1): SkewedPool {
  const zipf = new ZipfSampler(torrents, s);
  const prng = new Prng(seed);
  const hashes = new Map<number, Buffer>();
  const counts = new Map<number, number>();
  const paths = new Array<string>(length);
  for (let k = 0; k < length; k++) {
    const t = zipf.sample(prng.next());
    let ih = hashes.get(t);
    if (ih === undefined) hashes.set(t, (ih = infoHashOf(salt, t)));
    counts.set(t, (counts.get(t) ?? 0) + 1);
    paths[k] = announcePath(ih, prng.int(1 << 24), { numwant });
  }
  let top = 0;
  for (const c of counts.values()) top = Math.max(top, c);
  return { paths, distinctTorrents: hashes.size, topShare: top / length };
}

/** One scrape per torrent of a pool, `hashesPerScrape` consecutive torrents each. */
export function scrapes(salt: string, torrents: number, hashesPerScrape: number): string[] {
  const out: string[] = [];
  for (let t = 0; t < torrents; t++) {
    const hs: Buffer[] = [];
    for (let j = 0; j < hashesPerScrape; j++) hs.push(infoHashOf(salt, (t + j) % torrents));
    out.push(scrapePath(hs));
  }
  return out;
}
