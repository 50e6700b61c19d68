import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../../src/config/config.js';
import { parseGoDuration } from '../../../src/config/duration.js';
import { formatDuration } from '../../../src/util/duration-format.js';
import { ConfigError, loadConfigFile, parseConfig, parseListenAddr } from '../../../src/config/load.js';

test('parseGoDuration accepts Go syntax', () => {
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['15m', 15 * 60_000],
    ['1h30m', 90 * 60_000],
    ['250ms', 250],
    ['1.5h', 90 * 60_000],
    ['300us', 0.3],
    ['300\u00b5s', 0.3],
    ['300\u03bcs', 0.3],
    ['10ns', 0.00001],
    ['-1s', -1000],
    ['+5s', 5000],
    ['.5s', 500],
    ['1.s', 1000],
    ['60s', 60_000],
    ['1h2m3s4ms5us6ns', 3_723_004.005006],
    ['1.0000001s', 1000.0001],
    ['2562047h', 2562047 * 3_600_000],
  ];
  for (const [text, ms] of cases) {
    assert.equal(parseGoDuration(text), ms, text);
  }
  assert.ok(Object.is(parseGoDuration('-0s'), 0), '-0s is +0');
});

test('parseGoDuration rejects what Go rejects', () => {
  const bad = ['', '-', '+', '1', '15', '00', '15x', '1d', '1 s', ' 1s', '1s ', '.', '.s', 's', '1.2.3s',
    '1h-1m', '--1s', '1S', '1H', 'ms', '1e3s', '9223372036854775808ns', '2562048h', 'abc'];
  for (const text of bad) {
    assert.throws(() => parseGoDuration(text), (e: Error) => e.message.includes(JSON.stringify(text)), text);
  }
});

test('formatDuration prints Go Duration.String style', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [15 * 60_000, '15m0s'],
    [90 * 60_000, '1h30m0s'],
    [250, '250ms'],
    [1500, '1.5s'],
    [0.3, '300\u00b5s'],
    [0.00001, '10ns'],
    [-1000, '-1s'],
    [18 * 60_000 + 45_000, '18m45s'],
    [2 ** 31 - 1, '596h31m23.647s'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  for (const text of ['15m0s', '1h30m0s', '250ms', '1.5s', '18m45s']) {
    assert.equal(formatDuration(parseGoDuration(text)), text, `round trip ${text}`);
  }
});

const QUAY = {
  createOnAnnounce: true, purgeInactiveTorrents: true, announce: '10m', minAnnounce: '5m', reapInterval: '60s',
  reapRatio: 1.25, defaultNumWant: 50, torrentMapShards: 1, jwkSetURI: 'https://quay.example/keys/services/quay/keys',
  jwkSetUpdateInterval: '5m', jwtAudience: 'https://quay.example/_torrent', allowIPSpoofing: true,
  dualStackedPeers: true, realIPHeader: 'X-Forwarded-For', respectAF: false, clientWhitelistEnabled: false,
  clientWhitelist: ['OP1011'], apiListenAddr: '0.0.0.0:6880', apiRequestTimeout: '4s', apiReadTimeout: '4s',
  apiWriteTimeout: '4s', apiListenLimit: 0, udpListenAddr: '0.0.0.0:6882', httpListenAddr: '0.0.0.0:6881',
  httpRequestTimeout: '4s', httpReadTimeout: '4s', httpWriteTimeout: '4s', httpListenLimit: 0, driver: 'noop',
  statsBufferSize: 0, includeMemStats: true, verboseMemStats: false, memStatsInterval: '5s',
};

test('a Quay chihaya v1 config parses to the expected values, without warnings', () => {
  const { config, warnings } = parseConfig(JSON.stringify(QUAY), '/config.json');
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, {
    ...defaultConfig,
    createOnAnnounce: true,
    purgeInactiveTorrents: true,
    announceMs: 600_000,
    minAnnounceMs: 300_000,
    reapIntervalMs: 60_000,
    reapRatio: 1.25,
    defaultNumWant: 50,
    torrentMapShards: 1,
    jwkSetURI: 'https://quay.example/keys/services/quay/keys',
    jwkUpdateIntervalMs: 300_000,
    jwtAudience: 'https://quay.example/_torrent',
    allowIPSpoofing: true,
    dualStackedPeers: true,
    realIPHeader: 'X-Forwarded-For',
    respectAF: false,
    clientWhitelistEnabled: false,
    clientWhitelist: ['OP1011'],
    apiListenAddr: { host: '0.0.0.0', port: 6880 },
    apiRequestTimeoutMs: 4000,
    apiReadTimeoutMs: 4000,
    apiWriteTimeoutMs: 4000,
    apiListenLimit: 0,
    udpListenAddr: { host: '0.0.0.0', port: 6882 },
    httpListenAddr: { host: '0.0.0.0', port: 6881 },
    httpRequestTimeoutMs: 4000,
    httpReadTimeoutMs: 4000,
    httpWriteTimeoutMs: 4000,
    httpListenLimit: 0,
    driver: 'noop',
    statsBufferSize: 0,
    includeMemStats: true,
    verboseMemStats: false,
    memStatsIntervalMs: 5000,
  });
});

test('an empty object gives the defaults, and the defaults are not shared', () => {
  const { config, warnings } = parseConfig('{}', 'x');
  assert.deepEqual(config, defaultConfig);
  assert.deepEqual(warnings, []);
  assert.notEqual(config.clientWhitelist, defaultConfig.clientWhitelist);
  assert.ok(!Object.isFrozen(config));
});

test('every key maps to its field, keys match case-insensitively, null keeps the default', () => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{ ANNOUNCE: '1m' }, { announceMs: 60_000 }],
    [{ MinAnnounce: '2m' }, { minAnnounceMs: 120_000 }],
    [{ reapinterval: '5s' }, { reapIntervalMs: 5000 }],
    [{ jwksetupdateinterval: '7m' }, { jwkUpdateIntervalMs: 420_000 }],
    [{ jwkUpdateInterval: '8m' }, { jwkUpdateIntervalMs: 480_000 }],
    [{ jwkTTL: '1h' }, { jwkTTLMs: 3_600_000 }],
    [{ jwtIssuer: 'quay', jwtWorkers: 4, workers: 2, torrentMapShards: 4 }, { jwtIssuer: 'quay', jwtWorkers: 4, workers: 2, torrentMapShards: 4 }],
    [{ maxNumWant: 100, maxPeersPerShard: 1000, maxScrapeInfoHashes: 10 }, { maxNumWant: 100, maxPeersPerShard: 1000, maxScrapeInfoHashes: 10 }],
    [{ httpReadTimeout: '0', apiWriteTimeout: '0s' }, { httpReadTimeoutMs: 0, apiWriteTimeoutMs: 0 }],
    [{ httpWriteTimeout: '500us' }, { httpWriteTimeoutMs: 1 }], // rounded up: integers, and 0 would mean "none"
    [{ memStatsInterval: '1.5s', reapRatio: 2 }, { memStatsIntervalMs: 1500, reapRatio: 2 }],
    [{ driver: '' }, { driver: 'noop' }],
    [{ apiListenAddr: '', udpListenAddr: ':0', httpListenAddr: '[::1]:0' },
      { apiListenAddr: null, udpListenAddr: { host: '', port: 0 }, httpListenAddr: { host: '::1', port: 0 } }],
    [{ announce: null, realIPHeader: null }, { announceMs: defaultConfig.announceMs, realIPHeader: '' }],
    [{ jwkSetURI: '' }, { jwkSetURI: '' }],
    [{ statsBufferSize: 100, apiListenLimit: 5, httpListenLimit: 6 }, { statsBufferSize: 100, apiListenLimit: 5, httpListenLimit: 6 }],
  ];
  for (const [input, expected] of cases) {
    const { config } = parseConfig(JSON.stringify(input), 'x');
    assert.deepEqual({ ...config }, { ...defaultConfig, ...expected }, JSON.stringify(input));
  }
});

test('each bad value is a one-line ConfigError naming the key and the value', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ torrentMapShards: 0 }, 'config: torrentMapShards: 0: must be an integer 1..65536'],
    [{ torrentMapShards: 1.5 }, 'config: torrentMapShards: 1.5: must be an integer 1..65536'],
    [{ announce: '15x' }, 'config: announce: "15x": not a duration (e.g. "30m", "1h30m", "250ms")'],
    [{ announce: 900 }, 'config: announce: 900: not a duration (e.g. "30m", "1h30m", "250ms"); durations are JSON strings, as in chihaya v1'],
    [{ minAnnounce: '0' }, 'config: minAnnounce: "0": must be greater than 0'],
    [{ reapInterval: '-1s' }, 'config: reapInterval: "-1s": must be greater than 0'],
    [{ memStatsInterval: '0s' }, 'config: memStatsInterval: "0s": must be greater than 0'],
    [{ jwkTTL: '-5m' }, 'config: jwkTTL: "-5m": must be greater than 0'],
    [{ jwkSetUpdateInterval: '0' }, 'config: jwkUpdateInterval: "0": must be greater than 0'],
    [{ httpReadTimeout: '-1s' }, 'config: httpReadTimeout: "-1s": must be >= 0 (0 disables the timeout)'],
    [{ apiRequestTimeout: '1000h' }, 'config: apiRequestTimeout: "1000h": must be at most 596h31m23.647s (timer limit)'],
    [{ driver: 'redis' }, 'config: driver: "redis": unknown driver (only "noop" exists)'],
    [{ driver: 1 }, 'config: driver: 1: unknown driver (only "noop" exists)'],
    [{ httpListenAddr: 'localhost:70000' }, 'config: httpListenAddr: "localhost:70000": port must be 0..65535'],
    [{ udpListenAddr: 'localhost' }, 'config: udpListenAddr: "localhost": expected "host:port", ":port", "[v6addr]:port" or "" (disabled)'],
    [{ apiListenAddr: 6880 }, 'config: apiListenAddr: 6880: expected "host:port", ":port", "[v6addr]:port" or "" (disabled)'],
    [{ createOnAnnounce: 'true' }, 'config: createOnAnnounce: "true": must be true or false'],
    [{ respectAF: 1 }, 'config: respectAF: 1: must be true or false'],
    [{ defaultNumWant: -1 }, 'config: defaultNumWant: -1: must be an integer >= 0'],
    [{ defaultNumWant: '50' }, 'config: defaultNumWant: "50": must be an integer >= 0'],
    [{ maxNumWant: 0 }, 'config: maxNumWant: 0: must be an integer >= 1'],
    [{ workers: 65 }, 'config: workers: 65: must be an integer 0..64'],
    [{ jwtWorkers: 0 }, 'config: jwtWorkers: 0: must be an integer 1..64'],
    [{ apiListenLimit: -3 }, 'config: apiListenLimit: -3: must be an integer >= 0'],
    [{ statsBufferSize: 1e300 }, 'config: statsBufferSize: 1e+300: must be an integer >= 0'],
    [{ reapRatio: 0 }, 'config: reapRatio: 0: must be a number > 0'],
    [{ reapRatio: -1.25 }, 'config: reapRatio: -1.25: must be a number > 0'],
    [{ reapRatio: '1.25' }, 'config: reapRatio: "1.25": must be a number > 0'],
    [{ clientWhitelist: 'OP1011' }, 'config: clientWhitelist: "OP1011": must be an array of strings'],
    [{ clientWhitelist: ['OP1011', 7] }, 'config: clientWhitelist[1]: 7: must be a string'],
    [{ realIPHeader: 5 }, 'config: realIPHeader: 5: must be a string'],
    [{ realIPHeader: 'X Forwarded For' }, 'config: realIPHeader: "X Forwarded For": not a valid HTTP header name'],
    [{ jwtAudience: ['a'] }, 'config: jwtAudience: ["a"]: must be a string'],
    [{ jwtIssuer: false }, 'config: jwtIssuer: false: must be a string'],
    [{ jwkSetURI: 'ftp://quay/keys' }, 'config: jwkSetURI: "ftp://quay/keys": must be an http:// or https:// URL'],
    [{ jwkSetURI: 'quay.example/keys' }, 'config: jwkSetURI: "quay.example/keys": must be an http:// or https:// URL'],
    [{ JWKSETURI: 3 }, 'config: jwkSetURI: 3: must be a string'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseConfig(JSON.stringify(input), 'x'), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `ConfigError for ${JSON.stringify(input)}`);
      assert.equal(e.message, message);
      assert.equal(e.code, 'HAYATE_CONFIG');
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
});

test('any reap window is accepted: the peers\' 16-bit clock scales its tick to the window', () => {
  // The old 32-bit millisecond clock limited minAnnounce * reapRatio + reapInterval to 2^31 ms; the tick
  // clock (swarm/peer-clock.ts) has no such limit, so these start.
  for (const c of [{ minAnnounce: '400h', reapRatio: 1.25 }, { minAnnounce: '477h', reapRatio: 1.25, reapInterval: '17m' },
    { minAnnounce: '15m', reapRatio: 3000 }]) {
    const { config } = parseConfig(JSON.stringify(c), 'x');
    assert.equal(config.minAnnounceMs * config.reapRatio > 0, true);
  }
});

test('JSON syntax errors and non-object documents name the source', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"announce": "15m",}', /^config: \/etc\/c\.json: invalid JSON: .+$/],
    ['', /^config: \/etc\/c\.json: invalid JSON: /],
    ['{\n"a":\n}\n', /^config: \/etc\/c\.json: invalid JSON: [^\n]+$/],
    ['{\n  "announce": "15m",\n}', /^config: \/etc\/c\.json: invalid JSON: .*position 23 \(line 3 column 1\)$/],
    ['[]', /^config: \/etc\/c\.json: the top level must be a JSON object/],
    ['null', /^config: \/etc\/c\.json: the top level must be a JSON object/],
    ['"x"', /^config: \/etc\/c\.json: the top level must be a JSON object/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseConfig(text, '/etc/c.json'), (e: Error) => e instanceof ConfigError && pattern.test(e.message), text);
  }
  assert.equal(parseConfig('\uFEFF{"announce":"1m"}', 'x').config.announceMs, 60_000, 'a UTF-8 BOM is tolerated');
});

test('warnings: unknown keys with suggestions, and suspicious combinations', () => {
  const cases: Array<[Record<string, unknown>, string[]]> = [
    [{ announceInterval: '15m' }, ['config: unknown key "announceInterval" ignored (did you mean "announce"?)']],
    [{ torentMapShards: 2 }, ['config: unknown key "torentMapShards" ignored (did you mean "torrentMapShards"?)']],
    [{ httpListenAdr: ':1' }, ['config: unknown key "httpListenAdr" ignored (did you mean "httpListenAddr"?)']],
    [{ jwkSetUpdateIntervall: '5m' }, ['config: unknown key "jwkSetUpdateIntervall" ignored (did you mean "jwkSetUpdateInterval"?)']],
    [{ params: {} }, ['config: unknown key "params" ignored']],
    [{ storage: 'redis' }, ['config: unknown key "storage" ignored']],
    [{ workers: 4, torrentMapShards: 2 }, ['config: workers (4) > torrentMapShards (2): 2 worker(s) would own no shard']],
    [{ defaultNumWant: 300 }, ['config: defaultNumWant (300) > maxNumWant (200): answers are capped at maxNumWant']],
    [{ announce: '500ms' }, ['config: announce: 500ms: clients are told whole seconds, so they see 0']],
    [{ clientWhitelist: ['OP1011', 'QU01'] }, ['config: clientWhitelist[1]: "QU01": a client ID has 6 characters; this entry never matches']],
    [{ announce: '1m', Announce: '2m' }, ['config: "announce" and "Announce" set the same key; the last one wins']],
    [{ jwkSetURI: 'https://q/keys' }, ['config: jwkSetURI is set but jwtAudience is empty (Quay always sets both)']],
    [{ jwkSetURI: 'http://q/keys', jwtAudience: 'a' }, ['config: jwkSetURI: "http://q/keys": keys fetched over plain HTTP can be tampered with in transit']],
    [{ jwkSetURI: 'https://q/keys', jwtAudience: 'a', jwkTTL: '1m' },
      ['config: jwkTTL (1m0s) < jwkUpdateInterval (5m0s): the key set expires between refreshes and announces fail until the next one']],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(parseConfig(JSON.stringify(input), 'x').warnings, expected, JSON.stringify(input));
  }
  assert.equal(parseConfig('{"announce":"1m","Announce":"2m"}', 'x').config.announceMs, 120_000);
});

test('parseListenAddr', () => {
  const good: Array<[string, { host: string; port: number } | null]> = [
    ['', null],
    ['localhost:6881', { host: 'localhost', port: 6881 }],
    ['0.0.0.0:6880', { host: '0.0.0.0', port: 6880 }],
    [':6882', { host: '', port: 6882 }],
    [':0', { host: '', port: 0 }],
    ['[::]:6881', { host: '::', port: 6881 }],
    ['[::1]:65535', { host: '::1', port: 65535 }],
    ['[fe80::1%eth0]:80', { host: 'fe80::1%eth0', port: 80 }],
    ['tracker.example.com:80', { host: 'tracker.example.com', port: 80 }],
  ];
  for (const [text, expected] of good) assert.deepEqual(parseListenAddr('k', text), expected, text);

  const bad: Array<[string, string]> = [
    ['localhost', 'expected "host:port"'],
    ['localhost:', 'port must be a number 0..65535'],
    ['localhost:http', 'port must be a number 0..65535'],
    ['localhost:-1', 'port must be a number 0..65535'],
    ['localhost:65536', 'port must be 0..65535'],
    ['localhost:123456', 'port must be a number 0..65535'],
    ['::1:6881', 'an IPv6 address needs brackets'],
    ['[::1]', 'expected "host:port"'],
    ['[::1:6881', 'expected "host:port"'],
    ['[nothost]:1', 'not an IPv6 address in brackets'],
    ['bad host:1', 'not a valid host name'],
    ['*:6881', 'not a valid host name'],
  ];
  for (const [text, why] of bad) {
    assert.throws(() => parseListenAddr('httpListenAddr', text), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.key, 'httpListenAddr');
      assert.ok(e.message.startsWith(`config: httpListenAddr: ${JSON.stringify(text)}: ${why}`), e.message);
      return true;
    });
  }
});

test('loadConfigFile reads a file and names the path when it cannot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-config-'));
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(QUAY));
    assert.equal(loadConfigFile(path).config.announceMs, 600_000);

    const missing = join(dir, 'missing.json');
    assert.throws(() => loadConfigFile(missing), (e: Error) =>
      e instanceof ConfigError && e.message === `config: cannot read ${JSON.stringify(missing)}: no such file (ENOENT)`);
    assert.throws(() => loadConfigFile(dir), (e: Error) =>
      e instanceof ConfigError && e.message.startsWith(`config: cannot read ${JSON.stringify(dir)}: `));

    writeFileSync(path, '{"announce": 900}');
    assert.throws(() => loadConfigFile(path), /config: announce: 900: not a duration/);
    writeFileSync(path, '{');
    assert.throws(() => loadConfigFile(path), (e: Error) => e.message.startsWith(`config: ${path}: invalid JSON: `));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
