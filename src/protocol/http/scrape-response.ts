// HTTP scrape reply (BEP 48): `d5:filesd<20-byte hash>d8:completei..e10:downloadedi..e10:incompletei..eee`.
// Dictionary keys must be sorted, so hashes are ordered by their bytes and duplicates answered once.
import { ascii, putBytes, putUint } from './bencode-writer.js';

const D_FILES = ascii('d5:filesd');
const HASH_HEADER = ascii('20:');
const D_COMPLETE = ascii('d8:completei');
const E_DOWNLOADED = ascii('e10:downloadedi');
const E_INCOMPLETE = ascii('e10:incompletei');
const E_E = ascii('ee');

export function scrapeBodyBytes(n: number): number {
  return 16 + n * (3 + 20 + 12 + 15 + 15 + 3 * 10 + 2);
}

/** counts[3i..3i+3) = seeders, snatches, leechers of hashes[20i..20i+20). */
export function putHttpScrape(out: Buffer, hashes: Buffer, counts: Uint32Array, n: number): number {
  const order: number[] = [];
  for (let i = 0; i < n; i++) order.push(i);
  order.sort((a, b) => Buffer.compare(hashes.subarray(a * 20, a * 20 + 20), hashes.subarray(b * 20, b * 20 + 20)));
  let o = putBytes(out, 0, D_FILES);
  let prev = -1;
  for (const i of order) {
    if (prev >= 0 && hashes.compare(hashes, prev * 20, prev * 20 + 20, i * 20, i * 20 + 20) === 0) continue;
    prev = i;
    o = putBytes(out, o, HASH_HEADER);
    o += hashes.copy(out, o, i * 20, i * 20 + 20);
    o = putBytes(out, o, D_COMPLETE);
    o = putUint(out, o, counts[3 * i]!);
    o = putBytes(out, o, E_DOWNLOADED);
    o = putUint(out, o, counts[3 * i + 1]!);
    o = putBytes(out, o, E_INCOMPLETE);
    o = putUint(out, o, counts[3 * i + 2]!);
    o = putBytes(out, o, E_E);
  }
  return putBytes(out, o, E_E);
}
