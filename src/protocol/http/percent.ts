// Percent-decoding of URL query components straight into bytes. `info_hash` and `peer_id` are binary,
// so decoding must never go through a UTF-8 string; `+` is a space as in form encoding (chihaya v1).

import { HEX_DIGIT_VALUE } from '../../util/hex.js';

/**
 * Decodes `src[start, end)` (a latin1/ASCII string from the request line) into `out` at `outOffset`.
 * Returns the number of bytes written, or -1 when an escape is malformed, a character is not a single
 * byte, or the result would not fit in `out` from `outOffset` on.
 */
export function percentDecodeInto(src: string, start: number, end: number, out: Uint8Array, outOffset: number): number {
  let o = outOffset;
  const limit = out.length;
  for (let i = start; i < end; i++) {
    let c = src.charCodeAt(i);
    if (c === 0x25 /* % */) {
      if (i + 2 >= end) return -1; // a '%' needs two hex digits after it
      const hi = HEX_DIGIT_VALUE[src.charCodeAt(i + 1) & 0xff]!;
      const lo = HEX_DIGIT_VALUE[src.charCodeAt(i + 2) & 0xff]!;
      if (hi < 0 || lo < 0 || src.charCodeAt(i + 1) > 0x7f || src.charCodeAt(i + 2) > 0x7f) return -1;
      c = (hi << 4) | lo;
      i += 2;
    } else if (c === 0x2b /* + */) {
      c = 0x20;
    } else if (c > 0xff) {
      return -1;
    }
    if (o >= limit) return -1;
    out[o++] = c;
  }
  return o - outOffset;
}

const scratch = Buffer.allocUnsafe(8192);

/** Decodes a component to a latin1 string (for short text values such as `event` or a `jwt`). */
export function percentDecodeToString(src: string, start: number, end: number): string | null {
  if (end - start > scratch.length) return null;
  const n = percentDecodeInto(src, start, end, scratch, 0);
  return n < 0 ? null : scratch.toString('latin1', 0, n);
}
