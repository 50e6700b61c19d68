// What every HTTP answer must be: never a 5xx, never a body saying "internal error"; and for GET
// /announce and /scrape, HTTP 200 with a bencoded dict (the `bencode` package must parse it, and it must
// be canonical: sorted keys, nothing after it) holding `interval` (announce), `files` (scrape) or
// `failure reason`. Successful announces must also respect num_want, the JWT and the whitelist.
import bencode from 'bencode';
import { bdecodeStrict, type BValue } from '../test/helpers/tracker.js';
import type { HttpRequestMeta } from './http-generator.js';
import type { HttpResponse } from './http-response.js';
import { isWhitelisted, sameToken } from './identities.js';
import { decodeQuery } from './query.js';
import type { TrackerExpectations } from './udp-checks.js';

export type Fail = (kind: string, detail: string) => void;

const INTERNAL = Buffer.from('internal error');

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** The single value of `key` in a decoded query, or undefined (absent, repeated, or undecodable). */
function single(q: Map<string, Buffer[]> | null, key: string): Buffer | undefined | null {
  if (q === null) return null;
  const v = q.get(key);
  if (v === undefined) return undefined;
  return v.length === 1 ? v[0]! : null;
}

/** Most peers an announce may get (lenient where the query is ambiguous). */
function peerLimit(q: Map<string, Buffer[]> | null, e: TrackerExpectations): number {
  const event = single(q, 'event');
  if (event instanceof Buffer && (event.toString('latin1') === 'stopped' || event.toString('latin1') === 'paused')) return 0;
  const nw = single(q, 'numwant');
  if (nw === undefined) return e.defaultNumWant;
  if (nw === null || !/^[0-9]+$/.test(nw.toString('latin1'))) return e.maxNumWant;
  return Math.min(Number(nw.toString('latin1')), e.maxNumWant);
}

function checkAnnounce(d: Record<string, unknown>, meta: HttpRequestMeta, e: TrackerExpectations, fail: Fail): void {
  if (!isInt(d.interval)) return fail('http: announce reply without an integer interval', JSON.stringify(Object.keys(d)));
  for (const k of ['complete', 'incomplete', 'min interval']) {
    if (d[k] !== undefined && !(isInt(d[k]) && (d[k] as number) >= 0)) fail(`http: announce reply with a bad "${k}"`, String(d[k]));
  }
  if (d.interval !== e.intervalSec) fail('http: announce interval differs from the config', `${String(d.interval)} != ${e.intervalSec}`);
  let peers = 0;
  if (d.peers instanceof Uint8Array) {
    if (d.peers.length % 6 !== 0) fail('http: compact peers not a multiple of 6 bytes', `${d.peers.length} bytes`);
    peers += Math.floor(d.peers.length / 6);
  } else if (Array.isArray(d.peers)) {
    for (const p of d.peers) {
      if (!isDict(p) || !(p.ip instanceof Uint8Array) || !isInt(p.port)) fail('http: non-compact peer entry is not {ip, peer id, port}', '');
    }
    peers += d.peers.length;
  } else if (d.peers !== undefined) {
    fail('http: peers is neither a byte string nor a list', typeof d.peers);
  }
  if (d.peers6 !== undefined) {
    if (!(d.peers6 instanceof Uint8Array) || d.peers6.length % 18 !== 0) fail('http: peers6 not a multiple of 18 bytes', '');
    else peers += d.peers6.length / 18;
  }
  const q = meta.query === null ? null : decodeQuery(meta.query);
  const limit = peerLimit(q, e);
  if (peers > limit) fail('http: more peers than numwant/event allow', `${peers} peers, limit ${limit}`);

  if (q === null) return; // the query does not decode: what the tracker saw is not certain
  const port = single(q, 'port');
  if (port instanceof Buffer && /^0+$/.test(port.toString('latin1'))) fail('http: announce served with port 0', '');
  const ihs = q.get('info_hash') ?? [];
  if (e.tokens !== null) {
    const tokens = (q.get('jwt') ?? []).map((v) => v.toString('latin1'));
    const admitted = ihs.some((ih) => {
      const valid = ih.length === 20 ? e.tokens!.valid.get(ih.toString('hex')) : undefined;
      return valid !== undefined && tokens.some((t) => sameToken(t, valid));
    });
    if (!admitted) fail('http: announce served without a valid JWT for its info_hash', `jwt values: ${tokens.length}`);
  }
  if (e.whitelist !== null) {
    const ids = q.get('peer_id') ?? [];
    if (!ids.some((id) => isWhitelisted(id, e.whitelist!))) {
      fail('http: announce served to a client not on the whitelist', ids.map((id) => JSON.stringify(id.toString('latin1', 0, 8))).join(' '));
    }
  }
}

function checkScrape(strict: BValue | null, d: Record<string, unknown>, meta: HttpRequestMeta, fail: Fail): void {
  if (!isDict(d.files)) return fail('http: scrape reply without a files dict', JSON.stringify(Object.keys(d)));
  if (!(strict instanceof Map)) return; // not canonical: already failed
  const files = strict.get('files');
  if (!(files instanceof Map)) return;
  const q = meta.query === null ? null : decodeQuery(meta.query);
  const asked = new Set((q?.get('info_hash') ?? []).map((b) => b.toString('latin1')));
  for (const [k, v] of files) {
    const counts = v instanceof Map ? ['complete', 'downloaded', 'incomplete'].map((c) => v.get(c)) : [];
    if (counts.length !== 3 || !counts.every((c) => typeof c === 'number' && c >= 0)) {
      fail('http: scrape entry is not {complete, downloaded, incomplete}', Buffer.from(k, 'latin1').toString('hex'));
    }
    if (k.length !== 20) fail('http: scrape files key is not 20 bytes', `${k.length} bytes`);
    else if (q !== null && !asked.has(k)) fail('http: scrape reply names an info_hash that was not asked', Buffer.from(k, 'latin1').toString('hex'));
  }
}

/** Judges one response to `meta`. */
export function checkHttpResponse(meta: HttpRequestMeta, res: HttpResponse, e: TrackerExpectations, fail: Fail): void {
  if (res.status >= 500) fail(`http: HTTP ${res.status}`, '');
  if (res.body.includes(INTERNAL)) fail('http: body says internal error', '');
  if (meta.route === 'other') return;
  const what = meta.route === 'announce' ? '/announce' : '/scrape';
  if (res.status !== 200) return fail(`http: GET ${what} answered HTTP ${res.status}, not 200`, '');
  let d: unknown;
  try {
    d = bencode.decode(res.body);
  } catch (err) {
    return fail(`http: ${what} body is not bencode (bencode package)`, String(err));
  }
  if (!isDict(d)) return fail(`http: ${what} body is not a bencoded dict`, typeof d);
  let strict: BValue | null = null;
  try {
    strict = bdecodeStrict(res.body);
  } catch (err) {
    fail(`http: ${what} body is not canonical bencode`, String(err));
  }
  if (d['failure reason'] !== undefined) {
    if (!(d['failure reason'] instanceof Uint8Array)) fail('http: failure reason is not a byte string', '');
    return;
  }
  if (meta.route === 'announce') checkAnnounce(d, meta, e, fail);
  else checkScrape(strict, d, meta, fail);
}
