// BEP 3 announce and scrape queries, parsed in place from the raw query string into the 80-byte
// announce record: no per-request objects, no intermediate key/value map. Rules follow chihaya v1:
// `&`, `;` and `?` separate parameters, keys match case-insensitively, `+` is a space, values are
// percent-decoded as raw bytes (info_hash and peer_id are binary).
import {
  Event, FLAG_SEEDING, OFF_EVENT, OFF_FLAGS, OFF_INFO_HASH, OFF_NUM_WANT, OFF_PEER_ID, OFF_PORT,
} from '../../core/announce-record.js';
import { percentDecodeInto, percentDecodeToString } from './percent.js';

const enum Param {
  Unknown, InfoHash, PeerId, Port, Uploaded, Downloaded, Left, Event, NumWant, Compact, Ip, Ipv4, Ipv6, Jwt,
}

function keyIs(q: string, start: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) {
    if ((q.charCodeAt(start + i) | 0x20) !== lit.charCodeAt(i)) return false; // ASCII lower-casing
  }
  return true;
}

function paramOf(q: string, start: number, end: number): Param {
  switch (end - start) {
    case 2: return keyIs(q, start, 'ip') ? Param.Ip : Param.Unknown;
    case 3: return keyIs(q, start, 'jwt') ? Param.Jwt : Param.Unknown;
    case 4:
      if (keyIs(q, start, 'port')) return Param.Port;
      if (keyIs(q, start, 'left')) return Param.Left;
      if (keyIs(q, start, 'ipv4')) return Param.Ipv4;
      return keyIs(q, start, 'ipv6') ? Param.Ipv6 : Param.Unknown;
    case 5: return keyIs(q, start, 'event') ? Param.Event : Param.Unknown;
    case 7:
      if (keyIs(q, start, 'peer\x7fid')) return Param.PeerId; // '_' | 0x20 === 0x7f
      if (keyIs(q, start, 'numwant')) return Param.NumWant;
      return keyIs(q, start, 'compact') ? Param.Compact : Param.Unknown;
    case 8: return keyIs(q, start, 'uploaded') ? Param.Uploaded : Param.Unknown;
    case 9: return keyIs(q, start, 'info\x7fhash') ? Param.InfoHash : Param.Unknown;
    case 10: return keyIs(q, start, 'downloaded') ? Param.Downloaded : Param.Unknown;
    default: return Param.Unknown;
  }
}

// Scanning a query: the separators and '=' are found with native indexOf (vectorised) instead of a JS
// loop per character, which matters for long values such as a Quay JWT (~650 characters). Each
// position is searched once per query and reused until the scan passes it, so a query costs one pass
// per searched character whatever its number of parameters. Module state: one parse runs at a time.
let scanned = '';
let nextAmp = -1;
let nextSemi = -1;
let nextQuestion = -1;
let nextEquals = -1;
let nextPercent = -1;
let nextPlus = -1;

/** Position of the first '=' of the parameter `paramEnd` last scanned, or -1 (no allocation per call). */
let paramEq = -1;

function beginScan(q: string): void {
  scanned = q;
  nextAmp = nextSemi = nextQuestion = nextEquals = nextPercent = nextPlus = -1;
}

/** First `ch` at or after `from`, or the query's length when there is none. */
function find(ch: string, from: number): number {
  const i = scanned.indexOf(ch, from);
  return i < 0 ? scanned.length : i;
}

/** End of the parameter starting at `start`: the next `&`, `;` or `?` (chihaya v1's separators). */
function paramEnd(start: number): number {
  if (nextAmp < start) nextAmp = find('&', start);
  if (nextSemi < start) nextSemi = find(';', start);
  if (nextQuestion < start) nextQuestion = find('?', start);
  const e = Math.min(nextAmp, nextSemi, nextQuestion);
  if (nextEquals < start) nextEquals = find('=', start);
  paramEq = nextEquals < e ? nextEquals : -1;
  return e;
}

/** True when [start, end) holds a '%' escape or a '+' (so it needs percent-decoding). */
function needsDecoding(start: number, end: number): boolean {
  if (nextPercent < start) nextPercent = find('%', start);
  if (nextPlus < start) nextPlus = find('+', start);
  return nextPercent < end || nextPlus < end;
}

/** Decimal digits only (an optional leading '-' when `signed`); NaN otherwise. */
function parseDecimal(q: string, start: number, end: number, signed: boolean): number {
  let i = start;
  let sign = 1;
  if (signed && i < end && q.charCodeAt(i) === 0x2d) { sign = -1; i++; }
  if (i === end || end - i > 20) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const d = q.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return sign * v;
}

function eventOf(q: string, start: number, end: number): number {
  switch (end - start) {
    case 0: return Event.None;
    case 5: return keyIs(q, start, 'empty') ? Event.None : -1;
    case 6: return keyIs(q, start, 'paused') ? Event.Paused : -1;
    case 7:
      if (keyIs(q, start, 'started')) return Event.Started;
      return keyIs(q, start, 'stopped') ? Event.Stopped : -1;
    case 9: return keyIs(q, start, 'completed') ? Event.Completed : -1;
    default: return -1;
  }
}

/**
 * One parser per frontend (not per request): `parse` fills the record it was built over and leaves the
 * parameters that need the connection (ip, ipv4, ipv6) and the token as ranges/strings on itself.
 */
export class AnnounceQueryParser {
  /** Why the last parse failed, for logs (the client only sees `malformed request`). */
  reason = '';
  compact = true;
  jwt: string | null = null;
  /** [start, end) of the raw `ip`, `ipv4`, `ipv6` values in the query; start < 0 when absent. */
  ipStart = -1; ipEnd = -1;
  ipv4Start = -1; ipv4End = -1;
  ipv6Start = -1; ipv6End = -1;

  private readonly infoHash: Uint8Array;
  private readonly peerId: Uint8Array;

  constructor(private readonly record: Buffer, private readonly defaultNumWant: number, private readonly maxNumWant: number) {
    this.infoHash = record.subarray(OFF_INFO_HASH, OFF_INFO_HASH + 20);
    this.peerId = record.subarray(OFF_PEER_ID, OFF_PEER_ID + 20);
  }

  /** Fills the record's hash, peer id, port, event, numwant and seeding flag; false on a malformed query. */
  parse(q: string): boolean {
    const rec = this.record;
    this.compact = true;
    this.jwt = null;
    this.ipStart = this.ipv4Start = this.ipv6Start = -1;
    let seen = 0; // bit per required parameter
    let event: number = Event.None;
    let numWant = NaN;
    let left = NaN;
    let port = 0;
    const n = q.length;
    beginScan(q);
    for (let s = 0; s < n;) {
      const e = paramEnd(s);
      const eq = paramEq;
      const keyEnd = eq < 0 ? e : eq;
      const vs = eq < 0 ? e : eq + 1;
      let p = paramOf(q, s, keyEnd);
      if (p === Param.Unknown && needsDecoding(s, keyEnd)) {
        const key = percentDecodeToString(q, s, keyEnd); // rare: an escaped key
        if (key !== null) p = paramOf(key, 0, key.length);
      }
      switch (p) {
        case Param.InfoHash:
          if (percentDecodeInto(q, vs, e, this.infoHash, 0) !== 20) return this.fail('info_hash is not 20 bytes');
          seen |= 1;
          break;
        case Param.PeerId:
          if (percentDecodeInto(q, vs, e, this.peerId, 0) !== 20) return this.fail('peer_id is not 20 bytes');
          seen |= 2;
          break;
        case Param.Port:
          port = parseDecimal(q, vs, e, false);
          if (!(port <= 65535)) return this.fail('port is not a number 0..65535');
          seen |= 4;
          break;
        case Param.Uploaded:
          if (Number.isNaN(parseDecimal(q, vs, e, false))) return this.fail('uploaded is not a number');
          seen |= 8;
          break;
        case Param.Downloaded:
          if (Number.isNaN(parseDecimal(q, vs, e, false))) return this.fail('downloaded is not a number');
          seen |= 16;
          break;
        case Param.Left:
          left = parseDecimal(q, vs, e, false);
          if (Number.isNaN(left)) return this.fail('left is not a number');
          seen |= 32;
          break;
        case Param.Event:
          event = eventOf(q, vs, e);
          if (event < 0) return this.fail('unknown event');
          break;
        case Param.NumWant:
          numWant = parseDecimal(q, vs, e, true);
          break;
        case Param.Compact:
          this.compact = !(e - vs === 1 && q.charCodeAt(vs) === 0x30);
          break;
        case Param.Ip: this.ipStart = vs; this.ipEnd = e; break;
        case Param.Ipv4: this.ipv4Start = vs; this.ipv4End = e; break;
        case Param.Ipv6: this.ipv6Start = vs; this.ipv6End = e; break;
        case Param.Jwt:
          // A JWT is base64url and dots: usually nothing to decode, and a slice of the query costs O(1).
          this.jwt = needsDecoding(vs, e) ? percentDecodeToString(q, vs, e) : q.slice(vs, e);
          break;
        case Param.Unknown:
          break;
      }
      s = e + 1;
    }
    if (seen !== 63) return this.fail(missingParam(seen));
    // numwant: absent or not a number → default; <= 0 → no peer list; capped to bound the response.
    const want = Math.min(Number.isNaN(numWant) ? this.defaultNumWant : numWant <= 0 ? 0 : numWant, this.maxNumWant);
    rec.writeUInt32LE(want, OFF_NUM_WANT);
    rec.writeUInt16BE(port, OFF_PORT);
    rec[OFF_EVENT] = event;
    rec[OFF_FLAGS] = left === 0 ? FLAG_SEEDING : 0;
    return true;
  }

  private fail(reason: string): false {
    this.reason = reason;
    return false;
  }
}

const REQUIRED = ['info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left'];

function missingParam(seen: number): string {
  for (let i = 0; i < REQUIRED.length; i++) if ((seen & (1 << i)) === 0) return `missing ${REQUIRED[i]}`;
  return 'missing parameter';
}

/**
 * Scrape: every `info_hash` value decoded into `out` (20 bytes each, request order, at most
 * `out.length / 20`). Returns the count, -1 for a malformed hash, -2 when there are too many.
 */
export function parseScrapeQuery(q: string, out: Buffer): number {
  const max = Math.floor(out.length / 20);
  let count = 0;
  const n = q.length;
  beginScan(q);
  for (let s = 0; s < n;) {
    const e = paramEnd(s);
    const eq = paramEq;
    if (eq >= 0 && paramOf(q, s, eq) === Param.InfoHash) {
      if (count === max) return -2;
      if (percentDecodeInto(q, eq + 1, e, out.subarray(count * 20, count * 20 + 20), 0) !== 20) return -1;
      count++;
    }
    s = e + 1;
  }
  return count;
}
