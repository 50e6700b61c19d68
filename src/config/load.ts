// Reads a chihaya v1 config.json into a typed, validated Config. A bad value stops the process with one
// line naming the key and the value (an operator fixes it in one edit); an unknown key only warns, with
// the nearest known key, because v1 ignored unknown keys and old files may carry leftovers.

import { readFileSync } from 'node:fs';
import { defaultConfig, type Config } from './config.js';
import { formatDuration } from '../util/duration-format.js';
import { parseGoDuration } from './duration.js';
import { ConfigError } from './config-error.js';
import { ADDR_HINT, parseListenAddr } from './listen-addr.js';
import { READ_ERRORS } from './read-errors.js';
import { checkTlsFiles } from './tls-files.js';

export { ConfigError };
export { parseListenAddr };

type Kind =
  | 'bool' | 'int' | 'ratio' | 'duration' | 'timeout' | 'string' | 'header' | 'strings' | 'addr'
  | 'driver' | 'url' | 'redisUrl';

interface KeySpec {
  readonly name: string; // canonical spelling, used in messages
  readonly field: keyof Config;
  readonly kind: Kind;
  readonly min?: number; // 'int' only
  readonly max?: number; // 'int' only
}

const KEYS: readonly KeySpec[] = [
  { name: 'createOnAnnounce', field: 'createOnAnnounce', kind: 'bool' },
  { name: 'purgeInactiveTorrents', field: 'purgeInactiveTorrents', kind: 'bool' },
  { name: 'announce', field: 'announceMs', kind: 'duration' },
  { name: 'minAnnounce', field: 'minAnnounceMs', kind: 'duration' },
  { name: 'reapInterval', field: 'reapIntervalMs', kind: 'duration' },
  { name: 'reapRatio', field: 'reapRatio', kind: 'ratio' },
  { name: 'defaultNumWant', field: 'defaultNumWant', kind: 'int', min: 0 },
  { name: 'maxNumWant', field: 'maxNumWant', kind: 'int', min: 1 },
  // Upper bound: a typo such as 1e9 must not allocate a billion tables at start.
  { name: 'torrentMapShards', field: 'torrentMapShards', kind: 'int', min: 1, max: 65536 },
  { name: 'maxPeersPerShard', field: 'maxPeersPerShard', kind: 'int', min: 0 },
  { name: 'maxScrapeInfoHashes', field: 'maxScrapeInfoHashes', kind: 'int', min: 1 },
  { name: 'allowIPSpoofing', field: 'allowIPSpoofing', kind: 'bool' },
  { name: 'dualStackedPeers', field: 'dualStackedPeers', kind: 'bool' },
  { name: 'realIPHeader', field: 'realIPHeader', kind: 'header' },
  { name: 'respectAF', field: 'respectAF', kind: 'bool' },
  { name: 'clientWhitelistEnabled', field: 'clientWhitelistEnabled', kind: 'bool' },
  { name: 'clientWhitelist', field: 'clientWhitelist', kind: 'strings' },
  { name: 'apiListenAddr', field: 'apiListenAddr', kind: 'addr' },
  { name: 'apiReadTimeout', field: 'apiReadTimeoutMs', kind: 'timeout' },
  { name: 'apiWriteTimeout', field: 'apiWriteTimeoutMs', kind: 'timeout' },
  { name: 'apiRequestTimeout', field: 'apiRequestTimeoutMs', kind: 'timeout' },
  { name: 'apiListenLimit', field: 'apiListenLimit', kind: 'int', min: 0 },
  { name: 'httpListenAddr', field: 'httpListenAddr', kind: 'addr' },
  { name: 'httpReadTimeout', field: 'httpReadTimeoutMs', kind: 'timeout' },
  { name: 'httpWriteTimeout', field: 'httpWriteTimeoutMs', kind: 'timeout' },
  { name: 'httpRequestTimeout', field: 'httpRequestTimeoutMs', kind: 'timeout' },
  { name: 'httpListenLimit', field: 'httpListenLimit', kind: 'int', min: 0 },
  { name: 'udpListenAddr', field: 'udpListenAddr', kind: 'addr' },
  { name: 'httpsListenAddr', field: 'httpsListenAddr', kind: 'addr' },
  { name: 'tlsCertPath', field: 'tlsCertPath', kind: 'string' },
  { name: 'tlsKeyPath', field: 'tlsKeyPath', kind: 'string' },
  { name: 'driver', field: 'driver', kind: 'driver' },
  { name: 'statsBufferSize', field: 'statsBufferSize', kind: 'int', min: 0 },
  { name: 'includeMemStats', field: 'includeMemStats', kind: 'bool' },
  { name: 'verboseMemStats', field: 'verboseMemStats', kind: 'bool' },
  { name: 'memStatsInterval', field: 'memStatsIntervalMs', kind: 'duration' },
  { name: 'jwkSetURI', field: 'jwkSetURI', kind: 'url' },
  { name: 'jwkUpdateInterval', field: 'jwkUpdateIntervalMs', kind: 'duration' },
  { name: 'jwkTTL', field: 'jwkTTLMs', kind: 'duration' },
  { name: 'jwtAudience', field: 'jwtAudience', kind: 'string' },
  { name: 'jwtIssuer', field: 'jwtIssuer', kind: 'string' },
  { name: 'jwtWorkers', field: 'jwtWorkers', kind: 'int', min: 1, max: 64 },
  { name: 'redisURL', field: 'redisURL', kind: 'redisUrl' },
  { name: 'redisCluster', field: 'redisCluster', kind: 'bool' },
  { name: 'redisKeyPrefix', field: 'redisKeyPrefix', kind: 'string' },
  { name: 'redisTick', field: 'redisTickMs', kind: 'duration' },
  { name: 'redisOutboxChanges', field: 'redisOutboxChanges', kind: 'int', min: 1024 },
  { name: 'redisSyncTimeout', field: 'redisSyncTimeoutMs', kind: 'duration' },
  { name: 'ioThreads', field: 'ioThreads', kind: 'int', min: 0, max: 64 },
  { name: 'workers', field: 'workers', kind: 'int', min: 0, max: 64 },
];

// Lower-cased key → spec. chihaya v1's own documentation calls the refresh key `jwkSetUpdateInterval`.
const BY_NAME = new Map<string, KeySpec>(KEYS.map((k) => [k.name.toLowerCase(), k]));
BY_NAME.set('jwksetupdateinterval', BY_NAME.get('jwkupdateinterval')!);

// Node clamps setTimeout/setInterval delays above 2^31-1 ms to 1 ms: a huge interval would spin.
const MAX_TIMER_MS = 2 ** 31 - 1;

const DURATION_HINT = 'not a duration (e.g. "30m", "1h30m", "250ms")';
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 token

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}

function fail(key: string, value: unknown, expected: string): never {
  throw new ConfigError(`config: ${key}: ${show(value)}: ${expected}`, key);
}

function readInt(spec: KeySpec, value: unknown): number {
  const min = spec.min ?? 0;
  const range = spec.max === undefined ? `>= ${min}` : `${min}..${spec.max}`;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > (spec.max ?? Infinity)) {
    fail(spec.name, value, `must be an integer ${range}`);
  }
  return value;
}

// Returns whole milliseconds, rounded up so that "500us" stays non-zero: Node's http server timeouts
// require integers, and 0 means "no timeout" there.
function readDuration(spec: KeySpec, value: unknown): number {
  if (typeof value !== 'string') {
    fail(spec.name, value, `${DURATION_HINT}; durations are JSON strings, as in chihaya v1`);
  }
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch {
    fail(spec.name, value, DURATION_HINT);
  }
  if (spec.kind === 'duration' && ms <= 0) fail(spec.name, value, 'must be greater than 0');
  if (ms < 0) fail(spec.name, value, 'must be >= 0 (0 disables the timeout)');
  if (ms > MAX_TIMER_MS) fail(spec.name, value, `must be at most ${formatDuration(MAX_TIMER_MS)} (timer limit)`);
  return Math.ceil(ms);
}

function readValue(spec: KeySpec, value: unknown, warnings: string[]): unknown {
  const { name } = spec;
  switch (spec.kind) {
    case 'bool':
      if (typeof value !== 'boolean') fail(name, value, 'must be true or false');
      return value;
    case 'int':
      return readInt(spec, value);
    case 'ratio':
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(name, value, 'must be a number > 0');
      return value;
    case 'duration':
    case 'timeout':
      return readDuration(spec, value);
    case 'string':
      if (typeof value !== 'string') fail(name, value, 'must be a string');
      return value;
    case 'header':
      if (typeof value !== 'string') fail(name, value, 'must be a string');
      if (value !== '' && !HEADER_NAME.test(value)) fail(name, value, 'not a valid HTTP header name');
      return value;
    case 'strings': {
      if (!Array.isArray(value)) fail(name, value, 'must be an array of strings');
      value.forEach((item: unknown, i) => {
        if (typeof item !== 'string') fail(`${name}[${i}]`, item, 'must be a string');
        // A ClientID is 6 characters (docs/compatibility.md); any other length can never match a peer.
        if (item.length !== 6) {
          warnings.push(`config: ${name}[${i}]: ${show(item)}: a client ID has 6 characters; this entry never matches`);
        }
      });
      return [...(value as string[])];
    }
    case 'addr':
      if (typeof value !== 'string') fail(name, value, ADDR_HINT);
      return parseListenAddr(name, value);
    case 'driver':
      // v1's only driver did nothing, so "noop" and unset mean the same thing.
      if (value === '' || value === 'noop') return 'noop';
      return fail(name, value, 'unknown driver (only "noop" exists)');
    case 'url':
      if (typeof value !== 'string') fail(name, value, 'must be a string');
      if (value !== '') checkKeySetURL(name, value, warnings);
      return value;
    case 'redisUrl':
      if (typeof value !== 'string') fail(name, value, 'must be a string');
      if (value !== '') checkRedisURL(name, value);
      return value;
  }
}

function checkKeySetURL(name: string, value: string, warnings: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(name, value, 'must be an http:// or https:// URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(name, value, 'must be an http:// or https:// URL');
  if (url.protocol === 'http:') {
    warnings.push(`config: ${name}: ${show(value)}: keys fetched over plain HTTP can be tampered with in transit`);
  }
}

function checkRedisURL(name: string, value: string): void {
  const shown = value.replace(/\/\/[^@/]*@/, '//***@'); // never print a password
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(name, shown, 'must be a redis:// or rediss:// URL, e.g. "redis://:password@redis:6379/0"');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(name, shown, 'must be a redis:// or rediss:// URL');
  if (url.hostname === '') fail(name, shown, 'names no host');
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

// The nearest known key, when close enough to be a plausible typo or a longer spelling of it
// ("announceInterval" → "announce"); undefined otherwise, so the warning does not mislead.
function suggestKey(unknown: string): string | undefined {
  const u = unknown.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const [lower, spec] of BY_NAME) {
    const d = editDistance(u, lower);
    const [shorter, longer] = u.length < lower.length ? [u, lower] : [lower, u];
    const close = d <= Math.max(2, Math.floor(longer.length / 4)) || (shorter.length >= 4 && longer.includes(shorter));
    if (close && d < bestDistance) {
      best = lower === 'jwksetupdateinterval' ? 'jwkSetUpdateInterval' : spec.name;
      bestDistance = d;
    }
  }
  return best;
}

function crossChecks(c: Config, warnings: string[]): void {
  // uWebSockets.js listens with SO_REUSEPORT: two apps on one port would both bind, and the kernel
  // would split connections between plain HTTP and TLS.
  const http = c.httpListenAddr;
  const https = c.httpsListenAddr;
  if (http !== null && https !== null && http.port !== 0 && http.port === https.port) {
    const text = `${https.host.includes(':') ? `[${https.host}]` : https.host}:${https.port}`;
    throw new ConfigError(
      `config: httpsListenAddr: ${JSON.stringify(text)}: port ${https.port} is httpListenAddr's too (plain HTTP and TLS need a port each)`,
      'httpsListenAddr');
  }
  if (c.workers > c.torrentMapShards) {
    warnings.push(
      `config: workers (${c.workers}) > torrentMapShards (${c.torrentMapShards}): ` +
        `${c.workers - c.torrentMapShards} worker(s) would own no shard`,
    );
  }
  if (c.defaultNumWant > c.maxNumWant) {
    warnings.push(`config: defaultNumWant (${c.defaultNumWant}) > maxNumWant (${c.maxNumWant}): answers are capped at maxNumWant`);
  }
  for (const [key, ms] of [['announce', c.announceMs], ['minAnnounce', c.minAnnounceMs]] as const) {
    if (ms < 1000) warnings.push(`config: ${key}: ${formatDuration(ms)}: clients are told whole seconds, so they see 0`);
  }
  if (c.jwkSetURI !== '' && c.jwtAudience === '') {
    warnings.push('config: jwkSetURI is set but jwtAudience is empty (Quay always sets both)');
  }
  if (c.jwkSetURI !== '' && c.jwkTTLMs < c.jwkUpdateIntervalMs) {
    warnings.push(
      `config: jwkTTL (${formatDuration(c.jwkTTLMs)}) < jwkUpdateInterval (${formatDuration(c.jwkUpdateIntervalMs)}): ` +
        'the key set expires between refreshes and announces fail until the next one',
    );
  }
}

// V8 reports a character offset; operators look for a line, and the message must stay on one line.
function describeJSONError(err: Error, text: string): string {
  const why = err.message.replace(/\s+/g, ' ');
  const at = /position (\d+)/.exec(why);
  if (at === null) return why;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${why} (line ${line} column ${column})`;
}

/**
 * Parses config.json text. Keys not present keep `defaultConfig`; a JSON `null` also keeps the default
 * (Go's decoder leaves a field untouched on null). Durations become whole milliseconds (rounded up).
 * Throws ConfigError with a one-line message; `source` names the file in JSON syntax errors.
 */
export function parseConfig(jsonText: string, source: string): { config: Config; warnings: string[] } {
  const text = jsonText.replace(/^\uFEFF/, ''); // editors on Windows may add a BOM
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config: ${source}: invalid JSON: ${describeJSONError(err as Error, text)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`config: ${source}: the top level must be a JSON object {...}`);
  }

  const warnings: string[] = [];
  const out: Record<string, unknown> = { ...defaultConfig, clientWhitelist: [...defaultConfig.clientWhitelist] };
  const seen = new Map<keyof Config, string>();
  for (const [key, value] of Object.entries(data)) {
    const spec = BY_NAME.get(key.toLowerCase());
    if (spec === undefined) {
      const hint = suggestKey(key);
      warnings.push(`config: unknown key ${JSON.stringify(key)} ignored` + (hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''));
      continue;
    }
    const earlier = seen.get(spec.field);
    if (earlier !== undefined) {
      warnings.push(`config: ${JSON.stringify(earlier)} and ${JSON.stringify(key)} set the same key; the last one wins`);
    }
    seen.set(spec.field, key);
    if (value === null) continue;
    out[spec.field] = readValue(spec, value, warnings);
  }
  const config = out as unknown as Config;
  crossChecks(config, warnings);
  checkTlsFiles(config, warnings);
  return { config, warnings };
}


/** Reads and parses a config file; a missing or unreadable file is a ConfigError naming the path. */
export function loadConfigFile(path: string): { config: Config; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = READ_ERRORS[e.code ?? ''] ?? e.message.replace(/\s+/g, ' ');
    throw new ConfigError(`config: cannot read ${JSON.stringify(path)}: ${why}`);
  }
  return parseConfig(text, path);
}
