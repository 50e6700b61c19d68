// What every UDP reply must be (BEP 15, BEP 41, compat rules), judged against the request it echoes the
// transaction ID of. The request is read with the harness's own parsers; nothing here knows hayate's
// code. A failed rule calls `fail(kind, detail)`; the kinds are the report's violation names.
import { isWhitelisted, sameToken, type TokenBook } from './identities.js';
import { decodeQuery } from './query.js';
import {
  ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, ACTION_SCRAPE, ANNOUNCE_BYTES, PROTOCOL_ID, readOptions,
} from './udp-packets.js';
import type { Family } from './udp-generator.js';

export interface TrackerExpectations {
  /** config `announce` in seconds: the `interval` of every announce reply */
  intervalSec: number;
  defaultNumWant: number;
  maxNumWant: number;
  maxScrapeHashes: number;
  /** JWT on: the tokens that admit an announce (per info_hash) */
  tokens: TokenBook | null;
  /** whitelist on: the client IDs allowed to announce */
  whitelist: readonly string[] | null;
}

export interface SentDatagram {
  bytes: Buffer;
  family: Family;
  /** bytes 0..8 are a connection ID the tracker issued to this socket (recently) */
  cidValid: boolean;
}

export type Fail = (kind: string, detail: string) => void;

/** Error texts a tracker may send (prefixes, since errors to unauthenticated requests are cut to size). */
const INTERNAL = 'internal error';

export function isConnectRequest(b: Buffer): boolean {
  return b.length >= 16 && b.subarray(0, 8).equals(PROTOCOL_ID) && b.readUInt32BE(8) === ACTION_CONNECT;
}

/** Does the tracker owe this datagram an answer (the runner's pacing; not an assertion)? */
export function expectsReply(b: Buffer): boolean {
  if (b.length < 16) return false;
  if (b.readUInt32BE(8) === ACTION_CONNECT) return b.subarray(0, 8).equals(PROTOCOL_ID);
  return true;
}

/** Peers an announce may get: num_want -1 = default, other values <= 0 none, capped; none after stopped. */
function peerLimit(req: Buffer, e: TrackerExpectations): number {
  const numWant = req.readInt32BE(92);
  if (req.readUInt32BE(80) === 3) return 0;
  const n = numWant === -1 ? e.defaultNumWant : numWant <= 0 ? 0 : numWant;
  return Math.min(n, e.maxNumWant);
}

/** True when the announce carries, in its BEP 41 URL data, a token minted for its info_hash. */
function carriesValidToken(req: Buffer, tokens: TokenBook): boolean {
  const url = readOptions(req);
  if (url === null) return false;
  const token = tokens.valid.get(req.toString('hex', 16, 36));
  if (token === undefined) return false;
  const q = url.indexOf(0x3f);
  const decoded = decodeQuery(q < 0 ? url : url.subarray(q + 1));
  if (decoded?.get('jwt')?.some((v) => sameToken(v.toString('latin1'), token))) return true;
  // a broken escape elsewhere: be generous (the token, up to its last character, anywhere)
  return url.includes(token.slice(0, -1));
}

function printableAscii(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 || c > 0x7e) return false;
  return true;
}

/**
 * Checks one reply against its request. Returns the error text for action-3 replies (for the report's
 * histogram), '' otherwise.
 */
export function checkUdpReply(req: SentDatagram, reply: Buffer, e: TrackerExpectations, fail: Fail): string {
  const r = req.bytes;
  if (reply.length < 8) {
    fail('udp: reply shorter than 8 bytes', `${reply.length} bytes`);
    return '';
  }
  const action = reply.readUInt32BE(0);
  const reqAction = r.length >= 16 ? r.readUInt32BE(8) : -1;
  if (!req.cidValid && reply.length > r.length) {
    fail('udp: amplification (reply larger than a request without a valid connection ID)', `${reply.length}-byte reply to a ${r.length}-byte request`);
  }
  switch (action) {
    case ACTION_CONNECT:
      if (!isConnectRequest(r)) fail('udp: connect reply to a request that is not a connect (action or protocol id)', `request action ${reqAction}`);
      if (reply.length !== 16) fail('udp: connect reply not 16 bytes', `${reply.length} bytes`);
      return '';
    case ACTION_ANNOUNCE: {
      if (reqAction !== ACTION_ANNOUNCE) return fail('udp: announce reply to a request of another action', `request action ${reqAction}`), '';
      if (!req.cidValid) fail('udp: announce reply to a request without a valid connection ID', '');
      if (r.length < ANNOUNCE_BYTES) return fail('udp: announce reply to a request shorter than 98 bytes', `${r.length} bytes`), '';
      if (r.readUInt32BE(80) > 3) fail('udp: announce reply to an event outside 0..3', `event ${r.readUInt32BE(80)}`);
      if (readOptions(r) === null) fail('udp: announce reply despite malformed BEP 41 options', '');
      if (r.readUInt16BE(96) === 0) fail('udp: announce reply to port 0', '');
      const entry = req.family === 6 ? 18 : 6;
      if (reply.length < 20 || (reply.length - 20) % entry !== 0) {
        fail(`udp: announce reply is not 20 + ${entry}n bytes (IPv${req.family} source)`, `${reply.length} bytes`);
        return '';
      }
      const interval = reply.readUInt32BE(8);
      if (interval !== e.intervalSec) fail('udp: announce interval differs from the config', `interval ${interval}, expected ${e.intervalSec}`);
      const peers = (reply.length - 20) / entry;
      const limit = peerLimit(r, e);
      if (peers > limit) fail('udp: more peers than num_want/event allow', `${peers} peers, limit ${limit} (num_want ${r.readInt32BE(92)}, event ${r.readUInt32BE(80)})`);
      if (e.tokens !== null && !carriesValidToken(r, e.tokens)) fail('udp: announce served without a valid JWT for its info_hash', '');
      if (e.whitelist !== null && !isWhitelisted(r.subarray(36, 56), e.whitelist)) {
        fail('udp: announce served to a client not on the whitelist', `client id ${JSON.stringify(r.toString('latin1', 36, 42))}`);
      }
      return '';
    }
    case ACTION_SCRAPE: {
      if (reqAction !== ACTION_SCRAPE) return fail('udp: scrape reply to a request of another action', `request action ${reqAction}`), '';
      if (!req.cidValid) fail('udp: scrape reply to a request without a valid connection ID', '');
      const hashBytes = r.length - 16;
      if (hashBytes < 20 || hashBytes % 20 !== 0) return fail('udp: scrape reply to a scrape without whole info hashes', `${r.length}-byte request`), '';
      const n = hashBytes / 20;
      if (n > e.maxScrapeHashes) fail('udp: scrape of more than maxScrapeInfoHashes hashes answered (must be refused)', `${n} hashes (bound ${e.maxScrapeHashes})`);
      else if (reply.length !== 8 + 12 * n) fail('udp: scrape reply is not 8 + 12n bytes for the n hashes asked', `${reply.length} bytes for ${n} hashes`);
      return '';
    }
    case ACTION_ERROR: {
      const text = reply.subarray(8);
      if (text.length === 0) fail('udp: error reply without text', '');
      if (!printableAscii(text)) fail('udp: error text is not printable ASCII', JSON.stringify(text.toString('latin1')));
      const s = text.toString('latin1');
      if (s.includes(INTERNAL) || (text.length < INTERNAL.length && INTERNAL.startsWith(s) && s.length >= 8)) {
        fail('udp: error reply says internal error', JSON.stringify(s));
      }
      return s;
    }
    default:
      fail('udp: reply with an unknown action', `action ${action}`);
      return '';
  }
}
