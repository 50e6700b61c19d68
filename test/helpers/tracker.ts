// End-to-end test helpers: an in-process tracker on free 127.0.0.1 ports, announce/scrape URL builders
// that percent-encode binary values byte by byte, a node:http GET (so tests control headers such as
// X-Forwarded-For), bencode decoding (the `bencode` package, and an order-preserving decoder for
// byte-exact key checks), and compact peer splitting.
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { defaultConfig, type Config } from '../../src/config/config.js';
import { parseListenAddr, type ListenAddr } from '../../src/config/listen-addr.js';
import { Log } from '../../src/util/log.js';
import { Tracker } from '../../src/tracker.js';
import { redisMissing, startRedis, type TestRedis } from './redis.js';

/**
 * Every e2e suite runs once per thread layout: one or two I/O threads, with the shards owned by the I/O
 * threads themselves (workers 0) or by two swarm workers.
 */
export interface ThreadLayout { ioThreads: number; workers: number; cluster: boolean; label: string }
export const THREAD_LAYOUTS: readonly ThreadLayout[] = [
  { ioThreads: 1, workers: 0, cluster: false, label: 'ioThreads=1 workers=0' },
  { ioThreads: 2, workers: 0, cluster: false, label: 'ioThreads=2 workers=0' },
  { ioThreads: 1, workers: 2, cluster: false, label: 'ioThreads=1 workers=2' },
  { ioThreads: 2, workers: 2, cluster: false, label: 'ioThreads=2 workers=2' },
  // Cluster mode: the suite talks to one instance; a second one shares its swarms through a real Redis,
  // and when the suite stops the tracker, the second must hold every peer the first holds.
  ...(redisMissing === '' ? [{ ioThreads: 2, workers: 0, cluster: true, label: 'cluster of two on redis, ioThreads=2 workers=0' }] : []),
];

/** Bound on any single network wait in the e2e suites. */
export const WAIT_MS = 5_000;

// --- bencode (the package has no type declarations; a computed specifier keeps tsc out of it) ---

interface BencodeModule {
  decode(data: Uint8Array, encoding?: string): unknown;
  encode(value: unknown): Uint8Array;
}
const bencodeSpecifier: string = 'bencode';
const bencode = ((await import(bencodeSpecifier)) as { default: BencodeModule }).default;

/** Decodes a bencoded body with the `bencode` package (v4: byte strings come back as Uint8Array). */
export function decode(body: Uint8Array): Record<string, unknown> {
  return bencode.decode(body) as Record<string, unknown>;
}

/** Byte strings of a decoded dict as text (latin1, so binary survives). */
export function text(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error(`expected a byte string, got ${String(value)}`);
  return Buffer.from(value).toString('latin1');
}

export function bytes(value: unknown): Buffer {
  if (!(value instanceof Uint8Array)) throw new Error(`expected a byte string, got ${String(value)}`);
  return Buffer.from(value);
}

/** A strictly parsed bencode value: ints as numbers, strings as Buffers, dicts as ordered Maps (latin1 keys). */
export type BValue = number | Buffer | BValue[] | BDict;
export type BDict = Map<string, BValue>;

/**
 * Order-preserving, strict bencode decoder: throws on trailing bytes, leading zeros, unsorted or
 * duplicate dict keys (BEP 3 requires keys sorted as raw byte strings). Dict keys are latin1 strings.
 */
export function bdecodeStrict(buf: Uint8Array): BValue {
  const b = Buffer.from(buf);
  let i = 0;
  const fail = (why: string): never => { throw new Error(`bencode: ${why} at byte ${i}`); };
  const readInt = (end: number): number => {
    const s = b.toString('latin1', i, end);
    if (!/^(0|-?[1-9][0-9]*)$/.test(s)) fail(`bad integer ${JSON.stringify(s)}`);
    i = end + 1;
    return Number(s);
  };
  const value = (): BValue => {
    if (i >= b.length) fail('unexpected end');
    const c = b[i]!;
    if (c === 0x69) { // i
      i++;
      const end = b.indexOf(0x65, i);
      if (end < 0) fail('unterminated integer');
      return readInt(end);
    }
    if (c === 0x6c) { // l
      i++;
      const list: BValue[] = [];
      while (b[i] !== 0x65) list.push(value());
      i++;
      return list;
    }
    if (c === 0x64) { // d
      i++;
      const dict: BDict = new Map();
      let prev: Buffer | null = null;
      while (b[i] !== 0x65) {
        const key = value();
        if (!Buffer.isBuffer(key)) fail('dict key is not a byte string');
        const k = key as Buffer;
        if (prev !== null && Buffer.compare(prev, k) >= 0) fail(`dict keys not sorted: ${prev.toString('latin1')} before ${k.toString('latin1')}`);
        prev = k;
        dict.set(k.toString('latin1'), value());
      }
      i++;
      return dict;
    }
    if (c >= 0x30 && c <= 0x39) {
      const colon = b.indexOf(0x3a, i);
      if (colon < 0) fail('string without colon');
      const lenText = b.toString('latin1', i, colon);
      if (!/^(0|[1-9][0-9]*)$/.test(lenText)) fail(`bad string length ${JSON.stringify(lenText)}`);
      const start = colon + 1;
      const end = start + Number(lenText);
      if (end > b.length) fail('string past the end');
      i = end;
      return Buffer.from(b.subarray(start, end));
    }
    return fail(`unexpected byte 0x${c.toString(16)}`);
  };
  const v = value();
  if (i !== b.length) fail('trailing bytes');
  return v;
}

export function asDict(v: BValue | undefined): BDict {
  if (!(v instanceof Map)) throw new Error('expected a dict');
  return v;
}

// --- identities ---

/** A deterministic 20-byte info_hash: sha1 of `tag`. */
export function infoHash(tag: string): Buffer {
  return createHash('sha1').update(tag).digest();
}

/** A 20-byte Azureus-style peer_id `-HY0001-` + tag (padded with '-'). */
export function peerId(tag: string, prefix = '-HY0001-'): Buffer {
  const id = (prefix + tag).padEnd(20, '-');
  if (id.length !== 20) throw new Error(`peer id ${id} is not 20 characters`);
  return Buffer.from(id, 'latin1');
}

// --- URLs ---

export type ParamValue = string | number | Buffer | undefined;

/** Percent-encodes every byte of a Buffer ("%xx"), and strings with encodeURIComponent. */
export function encodeParam(value: string | number | Buffer): string {
  if (Buffer.isBuffer(value)) {
    let out = '';
    for (const byte of value) out += '%' + byte.toString(16).padStart(2, '0');
    return out;
  }
  return encodeURIComponent(String(value));
}

/** `k=v&...` in insertion order; `undefined` values are left out. Array values repeat the key. */
export function queryString(params: Record<string, ParamValue | ParamValue[]>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    for (const item of Array.isArray(v) ? v : [v]) if (item !== undefined) parts.push(`${k}=${encodeParam(item)}`);
  }
  return parts.join('&');
}

function trackerPath(base: string, path: string): string {
  return base.endsWith(path) ? base : base.replace(/\/$/, '') + path;
}

/** `base` is the tracker's http URL (with or without `/announce`). */
export function announceUrl(base: string, params: Record<string, ParamValue | ParamValue[]>): string {
  return `${trackerPath(base, '/announce')}?${queryString(params)}`;
}

export function scrapeUrl(base: string, hashes: Buffer[]): string {
  return `${trackerPath(base, '/scrape')}?${queryString({ info_hash: hashes })}`;
}

/** The required announce parameters with neutral defaults (a leecher with 100 bytes left). */
export function announceParams(ih: Buffer, id: Buffer, extra: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  return { info_hash: ih, peer_id: id, port: 6881, uploaded: 0, downloaded: 0, left: 100, ...extra };
}

// --- HTTP ---

export interface HttpAnswer {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

/** One request on a fresh connection (no keep-alive), bounded by `timeoutMs`. */
export function request(method: string, url: string, headers: Record<string, string> = {}, timeoutMs = WAIT_MS): Promise<HttpAnswer> {
  return answerOf(http.request(url, { method, headers, agent: false }), method, url, timeoutMs);
}

/** Sends `req` (node:http or node:https) and collects its whole answer, bounded by `timeoutMs`. */
export function answerOf(req: http.ClientRequest, method: string, url: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return request('GET', url, headers);
}

/**
 * Sends `raw` bytes as they are over a fresh TCP connection and collects everything until the server
 * closes (or `timeoutMs`, then resolves with what came, `timedOut: true`).
 */
export function rawExchange(host: string, port: number, raw: Buffer, timeoutMs = WAIT_MS): Promise<{ data: Buffer; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host, port }, () => sock.write(raw));
    const timer = setTimeout(() => { sock.destroy(); resolve({ data: Buffer.concat(chunks), timedOut: true }); }, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), timedOut: false }); });
    sock.on('error', (err) => { clearTimeout(timer); if (chunks.length > 0) resolve({ data: Buffer.concat(chunks), timedOut: false }); else reject(err); });
  });
}

/** Splits a raw HTTP/1.1 response (Content-Length or close-delimited) into status and body. */
export function parseRawResponse(data: Buffer): { status: number; body: Buffer } {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no HTTP response head in ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const head = data.toString('latin1', 0, end);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const body = data.subarray(end + 4, len ? end + 4 + Number(len[1]) : data.length);
  return { status, body };
}

/** GET + bencode decode; throws when the status is not 200. */
export async function announce(url: string, headers: Record<string, string> = {}): Promise<{ body: Buffer; d: Record<string, unknown> }> {
  const res = await get(url, headers);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${res.body.toString('latin1')}`);
  return { body: res.body, d: decode(res.body) };
}

/** The `failure reason` text of a body, or null when it is not a failure. */
export function failureOf(body: Buffer): string | null {
  const d = decode(body);
  const f = d['failure reason'];
  return f === undefined ? null : text(f);
}

export async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await get(url);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${res.body.toString()}`);
  return JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
}

/** Reads a dotted path (`peersIPv4.Peers.Current`) from a nested /stats object. */
export function pick(obj: Record<string, unknown>, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

// --- compact peers ---

/** "a.b.c.d:port" of each 6-byte entry. */
export function compactPeers4(buf: Uint8Array): string[] {
  if (buf.length % 6 !== 0) throw new Error(`compact IPv4 peers: ${buf.length} bytes is not a multiple of 6`);
  const b = Buffer.from(buf);
  const out: string[] = [];
  for (let o = 0; o < b.length; o += 6) out.push(`${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}:${b.readUInt16BE(o + 4)}`);
  return out;
}

/** "[v6]:port" (canonical text) of each 18-byte entry. */
export function compactPeers6(buf: Uint8Array): string[] {
  if (buf.length % 18 !== 0) throw new Error(`compact IPv6 peers: ${buf.length} bytes is not a multiple of 18`);
  const b = Buffer.from(buf);
  const out: string[] = [];
  for (let o = 0; o < b.length; o += 18) {
    const groups: string[] = [];
    for (let g = 0; g < 8; g++) groups.push(b.readUInt16BE(o + 2 * g).toString(16));
    out.push(`${canonicalIPv6(groups.join(':'))}:${b.readUInt16BE(o + 16)}`);
  }
  return out;
}

/** "[canonical]" text of an IPv6 address (WHATWG URL serialisation, RFC 5952 style). */
export function canonicalIPv6(addr: string): string {
  return new URL(`http://[${addr}]/`).hostname;
}

/** Both compact lists of a decoded announce reply as "ip:port" strings (peers6 absent → []). */
export function peersOf(d: Record<string, unknown>): { v4: string[]; v6: string[] } {
  const p4 = d.peers;
  const p6 = d.peers6;
  return {
    v4: p4 === undefined ? [] : compactPeers4(bytes(p4)),
    v6: p6 === undefined ? [] : compactPeers6(bytes(p6)),
  };
}

// --- the tracker under test ---

export interface TestTracker {
  tracker: Tracker;
  /** e.g. http://127.0.0.1:34567 (no path) */
  httpUrl: string;
  /** e.g. http://127.0.0.1:34568 (no path) */
  apiUrl: string;
  httpHost: string;
  httpPort: number;
  stop: () => Promise<void>;
}

function urlHost(addr: ListenAddr): string {
  if (addr.host.includes(':')) return `[${addr.host}]`;
  return addr.host === '' || addr.host === 'localhost' ? '127.0.0.1' : addr.host;
}

type ListenKey = 'httpListenAddr' | 'udpListenAddr' | 'apiListenAddr';
/**
 * Config overrides; listen addresses as config.json writes them ("127.0.0.1:0", "[::1]:0", ""). `cluster`:
 * also start a second instance sharing the swarms through this process's test Redis (see THREAD_LAYOUTS).
 */
export type TestOverrides = Omit<Partial<Config>, ListenKey> & Partial<Record<ListenKey, string>> & { cluster?: boolean };

/** A Config from the defaults and `overrides`, listen addresses parsed as config.json's are. */
export function testConfig(overrides: TestOverrides = {}): Config {
  const { httpListenAddr = '127.0.0.1:0', apiListenAddr = '127.0.0.1:0', udpListenAddr = '', cluster: _cluster, ...rest } = overrides;
  return {
    ...defaultConfig,
    clientWhitelist: [...defaultConfig.clientWhitelist],
    ...rest,
    httpListenAddr: parseListenAddr('httpListenAddr', httpListenAddr),
    apiListenAddr: parseListenAddr('apiListenAddr', apiListenAddr),
    udpListenAddr: parseListenAddr('udpListenAddr', udpListenAddr),
  };
}

/** Starts a tracker on free loopback ports (UDP off unless overridden), logging nothing. */
export async function startTestTracker(overrides: TestOverrides = {}): Promise<TestTracker> {
  if (overrides.cluster === true) return startClusterPair(overrides);
  const config = testConfig(overrides);
  const tracker = await Tracker.start(config, new Log(0, () => {}), { faultInjection: true });
  const httpHost = config.httpListenAddr === null ? '' : urlHost(config.httpListenAddr);
  const httpPort = tracker.ports.http ?? 0;
  const httpUrl = config.httpListenAddr === null ? '' : `http://${httpHost}:${httpPort}`;
  const apiUrl = config.apiListenAddr === null ? '' : `http://${urlHost(config.apiListenAddr)}:${tracker.ports.api}`;
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopped ??= tracker.stop());
  return { tracker, httpUrl, apiUrl, httpHost: httpHost.replace(/^\[|\]$/g, ''), httpPort, stop };
}

// --- cluster mode ---

let sharedRedis: Promise<TestRedis> | null = null;
let clusterPrefixes = 0;

/**
 * Two instances sharing their swarms through this process's test Redis (started once, on first use):
 * the returned tracker is the first; stopping it first waits until the second holds the same peers
 * (every peer the suite announced reached it), then stops both.
 */
async function startClusterPair(overrides: TestOverrides): Promise<TestTracker> {
  sharedRedis ??= startRedis();
  const redis = await sharedRedis;
  const keys = { redisURL: redis.url, redisKeyPrefix: `e2e${process.pid}n${++clusterPrefixes}` };
  const first = await startTestTracker({ ...overrides, ...keys, cluster: false });
  const second = await startTestTracker({ ...overrides, ...keys, cluster: false, udpListenAddr: '' });
  for (const t of [first, second]) {
    await waitFor('cluster mode instance to be ready', async () => (await get(`${t.apiUrl}/check`)).status === 200, 15_000, 50);
  }
  const peers = async (t: TestTracker): Promise<number[]> => {
    const s = await getJson(`${t.apiUrl}/stats`);
    return ['peersIPv4', 'peersIPv6'].flatMap((f) => [pick(s, `${f}.Peers.Current`) as number, pick(s, `${f}.Seeds.Current`) as number]);
  };
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopped ??= (async () => {
    try {
      let last: [number[], number[]] = [[], []];
      await waitFor('the second instance to hold every peer the first holds', async () => {
        last = [await peers(first), await peers(second)];
        return last[0].join() === last[1].join();
      }, 10_000, 50).catch((err: Error) => { throw new Error(`${err.message}: first ${last[0].join()}, second ${last[1].join()}`); });
    } finally {
      await second.stop();
      await first.stop();
    }
  })());
  return { ...first, stop };
}

// --- waiting ---

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value other than undefined/false, at most `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = WAIT_MS, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(stepMs);
  }
}

/** Rejects when `p` does not settle within `ms`. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// --- ports for child processes ---

/** A TCP port that was free a moment ago (bound to port 0 on 127.0.0.1, then released). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.on('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const port = sock.address().port;
      sock.close(() => resolve(port));
    });
  });
}
