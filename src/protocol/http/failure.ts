// The bencoded failure body `d14:failure reason<len>:<text>e` (BEP 3). Which texts may be sent is
// decided in core/client-errors.ts.
import { ascii, putBText } from './bencode-writer.js';

const FAILURE_PREFIX = ascii('d14:failure reason');

/** Writes the whole failure body into `out` at `offset`; returns the offset after it. */
export function putFailure(out: Buffer, offset: number, reason: string): number {
  out.set(FAILURE_PREFIX, offset);
  const o = putBText(out, offset + FAILURE_PREFIX.length, reason);
  out[o] = 0x65; // e
  return o + 1;
}
