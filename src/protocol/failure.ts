// Errors whose text may reach a peer (chihaya's ClientError), kept apart from internal errors, and the
// bencoded failure body `d14:failure reason<len>:<text>e` (BEP 3).
import { ascii, putBText } from './bencode-writer.js';

export const FAILURE_PREFIX = ascii('d14:failure reason');

/** Texts of compat.md that clients and Quay's validator look for; never reworded. */
export const ClientErrors = {
  malformedRequest: 'malformed request',
  clientNotApproved: 'client is not approved',
  torrentDoesNotExist: 'torrent does not exist',
  missingJwt: 'unapproved request: missing jwt',
  invalidJwt: 'unapproved request: invalid jwt',
  swarmFull: 'tracker is full: peer table limit reached',
  busy: 'tracker busy, retry later',
  tooManyInfoHashes: 'too many info_hash values in one scrape',
  internalError: 'internal error',
} as const;

/** Writes the whole failure body into `out` at `offset`; returns the offset after it. */
export function putFailure(out: Buffer, offset: number, reason: string): number {
  out.set(FAILURE_PREFIX, offset);
  const o = putBText(out, offset + FAILURE_PREFIX.length, reason);
  out[o] = 0x65; // e
  return o + 1;
}

/** A fresh failure body, for rare paths and tests. */
export function failureBody(reason: string): Buffer {
  const out = Buffer.allocUnsafe(FAILURE_PREFIX.length + reason.length + 12);
  return out.subarray(0, putFailure(out, 0, reason));
}
