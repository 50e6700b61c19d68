// BEP 41 options at the end of a UDP announce: how Quay's JWT travels over UDP. A list of
//   0x0 EndOfOptions (no length; stop), 0x1 NOP (no length), 0x2 URLData (length byte + bytes),
//   any other type: a length byte + bytes, skipped (BEP 41: unknown options are skipped).
// All URLData payloads concatenate into the request string, e.g. "/announce?jwt=...".
// chihaya rejects unknown option types ("unknown option type"); we skip them as BEP 41 asks, so a
// client that adds a future option still gets through. A length byte that is missing or points past
// the end of the packet is malformed in both.

import { percentDecodeInto } from '../http/percent.js';
import { UdpError } from './errors.js';

/** Options start right after the port field of a BEP 15 announce. */
export const ANNOUNCE_OPTIONS_OFFSET = 98;

export const enum OptionType {
  EndOfOptions = 0,
  Nop = 1,
  UrlData = 2,
}

/**
 * Walks the options in `pkt[start, pkt.length)` without allocating. Returns the total number of
 * URLData bytes (>= 0; 0 also when there are no options), or UdpError.Malformed.
 */
export function scanOptions(pkt: Uint8Array, start: number = ANNOUNCE_OPTIONS_OFFSET): number {
  const end = pkt.length;
  let total = 0;
  let i = start;
  while (i < end) {
    const type = pkt[i++]!;
    if (type === OptionType.EndOfOptions) break;
    if (type === OptionType.Nop) continue;
    if (i >= end) return UdpError.Malformed; // length byte missing
    const len = pkt[i++]!;
    if (i + len > end) return UdpError.Malformed; // payload overruns the packet
    if (type === OptionType.UrlData) total += len;
    i += len;
  }
  return total;
}

// Room for every URLData byte a datagram can carry (64 KiB), so concatenation never allocates.
const urlScratch = Buffer.allocUnsafe(65_536);

/**
 * The concatenated URLData of the options in `pkt[start, ...)` as a latin1 string ("" when there is
 * none), or null when the options are malformed. Allocates only the result string.
 */
export function readUrlData(pkt: Buffer, start: number = ANNOUNCE_OPTIONS_OFFSET): string | null {
  const total = scanOptions(pkt, start);
  if (total < 0) return null;
  if (total === 0) return '';
  // second pass, now known to be well-formed: copy the payloads (a lone chunk is sliced directly)
  const end = pkt.length;
  let o = 0;
  let i = start;
  while (i < end) {
    const type = pkt[i++]!;
    if (type === OptionType.EndOfOptions) break;
    if (type === OptionType.Nop) continue;
    const len = pkt[i++]!;
    if (type === OptionType.UrlData) {
      if (len === total) return pkt.toString('latin1', i, i + len);
      for (let k = 0; k < len; k++) urlScratch[o++] = pkt[i + k]!;
    }
    i += len;
  }
  return urlScratch.toString('latin1', 0, o);
}

const valueScratch = Buffer.allocUnsafe(65_536);

/**
 * Query parameters of a URLData string: the part after the first '?', split on '&' and ';' (as the
 * HTTP frontend and chihaya do), each `key=value` percent-decoded with `+` as space (percent.ts).
 * Keys are lowercased as chihaya does; a repeated key keeps the last value; empty segments are
 * skipped; a key without '=' gets "". Returns null when an escape is malformed. No '?' gives an empty
 * map (chihaya: "/announce" carries no parameters).
 */
export function parseUrlDataQuery(urlData: string): Map<string, string> | null {
  const params = new Map<string, string>();
  const q = urlData.indexOf('?');
  if (q < 0) return params;
  const end = urlData.length;
  let segStart = q + 1;
  while (segStart <= end) {
    let segEnd = segStart;
    let eq = -1;
    let escapes = 0; // '%' or '+' seen: the segment needs decoding, else it is sliced as is
    for (; segEnd < end; segEnd++) {
      const c = urlData.charCodeAt(segEnd);
      if (c === 0x26 /* & */ || c === 0x3b /* ; */) break;
      if (c === 0x3d /* = */ && eq < 0) eq = segEnd;
      else if (c === 0x25 /* % */ || c === 0x2b /* + */ || c > 0xff) escapes++;
    }
    if (segEnd > segStart) {
      const keyEnd = eq < 0 ? segEnd : eq;
      const key = escapes === 0 ? urlData.slice(segStart, keyEnd) : decode(urlData, segStart, keyEnd);
      if (key === null) return null;
      const value = eq < 0 ? '' : escapes === 0 ? urlData.slice(eq + 1, segEnd) : decode(urlData, eq + 1, segEnd);
      if (value === null) return null;
      params.set(key.toLowerCase(), value);
    }
    segStart = segEnd + 1;
  }
  return params;
}

function decode(src: string, start: number, end: number): string | null {
  const n = percentDecodeInto(src, start, end, valueScratch, 0);
  return n < 0 ? null : valueScratch.toString('latin1', 0, n);
}
