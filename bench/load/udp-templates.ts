// The request bodies of a UDP load as one file for the native generator (bench/load/native/udp-load.c):
// count x reqBytes bytes, body k at k * reqBytes, exactly what udp-loop.ts precomputes (or builds on the
// fly) for fill position k: writeAnnounceBody / writeScrapeBody, connection ID and transaction ID left
// zero (the sender stamps them). Written in chunks so a million announces never sit in memory at once.
import { closeSync, openSync, writeSync } from 'node:fs';
import { FillPaths, fillCoordinates, type SwarmFill } from '../workload/paths.js';
import { peerFields } from '../workload/peers.js';
import type { UdpAction } from './types.js';
import { ANNOUNCE_BYTES, CONNECT_BYTES, scrapeBytes, writeAnnounceBody, writeScrapeBody } from './udp-packets.js';

const CHUNK_BYTES = 1 << 20;

export interface TemplateSpec {
  action: UdpAction;
  fill: SwarmFill;
  count: number;            // positions 0 .. count-1 of the fill order
  hashesPerScrape: number;
}

export function requestBytes(action: UdpAction, hashesPerScrape: number): number {
  return action === 'connect' ? CONNECT_BYTES : action === 'announce' ? ANNOUNCE_BYTES : scrapeBytes(hashesPerScrape);
}

/** The body of position k, as udp-loop.ts writeBody does it (announce or scrape). */
export function writeBody(buf: Buffer, at: number, spec: TemplateSpec, fill: FillPaths, k: number): void {
  const f = spec.fill;
  if (spec.action === 'announce') {
    const { torrent, g } = fillCoordinates(f, k);
    writeAnnounceBody(buf, at, fill.infoHash(torrent), peerFields(g), f.numwant);
  } else {
    const t = k % f.torrents;
    const hashes: Buffer[] = [];
    for (let j = 0; j < spec.hashesPerScrape; j++) hashes.push(fill.infoHash((t + j) % f.torrents));
    writeScrapeBody(buf, at, hashes);
  }
}

/** Writes the templates file; returns its request size. Not for 'connect' (no bodies: connects are the load). */
export function writeTemplates(file: string, spec: TemplateSpec): number {
  if (spec.action === 'connect') throw new Error('connect loads have no templates');
  const reqBytes = requestBytes(spec.action, spec.hashesPerScrape);
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / reqBytes));
  const chunk = Buffer.alloc(perChunk * reqBytes);
  const fill = new FillPaths(spec.fill);
  const fd = openSync(file, 'w', 0o600);
  try {
    for (let k = 0; k < spec.count; k += perChunk) {
      const n = Math.min(perChunk, spec.count - k);
      chunk.fill(0);
      for (let j = 0; j < n; j++) writeBody(chunk, j * reqBytes, spec, fill, k + j);
      for (let at = 0; at < n * reqBytes;) at += writeSync(fd, chunk, at, n * reqBytes - at);
    }
  } finally {
    closeSync(fd);
  }
  return reqBytes;
}
