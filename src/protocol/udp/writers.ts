// BEP 15 replies, written into a buffer the caller owns and reuses (one per socket, or a slot of a
// shared ring). Each writer takes the offset to write at and returns the number of bytes written. The
// transaction id is copied from wherever the caller has it: the request (pkt, PKT_TRANSACTION_ID) or
// the announce record (record, OFF_TRANSACTION_ID).

import type { ConnectionIds } from './connection-id.js';
import {
  Action,
  ANNOUNCE_REPLY_HEADER_BYTES,
  CONNECT_REPLY_BYTES,
  ERROR_REPLY_HEADER_BYTES,
  PKT_TRANSACTION_ID,
  SCRAPE_ENTRY_BYTES,
  SCRAPE_REPLY_HEADER_BYTES,
} from './packets.js';

/**
 * Connect reply: action 0, the request's transaction id, a fresh connection ID for `addr`.
 * Returns 16 (never more than the 16-byte connect request it answers).
 */
export function writeConnectReply(
  out: Buffer,
  offset: number,
  request: Uint8Array,
  ids: ConnectionIds,
  addr: Uint8Array,
  nowMs: number,
): number {
  room(out, offset, CONNECT_REPLY_BYTES);
  putU32(out, offset, Action.Connect);
  copy4(request, PKT_TRANSACTION_ID, out, offset + 4);
  ids.write(out, offset + 8, addr, nowMs);
  return CONNECT_REPLY_BYTES;
}

/**
 * Announce reply header: action 1, transaction id, interval (s), leechers, seeders. Returns 20; the
 * swarm appends the peers (6 bytes each for Udp4, 18 for Udp6) at offset + 20.
 */
export function writeAnnounceReplyHeader(
  out: Buffer,
  offset: number,
  txSrc: Uint8Array,
  txOffset: number,
  intervalSeconds: number,
  leechers: number,
  seeders: number,
): number {
  room(out, offset, ANNOUNCE_REPLY_HEADER_BYTES);
  putU32(out, offset, Action.Announce);
  copy4(txSrc, txOffset, out, offset + 4);
  putU32(out, offset + 8, intervalSeconds);
  putU32(out, offset + 12, leechers);
  putU32(out, offset + 16, seeders);
  return ANNOUNCE_REPLY_HEADER_BYTES;
}

/**
 * Scrape reply: action 2, transaction id, then for each of the `n` hashes, in request order,
 * seeders, completed, leechers, taken from `counts` laid out the same way
 * (counts[3i] = seeders, counts[3i + 1] = completed, counts[3i + 2] = leechers). Returns 8 + 12 n.
 */
export function writeScrapeReply(
  out: Buffer,
  offset: number,
  txSrc: Uint8Array,
  txOffset: number,
  counts: Uint32Array,
  n: number,
): number {
  const len = SCRAPE_REPLY_HEADER_BYTES + SCRAPE_ENTRY_BYTES * n;
  room(out, offset, len);
  if (counts.length < 3 * n) throw new RangeError('scrape counts shorter than 3 * n');
  putU32(out, offset, Action.Scrape);
  copy4(txSrc, txOffset, out, offset + 4);
  let o = offset + SCRAPE_REPLY_HEADER_BYTES;
  for (let k = 0; k < 3 * n; k++, o += 4) putU32(out, o, counts[k]!);
  return len;
}

/**
 * Error reply: action 3, transaction id, the message (latin1, no terminator). Cut to `maxLength`
 * bytes in total, which the caller sets to the length of the request it answers, so an error to an
 * unverified (possibly spoofed) source is never larger than what that source sent. Returns the length,
 * or 0 (nothing written, send nothing) when even the 8-byte header does not fit in `maxLength`.
 */
export function writeErrorReply(
  out: Buffer,
  offset: number,
  txSrc: Uint8Array,
  txOffset: number,
  message: string,
  maxLength: number,
): number {
  if (!(maxLength >= ERROR_REPLY_HEADER_BYTES)) return 0;
  let len = ERROR_REPLY_HEADER_BYTES + message.length;
  if (len > maxLength) len = maxLength;
  room(out, offset, len);
  putU32(out, offset, Action.Error);
  copy4(txSrc, txOffset, out, offset + 4);
  const textEnd = offset + len;
  for (let i = 0, o = offset + ERROR_REPLY_HEADER_BYTES; o < textEnd; i++, o++) {
    out[o] = message.charCodeAt(i) & 0xff;
  }
  return len;
}

// Typed-array stores past the end are silently dropped; a short reply buffer is a caller bug that must
// not turn into a truncated datagram.
function room(out: Buffer, offset: number, len: number): void {
  if (!(offset >= 0 && offset + len <= out.length)) throw new RangeError('reply buffer too small');
}

function putU32(out: Buffer, o: number, v: number): void {
  out[o] = v >>> 24;
  out[o + 1] = v >>> 16;
  out[o + 2] = v >>> 8;
  out[o + 3] = v;
}

function copy4(src: Uint8Array, s: number, dst: Uint8Array, d: number): void {
  dst[d] = src[s]!;
  dst[d + 1] = src[s + 1]!;
  dst[d + 2] = src[s + 2]!;
  dst[d + 3] = src[s + 3]!;
}
