// Generates the HTTP fuzzer's cases. Most are single well-formed HTTP/1.1 requests with fuzzed query
// strings (percent-escapes valid and broken, repeated keys, huge values, binary info_hash, missing and
// extra parameters, num_want extremes, ip parameters), paths, methods and headers: they go over a
// keep-alive connection. The rest are raw cases on a fresh socket: HTTP/1.0, no Host, garbage request
// lines and versions, oversized heads, control bytes, Content-Length bodies on GET, chunked bodies,
// pipelining, split writes, the connection closed mid-request. Each request says what a correct server
// owes it (`expect`), which decides how silence is counted.
import { INFO_HASH_POOL, IPV4_POOL, IPV6_POOL, PEER_ID_POOL, type TokenBook } from './identities.js';
import { mutate } from './mutate.js';
import type { Prng } from './prng.js';
import { percentEncodeAll, percentEncodeMinimal } from './query.js';

export type Route = 'announce' | 'scrape' | 'other';
/**
 * What a correct server owes a request: 'answer'; 'http10' and 'no-host' (answers owed, but a known gap
 * for now); 'malformed' (a 400 would be right, silence is tolerated and counted); 'limit' (over one of
 * uWS's limits: 48 headers, 64 KiB of head, 4 KiB of head when it arrives in several reads; silence is
 * tolerated and counted); 'none' (the client closed before the request was complete).
 */
export type Expect = 'answer' | 'http10' | 'no-host' | 'malformed' | 'limit' | 'none';

export interface HttpRequestMeta {
  method: string;
  /** route, when the method is GET and the path is exactly /announce or /scrape */
  route: Route;
  /** raw query bytes after '?' (null: none) */
  query: Buffer | null;
  expect: Expect;
  /** subkind for the report, e.g. "absolute-form target" */
  what: string;
}

export interface HttpCase {
  lane: 'keepalive' | 'raw';
  tags: string;
  /** the bytes, one entry per write */
  writes: Buffer[];
  /** delay before each write after the first (ms) */
  delaysMs: number[];
  /** the requests the writes contain, in order */
  requests: HttpRequestMeta[];
  /** after the writes: keep the socket open, half-close it (FIN), or destroy it (close mid-request) */
  after: 'open' | 'end' | 'destroy';
  pipelined: boolean;
  /** the keep-alive request asks the server to close after answering */
  connectionClose: boolean;
}

type Param = [key: string, value: Buffer];
type Header = [name: string, value: Buffer];

const L = (s: string): Buffer => Buffer.from(s, 'latin1');

const NUMWANT = ['-1', '0', '1', '5', '50', '199', '200', '201', '2147483647', '2147483648', '4294967296', '9007199254740993',
  '18446744073709551616', '-2147483648', '', 'abc', '1e3', '0x10', ' 5', '+5', '5.5', '-0', '00050', '99999999999999999999999'];
const NUMBERS = ['0', '1', '100', '-1', '', 'x', '1e3', '18446744073709551615', '18446744073709551616', '9223372036854775807',
  '9223372036854775808', '99999999999999999999999', '00', '+1', ' 1', '0x1', '1.0', 'NaN', 'Infinity'];
const PORTS = ['6881', '0', '1', '65535', '65536', '70000', '-1', '', 'http', '6881.5', '06881', '99999999999'];
const EVENTS = ['started', 'completed', 'stopped', 'paused', '', 'STARTED', 'finished', 'empty', 'start', '%00'];
const IP_VALUES = [...IPV4_POOL, ...IPV6_POOL, '[::1]', '1.2.3', '256.1.1.1', '1.2.3.4.5', 'localhost', '::ffff:1.2.3.4', '1.2.3.4:80',
  '::1%lo', 'fe80::1%25eth0', '%31%2e%32%2e%33%2e%34', '0x7f.1', '01.02.03.04', '', ':::', '1::2::3', '2001:db8::g'];
const OTHER_PATHS = ['/', '/announce/', '/Announce', '//announce', '/announce.php', '/scrape/x', '/stats', '/check', '/metrics',
  '/announce%3Fx', '/%2e%2e/announce', '/announce;x', '/announce/../announce', '/ANNOUNCE', '/scrape.php', '/favicon.ico', '/a/b/c'];
/** Methods uWS knows (answered 404 off the GET routes); others it answers by closing the connection. */
const METHODS = ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'];
const UNKNOWN_METHODS = ['PROPFIND', 'FOO', 'M-SEARCH', 'BREW', 'X'];
const XFF_VALUES = ['10.1.2.3', '10.1.2.3, 10.0.0.1', '2001:db8::5', '[2001:db8::5]', 'unknown', '', ' , ,', '999.1.1.1', '1.2.3.4:5678',
  '::ffff:10.0.0.1', 'a'.repeat(300), '%31.2.3.4', '10.1.2.3,', ',10.1.2.3', '10.1.2.3\t', '"10.1.2.3"'];

/**
 * Keep-alive requests stay below uWS's head limits (about 48 headers, 64 KiB): beyond them it goes silent.
 * A head that arrives in several reads is buffered up to 4 KiB only (uWS keeps no more of a partial head): beyond
 * that the connection is closed without an answer.
 */
const SPLIT_HEAD_LIMIT = 4096;
const KEEPALIVE_MAX_HEAD = 16 * 1024;
const KEEPALIVE_MAX_HEADERS = 40;

export class HttpGenerator {
  /** No port or address of the run goes into a request, so a seed gives the same bytes every run. */
  constructor(private readonly rng: Prng, private readonly tokens: TokenBook | null) {}

  next(): HttpCase {
    const rng = this.rng;
    if (rng.chance(0.93)) return this.keepAlive();
    return this.raw();
  }

  // --- queries ---

  /** Binary bytes as a query value, in one of the encodings clients use (raw high bytes included). */
  private encodeBinary(b: Buffer): Buffer {
    const rng = this.rng;
    switch (rng.weighted<string>([[40, 'lower'], [15, 'upper'], [25, 'minimal'], [10, 'raw-high'], [5, 'plus'], [5, 'mixed']])) {
      case 'lower':
        return L(percentEncodeAll(b));
      case 'upper':
        return L(percentEncodeAll(b, true));
      case 'minimal':
        return L(percentEncodeMinimal(b));
      case 'raw-high': {
        const parts: Buffer[] = [];
        for (const byte of b) parts.push(byte >= 0x80 ? Buffer.from([byte]) : L(percentEncodeMinimal(Buffer.from([byte]))));
        return Buffer.concat(parts);
      }
      case 'plus':
        return L(percentEncodeMinimal(b).replace(/%20/g, '+'));
      default: {
        let s = '';
        for (const byte of b) {
          const h = byte.toString(16).padStart(2, '0');
          s += '%' + (rng.chance(0.5) ? h.toUpperCase() : h);
        }
        return L(s);
      }
    }
  }

  private infoHashValue(tags: string[]): [Buffer, Buffer] {
    const rng = this.rng;
    const kind = rng.weighted<string>([[80, 'pool'], [8, 'random'], [3, '19'], [3, '21'], [2, 'empty'], [2, 'hex40'], [2, 'long']]);
    if (kind !== 'pool') tags.push(`ih-${kind}`);
    switch (kind) {
      case 'pool': {
        const ih = rng.pick(INFO_HASH_POOL);
        return [ih, this.encodeBinary(ih)];
      }
      case 'random': {
        const ih = rng.bytes(20);
        return [ih, this.encodeBinary(ih)];
      }
      case '19':
        return [Buffer.alloc(0), this.encodeBinary(rng.bytes(19))];
      case '21':
        return [Buffer.alloc(0), this.encodeBinary(rng.bytes(21))];
      case 'empty':
        return [Buffer.alloc(0), Buffer.alloc(0)];
      case 'hex40':
        return [Buffer.alloc(0), L(rng.pick(INFO_HASH_POOL).toString('hex'))];
      default:
        return [Buffer.alloc(0), this.encodeBinary(rng.bytes(rng.int(22, 400)))];
    }
  }

  private announceQuery(tags: string[], huge: boolean): Buffer {
    const rng = this.rng;
    const [ih, ihValue] = this.infoHashValue(tags);
    const peerId = rng.chance(0.9) ? rng.pick(PEER_ID_POOL) : rng.bytes(rng.pick([20, 20, 19, 21, 0]));
    const params: Param[] = [
      ['info_hash', ihValue],
      ['peer_id', this.encodeBinary(peerId)],
      ['port', L(rng.chance(0.9) ? String(rng.int(1, 65535)) : rng.pick(PORTS))],
      ['uploaded', L(rng.chance(0.9) ? String(rng.below(1e9)) : rng.pick(NUMBERS))],
      ['downloaded', L(rng.chance(0.9) ? String(rng.below(1e9)) : rng.pick(NUMBERS))],
      ['left', L(rng.chance(0.5) ? '0' : rng.chance(0.8) ? String(rng.below(1e9)) : rng.pick(NUMBERS))],
    ];
    if (rng.chance(0.6)) params.push(['event', L(rng.chance(0.8) ? rng.pick(EVENTS.slice(0, 5)) : rng.pick(EVENTS))]);
    if (rng.chance(0.5)) params.push(['compact', L(rng.pick(['1', '1', '0', '', '2', 'true']))]);
    if (rng.chance(0.6)) params.push(['numwant', L(rng.pick(NUMWANT))]);
    if (rng.chance(0.3)) {
      params.push([rng.pick(['ip', 'ip', 'ipv4', 'ipv6']), this.maybeEscaped(L(rng.pick(IP_VALUES)))]);
      tags.push('ip');
    }
    if (rng.chance(0.3)) params.push(['key', L(rng.bytes(4).toString('hex'))]);
    if (rng.chance(0.1)) params.push([rng.pick(['no_peer_id', 'supportcrypto', 'corrupt', 'trackerid', 'requirecrypto']), L(rng.pick(['1', '0', 'x', '']))]);
    if (this.tokens !== null ? rng.chance(0.85) : rng.chance(0.1)) params.push(['jwt', this.jwtValue(ih, tags)]);
    this.mutateParams(params, tags, huge);
    return this.serialize(params, tags);
  }

  private jwtValue(ih: Buffer, tags: string[]): Buffer {
    const rng = this.rng;
    const t = this.tokens;
    if (t === null) return L(rng.pick(['eyJhbGciOiJSUzI1NiJ9.e30.c2ln', '', 'x']));
    const own = t.valid.get(ih.toString('hex'));
    const kind = rng.weighted<string>([[own !== undefined ? 75 : 0, 'own'], [8, 'foreign'], [8, 'invalid'], [3, 'escaped'], [3, 'flipped'], [3, 'empty']]);
    if (kind !== 'own') tags.push(`jwt-${kind}`);
    switch (kind) {
      case 'own':
        return L(own!);
      case 'foreign':
        return L(t.valid.get(rng.pick(INFO_HASH_POOL).toString('hex'))!);
      case 'invalid':
        return L(rng.pick(t.invalid));
      case 'escaped':
        return L(percentEncodeAll(L(own ?? 'x.y.z')));
      case 'flipped': {
        const s = L(own ?? t.valid.values().next().value!);
        const at = rng.below(s.length);
        s[at] = s[at] === 0x41 ? 0x42 : 0x41;
        return s;
      }
      default:
        return Buffer.alloc(0);
    }
  }

  private scrapeQuery(tags: string[], huge: boolean): Buffer {
    const rng = this.rng;
    const n = rng.pick([1, 1, 1, 2, 3, 10, 74, 75, 100, 0, rng.int(0, 120)]);
    tags.push(`n${n}`);
    const params: Param[] = [];
    for (let i = 0; i < n; i++) params.push(['info_hash', this.infoHashValue(tags)[1]]);
    this.mutateParams(params, tags, huge);
    return this.serialize(params, tags);
  }

  private maybeEscaped(v: Buffer): Buffer {
    return this.rng.chance(0.2) ? L(percentEncodeAll(v)) : v;
  }

  /** Parameter-level mutations: drop, repeat, reorder, odd values, broken escapes, extras, huge values. */
  private mutateParams(params: Param[], tags: string[], huge: boolean): void {
    const rng = this.rng;
    if (huge) {
      const at = params.length === 0 ? -1 : rng.below(params.length);
      const value = L('A'.repeat(rng.int(16 * 1024, 80 * 1024)));
      if (at < 0) params.push(['x', value]);
      else params[at] = [params[at]![0], value];
      tags.push('huge-value');
    }
    if (!rng.chance(0.5)) return;
    const n = rng.int(1, 3);
    for (let k = 0; k < n; k++) {
      const kind = rng.pick(['drop', 'repeat', 'repeat-other', 'shuffle', 'odd-value', 'broken-escape', 'extra', 'key-case', 'key-escaped', 'empty-key', 'big-value', 'no-equals']);
      tags.push(kind);
      const at = params.length === 0 ? -1 : rng.below(params.length);
      switch (kind) {
        case 'drop':
          if (at >= 0) params.splice(at, 1);
          break;
        case 'repeat':
          if (at >= 0) params.splice(rng.below(params.length + 1), 0, [params[at]![0], params[at]![1]]);
          break;
        case 'repeat-other':
          if (at >= 0) params.splice(rng.below(params.length + 1), 0, [params[at]![0], L(rng.pick(NUMBERS))]);
          break;
        case 'shuffle':
          for (let i = params.length - 1; i > 0; i--) {
            const j = rng.below(i + 1);
            [params[i], params[j]] = [params[j]!, params[i]!];
          }
          break;
        case 'odd-value':
          if (at >= 0) params[at] = [params[at]![0], L(rng.pick([...NUMBERS, '%00', '%', '%%', '=', '&', '\u00ff']))];
          break;
        case 'broken-escape':
          if (at >= 0) {
            const v = params[at]![1];
            const cut = rng.below(v.length + 1);
            params[at] = [params[at]![0], Buffer.concat([v.subarray(0, cut), L(rng.pick(['%', '%z', '%4', '%g0', '%%', '%4g', '%-1'])), v.subarray(cut)])];
          }
          break;
        case 'extra':
          params.splice(rng.below(params.length + 1), 0, [rng.pick(['x', 'foo', 'info_hashx', 'peer', 'a'.repeat(100), '%41']), L(rng.bytes(rng.int(0, 16)).toString('hex'))]);
          break;
        case 'key-case':
          if (at >= 0) params[at] = [params[at]![0].toUpperCase(), params[at]![1]];
          break;
        case 'key-escaped':
          if (at >= 0) params[at] = [percentEncodeAll(L(params[at]![0])), params[at]![1]];
          break;
        case 'empty-key':
          params.splice(rng.below(params.length + 1), 0, ['', L(rng.pick(['', 'x', '1']))]);
          break;
        case 'big-value':
          if (at >= 0) params[at] = [params[at]![0], L('9'.repeat(rng.int(100, 4000)))];
          break;
        default: // no-equals
          if (at >= 0) params[at] = [`${params[at]![0]}`, Buffer.alloc(0)];
      }
    }
  }

  private serialize(params: Param[], tags: string[]): Buffer {
    const rng = this.rng;
    const sepKind = rng.weighted<string>([[85, '&'], [5, ';'], [4, 'mixed'], [3, '&&'], [3, 'edges']]);
    if (sepKind !== '&') tags.push(`sep${sepKind}`);
    const parts: Buffer[] = [];
    params.forEach(([k, v], i) => {
      if (i > 0) parts.push(L(sepKind === ';' ? ';' : sepKind === 'mixed' ? rng.pick(['&', ';']) : sepKind === '&&' ? '&&' : '&'));
      parts.push(escapeControls(L(k)));
      if (!(v.length === 0 && rng.chance(0.1))) parts.push(L('='), escapeControls(v));
    });
    if (sepKind === 'edges') {
      parts.unshift(L('&'));
      parts.push(L('&'));
    }
    return Buffer.concat(parts);
  }

  // --- requests ---

  private target(tags: string[], huge = false): { path: string; query: Buffer | null; route: Route } {
    const rng = this.rng;
    const kind = rng.weighted<string>([[60, 'announce'], [25, 'scrape'], [15, 'other']]);
    if (kind === 'announce') return { path: '/announce', query: this.announceQuery(tags, huge), route: 'announce' };
    if (kind === 'scrape') return { path: '/scrape', query: this.scrapeQuery(tags, huge), route: 'scrape' };
    const path = rng.chance(0.9) ? rng.pick(OTHER_PATHS) : `/${'a/'.repeat(rng.int(1, 300))}`;
    tags.push(`path ${path.length > 20 ? path.slice(0, 20) + '...' : path}`);
    return { path, query: rng.chance(0.5) ? this.announceQuery(tags, huge) : null, route: 'other' };
  }

  private headers(tags: string[], withHost: boolean, big: boolean): Header[] {
    const rng = this.rng;
    const h: Header[] = [];
    if (withHost) h.push(['Host', L(rng.pick(['127.0.0.1:6881', 'tracker.example:6881', 'a', '', 'x'.repeat(200)]))]);
    if (rng.chance(0.5)) h.push(['User-Agent', L(rng.pick(['qBittorrent/4.2.5', 'libtorrent/1.2', 'Transmission/3.00', 'quay/3', '']))]);
    if (rng.chance(0.3)) h.push(['Accept-Encoding', L('gzip')]);
    if (rng.chance(0.2)) h.push(['Connection', L('keep-alive')]);
    if (rng.chance(0.25)) {
      tags.push('xff');
      h.push([rng.pick(['X-Forwarded-For', 'x-forwarded-for', 'X-Real-IP']), L(rng.pick(XFF_VALUES))]);
    }
    if (rng.chance(0.1)) {
      const n = rng.int(1, 25);
      for (let i = 0; i < n; i++) h.push([`X-Fuzz-${i}`, L(rng.bytes(rng.int(0, 20)).toString('base64'))]);
      tags.push(`+${n}headers`);
    }
    if (big || rng.chance(0.05)) {
      h.push([rng.pick(['Cookie', 'X-Big', 'User-Agent']), L('b'.repeat(big ? rng.int(70 * 1024, 200 * 1024) : rng.int(1000, 8000)))]);
      tags.push(big ? 'huge-header' : 'big-header');
    }
    return h;
  }

  private keepAlive(): HttpCase {
    const rng = this.rng;
    const tags: string[] = ['ka'];
    const t = this.target(tags);
    let method = 'GET';
    if (rng.chance(0.04)) {
      method = rng.pick(METHODS);
      tags.push(method);
    }
    let query = t.query;
    if (query !== null && rng.chance(0.1)) { // byte-level mutation of the query, control bytes escaped
      const m = mutate(rng, query, query.length + 64, 3);
      query = escapeControls(m.bytes);
      tags.push(...m.names.map((n) => `q-${n}`));
    }
    const headers = this.headers(tags, true, false);
    const connectionClose = rng.chance(0.03);
    if (connectionClose) headers.push(['Connection', L('close')]);
    let body: Buffer | undefined;
    if (method !== 'GET' && rng.chance(0.5)) {
      body = rng.bytes(rng.int(0, 100));
      headers.push(['Content-Length', L(String(body.length))]);
    }
    const target = query === null ? L(t.path) : Buffer.concat([L(`${t.path}?`), query]);
    const bytes = requestBytes(method, target, 'HTTP/1.1', headers, '\r\n', body);
    const meta: HttpRequestMeta = { method, route: method === 'GET' ? t.route : 'other', query, expect: 'answer', what: 'keep-alive request' };
    if (bytes.length > KEEPALIVE_MAX_HEAD || headers.length > KEEPALIVE_MAX_HEADERS) {
      meta.expect = 'limit';
      meta.what = 'head over 16 KiB or 40 headers';
      return this.single('raw', tags, bytes, meta);
    }
    return { ...this.single('keepalive', tags, bytes, meta), connectionClose };
  }

  private single(lane: 'keepalive' | 'raw', tags: string[], bytes: Buffer, meta: HttpRequestMeta, after: HttpCase['after'] = 'open'): HttpCase {
    return { lane, tags: tags.join(','), writes: [bytes], delaysMs: [], requests: [meta], after, pipelined: false, connectionClose: false };
  }

  /** A well-formed GET to /announce or /scrape, for the framing cases. */
  private wellFormed(tags: string[]): { bytes: Buffer; meta: HttpRequestMeta } {
    const t = this.target(tags);
    const target = t.query === null ? L(t.path) : Buffer.concat([L(`${t.path}?`), t.query]);
    const headers = this.headers([], true, false).filter(([n]) => !n.startsWith('X-Fuzz') && n !== 'Cookie' && n !== 'X-Big');
    return {
      bytes: requestBytes('GET', target, 'HTTP/1.1', headers),
      meta: { method: 'GET', route: t.route, query: t.query, expect: 'answer', what: '' },
    };
  }

  private raw(): HttpCase {
    const rng = this.rng;
    const kind = rng.weighted<string>([
      [8, 'http10'], [5, 'no-host'], [6, 'bad-version'], [10, 'bad-request-line'], [4, 'huge'], [4, 'control-bytes'],
      [8, 'cl-body'], [4, 'cl-odd'], [6, 'chunked'], [10, 'pipelined'], [10, 'split'], [3, 'split-bytes'], [8, 'close-mid'],
      [4, 'half-close'], [3, 'head'], [4, 'garbage-after'], [3, 'random-bytes'], [3, 'unknown-method'],
    ]);
    const tags: string[] = ['raw', kind];
    switch (kind) {
      case 'http10': {
        const t = this.target(tags);
        const target = t.query === null ? L(t.path) : Buffer.concat([L(`${t.path}?`), t.query]);
        const withHost = rng.chance(0.6);
        const headers = this.headers(tags, withHost, false).filter(([n]) => n !== 'Connection');
        if (rng.chance(0.4)) headers.push(['Connection', L('keep-alive')]);
        return this.single('raw', tags, requestBytes('GET', target, 'HTTP/1.0', headers),
          { method: 'GET', route: t.route, query: t.query, expect: 'http10', what: `HTTP/1.0${withHost ? '' : ' without Host'}` });
      }
      case 'no-host': {
        const t = this.target(tags);
        const target = t.query === null ? L(t.path) : Buffer.concat([L(`${t.path}?`), t.query]);
        return this.single('raw', tags, requestBytes('GET', target, 'HTTP/1.1', this.headers(tags, false, false)),
          { method: 'GET', route: t.route, query: t.query, expect: 'no-host', what: 'HTTP/1.1 without Host' });
      }
      case 'bad-version': {
        const w = this.wellFormed(tags);
        const version = rng.pick(['HTTP/1.2', 'HTTP/2.0', 'HTTP/9.9', 'http/1.1', 'HTTP/1.1 ', 'HTTP/1.1x', 'FOO/1.1', 'HTTP/', 'HTTP/01.1', 'HTTP/1']);
        const bytes = L(w.bytes.toString('latin1').replace(' HTTP/1.1\r\n', ` ${version}\r\n`));
        return this.single('raw', tags, bytes, { ...w.meta, expect: 'malformed', what: `version ${JSON.stringify(version)}` });
      }
      case 'bad-request-line': {
        const w = this.wellFormed(tags);
        const s = w.bytes.toString('latin1');
        const sub = rng.pick(['lowercase method', 'no version (HTTP/0.9)', 'double space', 'tab separators', 'LF line endings', 'absolute-form target',
          'leading empty line', 'long method', 'target without slash', 'asterisk target', 'trailing space in target']);
        let line: string;
        switch (sub) {
          case 'lowercase method': line = s.replace(/^GET/, 'get'); break;
          case 'no version (HTTP/0.9)': line = s.replace(/ HTTP\/1\.1\r\n.*$/s, '\r\n\r\n'); break;
          case 'double space': line = s.replace(/^GET /, 'GET  '); break;
          case 'tab separators': line = s.replace(/^GET /, 'GET\t'); break;
          case 'LF line endings': line = s.replace(/\r\n/g, '\n'); break;
          case 'absolute-form target': line = s.replace(/^GET \//, 'GET http://127.0.0.1:6881/'); break;
          case 'leading empty line': line = `\r\n${s}`; break;
          case 'long method': line = s.replace(/^GET/, 'G'.repeat(rng.int(100, 3000))); break;
          case 'target without slash': line = s.replace(/^GET \//, 'GET '); break;
          case 'asterisk target': line = s.replace(/^GET [^ ]*/, 'OPTIONS *'); break;
          default: line = s.replace(/ HTTP\/1\.1\r\n/, '  HTTP/1.1\r\n');
        }
        tags.push(sub);
        return this.single('raw', tags, L(line), { ...w.meta, route: sub === 'leading empty line' ? w.meta.route : 'other', expect: 'malformed', what: sub });
      }
      case 'huge': {
        const sub = rng.pick(['huge header', 'many headers', 'huge query']);
        tags.push(sub);
        if (sub === 'huge query') {
          const t = this.target(tags, true);
          const target = Buffer.concat([L(`${t.path}?`), t.query ?? L('x=' + 'y'.repeat(70_000))]);
          return this.single('raw', tags, requestBytes('GET', target, 'HTTP/1.1', this.headers([], true, false)),
            { method: 'GET', route: t.route, query: t.query, expect: 'limit', what: 'request head over 64 KiB' });
        }
        const w = this.wellFormed(tags);
        const extra: Header[] = sub === 'huge header'
          ? [['X-Big', L('b'.repeat(rng.int(70 * 1024, 300 * 1024)))]]
          : Array.from({ length: rng.int(49, 300) }, (_, i): Header => [`X-H${i}`, L('v')]);
        const bytes = insertHeaders(w.bytes, extra);
        return this.single('raw', tags, bytes, { ...w.meta, expect: 'limit', what: sub === 'huge header' ? 'request head over 64 KiB' : 'more than 48 headers' });
      }
      case 'control-bytes': {
        const w = this.wellFormed(tags);
        const sub = rng.pick(['in target', 'in X-Forwarded-For', 'in header name', 'NUL in target', 'space in query']);
        tags.push(sub);
        const s = w.bytes.toString('latin1');
        const ctl = String.fromCharCode(rng.pick([0x00, 0x01, 0x07, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f]));
        let line: string;
        switch (sub) {
          case 'in target': line = s.replace(/^GET \/(\w+)/, `GET /$1${ctl}`); break;
          case 'in X-Forwarded-For': line = s.replace(/\r\n\r\n$/, `\r\nX-Forwarded-For: 10.0.0.1${ctl}, ${ctl}\r\n\r\n`); break;
          case 'in header name': line = s.replace(/\r\n\r\n$/, `\r\nX-B${ctl}d: 1\r\n\r\n`); break;
          case 'NUL in target': line = s.replace(/^GET \/(\w+)/, 'GET /$1\x00'); break;
          default: line = s.replace(/^GET \/(\w+)\?/, 'GET /$1?a b&');
        }
        const inPath = sub === 'in target' || sub === 'NUL in target'; // /announce<ctl> is another path
        return this.single('raw', tags, L(line), { ...w.meta, route: inPath ? 'other' : w.meta.route, expect: 'malformed', what: `control byte ${sub}` });
      }
      case 'cl-body': {
        const w = this.wellFormed(tags);
        const body = rng.bytes(rng.skewed(20_000));
        return this.single('raw', tags, Buffer.concat([insertHeaders(w.bytes, [['Content-Length', L(String(body.length))]]), body]),
          { ...w.meta, what: 'GET with a Content-Length body' });
      }
      case 'cl-odd': {
        const w = this.wellFormed(tags);
        const sub = rng.pick(['-1', 'abc', '1, 2', '99999999999999999999', ' 5', 'two different']);
        tags.push(`cl ${sub}`);
        const headers: Header[] = sub === 'two different' ? [['Content-Length', L('3')], ['Content-Length', L('5')]] : [['Content-Length', L(sub)]];
        return this.single('raw', tags, Buffer.concat([insertHeaders(w.bytes, headers), L('hello')]),
          { ...w.meta, expect: 'malformed', what: `Content-Length ${sub}` });
      }
      case 'chunked': {
        const w = this.wellFormed(tags);
        const sub = rng.pick(['valid', 'valid', 'bad size', 'no last chunk', 'with Content-Length', 'huge size']);
        tags.push(`chunked ${sub}`);
        const chunk = rng.bytes(rng.int(1, 500));
        const bodies: Record<string, string> = {
          'valid': `${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n0\r\n\r\n`,
          'bad size': `zz\r\n${chunk.toString('latin1')}\r\n0\r\n\r\n`,
          'no last chunk': `${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`,
          'with Content-Length': `${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n0\r\n\r\n`,
          'huge size': `ffffffffffffffff\r\n${chunk.toString('latin1')}`,
        };
        const headers: Header[] = [['Transfer-Encoding', L('chunked')]];
        if (sub === 'with Content-Length') headers.push(['Content-Length', L('4')]);
        return this.single('raw', tags, Buffer.concat([insertHeaders(w.bytes, headers), L(bodies[sub]!)]),
          { ...w.meta, expect: sub === 'valid' ? 'answer' : 'malformed', what: `chunked body: ${sub}` });
      }
      case 'pipelined': {
        const n = rng.int(2, 16);
        const reqs = Array.from({ length: n }, () => this.wellFormed(tags.length > 12 ? [] : tags));
        const all = Buffer.concat(reqs.map((r) => r.bytes));
        const writes = rng.chance(0.5) ? [all] : splitAt(rng, all, rng.int(2, 6));
        tags.push(`${n} requests in ${writes.length} writes`);
        const large = reqs.some((r) => r.bytes.length > SPLIT_HEAD_LIMIT);
        return {
          lane: 'raw', tags: tags.join(','), writes, delaysMs: writes.slice(1).map(() => rng.int(0, 5)),
          requests: reqs.map((r) => ({ ...r.meta, what: `${writes.length === 1 ? 'one write' : 'several writes'}${large ? ', a request over 4 KiB' : ''}` })),
          after: 'open', pipelined: true, connectionClose: false,
        };
      }
      case 'split':
      case 'split-bytes': {
        const w = this.wellFormed(tags);
        const writes = kind === 'split' ? splitAt(rng, w.bytes, rng.int(2, 8)) : splitAt(rng, w.bytes.subarray(0, Math.min(w.bytes.length, 200)), 0)
          .concat(w.bytes.length > 200 ? [w.bytes.subarray(200)] : []);
        return {
          lane: 'raw', tags: tags.join(','), writes, delaysMs: writes.slice(1).map(() => (kind === 'split' ? rng.int(0, 30) : 0)),
          requests: [w.bytes.length > SPLIT_HEAD_LIMIT
            ? { ...w.meta, expect: 'limit', what: 'request head over 4 KiB in several writes' }
            : { ...w.meta, what: kind === 'split' ? 'request in several writes' : 'request written byte by byte' }],
          after: 'open', pipelined: false, connectionClose: false,
        };
      }
      case 'close-mid': {
        const w = this.wellFormed(tags);
        const cut = rng.below(w.bytes.length);
        return this.single('raw', tags, w.bytes.subarray(0, cut), { ...w.meta, expect: 'none', what: 'closed mid-request' }, rng.chance(0.5) ? 'destroy' : 'end');
      }
      case 'half-close': {
        const w = this.wellFormed(tags);
        return this.single('raw', tags, w.bytes, { ...w.meta, expect: 'malformed', what: 'request then FIN (half-close)' }, 'end');
      }
      case 'head': {
        const w = this.wellFormed(tags);
        return this.single('raw', tags, L(w.bytes.toString('latin1').replace(/^GET/, 'HEAD')), { ...w.meta, method: 'HEAD', route: 'other', what: 'HEAD' });
      }
      case 'unknown-method': {
        const w = this.wellFormed(tags);
        const method = rng.pick(UNKNOWN_METHODS);
        return this.single('raw', tags, L(w.bytes.toString('latin1').replace(/^GET/, method)), { ...w.meta, method, route: 'other', expect: 'malformed', what: `method ${method}` });
      }
      case 'garbage-after': {
        const w = this.wellFormed(tags);
        return this.single('raw', tags, Buffer.concat([w.bytes, rng.bytes(rng.int(1, 2000))]), { ...w.meta, what: 'request followed by garbage' });
      }
      default: {
        const bytes = rng.bytes(rng.skewed(4000));
        return this.single('raw', tags, bytes, { method: '', route: 'other', query: null, expect: 'malformed', what: 'random bytes' });
      }
    }
  }
}

/** `METHOD target VERSION` + headers + empty line (+ body). */
export function requestBytes(method: string, target: Buffer, version: string | null, headers: Header[], eol = '\r\n', body?: Buffer): Buffer {
  const parts: Buffer[] = [L(`${method} `), target];
  if (version !== null) parts.push(L(` ${version}`));
  parts.push(L(eol));
  for (const [name, value] of headers) parts.push(L(`${name}: `), value, L(eol));
  parts.push(L(eol));
  if (body !== undefined) parts.push(body);
  return Buffer.concat(parts);
}

/** Adds headers just before the empty line of a request head. */
function insertHeaders(req: Buffer, headers: Header[]): Buffer {
  const end = req.indexOf('\r\n\r\n');
  const parts: Buffer[] = [req.subarray(0, end + 2)];
  for (const [name, value] of headers) parts.push(L(`${name}: `), value, L('\r\n'));
  parts.push(req.subarray(end + 2));
  return Buffer.concat(parts);
}

/** Cuts `b` into `n` pieces at random offsets (n = 0: one byte per piece). */
function splitAt(rng: Prng, b: Buffer, n: number): Buffer[] {
  if (n === 0) return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
  const cuts = new Set<number>();
  while (cuts.size < Math.min(n - 1, b.length - 1)) cuts.add(rng.int(1, b.length - 1));
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  out.push(b.subarray(prev));
  return out;
}

/** Bytes a request target cannot carry raw (controls, space) as %XX. */
function escapeControls(b: Buffer): Buffer {
  const parts: number[] = [];
  for (const c of b) {
    if (c <= 0x20) for (const x of L('%' + c.toString(16).padStart(2, '0'))) parts.push(x);
    else parts.push(c);
  }
  return Buffer.from(parts);
}
