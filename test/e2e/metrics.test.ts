// GET /metrics over real sockets: the Prometheus text format (strictly parsed), chihaya's metric names
// and labels counting the requests this test made over HTTP and UDP, the histograms well formed, the
// storage gauges matching the swarm, the reaper's sweep times, one loop-delay series per thread, the
// rings, restarts, JWT figures; bad requests to /metrics answered 400/405 with nothing logged.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Log } from '../../src/util/log.js';
import { Tracker } from '../../src/tracker.js';
import { AUDIENCE, JwksServer, makeKey, mintQuay, TEST_HASH } from '../helpers/jwt-fixtures.js';
import { checkHistograms, parseExposition, select, sumOf, valueOf, type Exposition } from '../helpers/prometheus-text.js';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, get, infoHash, parseRawResponse, peerId, rawExchange, request, scrapeUrl, startTestTracker,
  testConfig, waitFor, type TestTracker,
} from '../helpers/tracker.js';
import { UdpClient } from '../helpers/udp-client.js';

const CHIHAYA_BOUNDS = [9.375, 18.75, 37.5, 75, 150, 300, 600, 1200, 2400, 4800];
const HAYATE_BOUNDS = Array.from({ length: 20 }, (_, k) => 2 ** (k + 3) / 1e6);

async function scrapeMetrics(apiUrl: string): Promise<Exposition> {
  const res = await get(`${apiUrl}/metrics`);
  assert.equal(res.status, 200, res.body.toString());
  return parseExposition(res.body.toString('utf8'));
}

/** Polls /metrics until `check` passes (answers are written before their counts: a scrape may come between). */
async function eventually(apiUrl: string, what: string, check: (e: Exposition) => void): Promise<Exposition> {
  let last: unknown;
  return waitFor(what, async () => {
    const e = await scrapeMetrics(apiUrl);
    try {
      check(e);
      return e;
    } catch (err) {
      last = err;
      return undefined;
    }
  }).catch((err: Error) => { throw last instanceof Error ? last : err; });
}

const http = (labels: Record<string, string>) => ['chihaya_http_response_duration_milliseconds_count', labels] as const;
const udp = (labels: Record<string, string>) => ['chihaya_udp_response_duration_milliseconds_count', labels] as const;

for (const { ioThreads, workers, label } of THREAD_LAYOUTS) {
  describe(`GET /metrics (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, udpListenAddr: '127.0.0.1:0', torrentMapShards: 4, reapIntervalMs: 100 });
    });
    after(() => t.stop());

    test('Prometheus text, with Node process metrics and no JWT series (checks off)', async () => {
      const res = await get(`${t.apiUrl}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      const e = parseExposition(res.body.toString('utf8'));
      for (const name of ['process_cpu_user_seconds_total', 'nodejs_heap_size_total_bytes', 'chihaya_storage_infohashes_count',
        'chihaya_storage_seeders_count', 'chihaya_storage_leechers_count', 'hayate_failures_total']) {
        assert.ok(select(e, name).length > 0, `${name} missing`);
      }
      assert.equal(e.types.get('chihaya_http_response_duration_milliseconds'), 'histogram');
      assert.equal(e.types.get('chihaya_storage_gc_duration_milliseconds'), 'histogram');
      assert.deepEqual([...e.types.keys()].filter((n) => n.startsWith('hayate_jwt')), []);
    });

    test('the tracker port does not serve /metrics', async () => {
      const res = await get(`${t.httpUrl}/metrics`);
      assert.equal(res.status, 404);
      assert.doesNotMatch(res.body.toString(), /# TYPE/);
    });

    test('requests counted by protocol, action, address family and outcome; histograms well formed', async () => {
      const before = await scrapeMetrics(t.apiUrl);
      const n = 5;
      const hashes = Array.from({ length: n }, (_, i) => infoHash(`metrics-${label}-${i}`));
      for (let i = 0; i < n; i++) await announce(announceUrl(t.httpUrl, announceParams(hashes[i]!, peerId(`m${i}`), { left: i === 0 ? 0 : 100 })));
      await announce(announceUrl(t.httpUrl, announceParams(hashes[0]!, peerId('m6'), { ipv6: '::1' })));
      for (let i = 0; i < 2; i++) assert.equal((await get(`${t.httpUrl}/announce?info_hash=short`)).status, 200);
      assert.equal((await get(scrapeUrl(t.httpUrl, [hashes[0]!]))).status, 200);
      const c = await UdpClient.open({ host: '127.0.0.1', port: t.tracker.ports.udp! });
      try {
        await c.announceOk({ infoHash: hashes[1]!, peerId: peerId('u1'), port: 7000, left: 5 });
        await c.scrapeOk([hashes[1]!]);
        const refused = await c.announce({ infoHash: hashes[1]!, peerId: peerId('u2'), port: 7001, connectionId: Buffer.alloc(8) });
        assert.equal(refused.action, 3);
      } finally {
        await c.close();
      }
      const d = (e: Exposition, [name, labels]: readonly [string, Record<string, string>]): number =>
        sumOf(e, name, labels) - sumOf(before, name, labels);
      const after = await eventually(t.apiUrl, 'the counts of this test', (e) => {
        assert.equal(d(e, http({ action: 'announce', address_family: 'IPv4', error: '' })), n);
        assert.equal(d(e, http({ action: 'announce', address_family: 'IPv6', error: '' })), 1);
        assert.equal(d(e, http({ action: 'announce', address_family: 'Unknown', error: 'client error' })), 2);
        assert.equal(d(e, http({ action: 'scrape', address_family: 'Unknown', error: '' })), 1);
        assert.equal(d(e, udp({ action: 'connect', address_family: 'IPv4', error: '' })), 2);
        assert.equal(d(e, udp({ action: 'announce', address_family: 'IPv4', error: '' })), 1);
        assert.equal(d(e, udp({ action: 'scrape', address_family: 'IPv4', error: '' })), 1);
        assert.equal(d(e, udp({ action: 'announce', address_family: 'IPv4', error: 'client error' })), 1);
        assert.equal(d(e, ['hayate_failures_total', { protocol: 'http', reason: 'malformed request' }]), 2);
        assert.equal(d(e, ['hayate_failures_total', { protocol: 'udp', reason: 'bad connection ID' }]), 1);
        assert.equal(d(e, ['hayate_responses_total', { protocol: 'http', action: 'announce', outcome: 'ok' }]), n + 1);
        assert.equal(d(e, ['hayate_responses_total', { protocol: 'udp', action: 'connect', outcome: 'ok' }]), 2);
        assert.equal(d(e, ['hayate_udp_packets_total', {}]), 5);
        assert.equal(d(e, ['hayate_udp_packets_bad_total', {}]), 1);
      });
      // The same observations under hayate's finer buckets.
      for (const p of ['http', 'udp']) {
        for (const s of select(after, `chihaya_${p}_response_duration_milliseconds_count`)) {
          assert.equal(valueOf(after, `hayate_${p}_response_duration_seconds_count`, s.labels), s.value, `${p} ${JSON.stringify(s.labels)}`);
        }
        checkHistograms(after, `chihaya_${p}_response_duration_milliseconds`, CHIHAYA_BOUNDS);
        checkHistograms(after, `hayate_${p}_response_duration_seconds`, HAYATE_BOUNDS);
      }
      // Every request was answered within the 4.8 s bucket; the sums are in the metric's unit.
      const ms = select(after, 'chihaya_http_response_duration_milliseconds_sum').reduce((a, s) => a + s.value, 0);
      const sec = select(after, 'hayate_http_response_duration_seconds_sum').reduce((a, s) => a + s.value, 0);
      assert.ok(Math.abs(ms / 1000 - sec) < 1e-6, `${ms} ms vs ${sec} s`);
      // Per-thread requests add up to the total.
      assert.equal(sumOf(after, 'hayate_thread_requests_total', { protocol: 'http' }), valueOf(after, 'hayate_http_requests_total'));
    });

    test('storage gauges follow the swarm; the reaper\'s sweeps are timed', async () => {
      const ih = infoHash(`storage-${label}`);
      const e0 = await scrapeMetrics(t.apiUrl);
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('seed'), { left: 0 })));
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('leech'), { left: 10 })));
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('leech2'), { left: 10, ipv6: '::2' })));
      const stats = JSON.parse((await get(`${t.apiUrl}/stats`)).body.toString()) as Record<string, any>;
      const e = await eventually(t.apiUrl, 'storage gauges', (x) => {
        assert.equal(valueOf(x, 'chihaya_storage_infohashes_count'), stats.torrentsSize);
        assert.equal(valueOf(x, 'chihaya_storage_seeders_count') - valueOf(e0, 'chihaya_storage_seeders_count'), 1);
        assert.equal(valueOf(x, 'chihaya_storage_leechers_count') - valueOf(e0, 'chihaya_storage_leechers_count'), 2);
        assert.equal(valueOf(x, 'hayate_peers', { family: 'IPv6', role: 'leecher' }) - valueOf(e0, 'hayate_peers', { family: 'IPv6', role: 'leecher' }), 1);
        // reapInterval 100 ms: every owner sweeps each of its shards.
        assert.ok(valueOf(x, 'chihaya_storage_gc_duration_milliseconds_count') >= 4, 'sweeps');
      });
      checkHistograms(e, 'chihaya_storage_gc_duration_milliseconds', CHIHAYA_BOUNDS);
    });

    test('one event-loop delay series per thread; ring fill per shard owner', async () => {
      const e = await scrapeMetrics(t.apiUrl);
      const threads = new Set(select(e, 'hayate_event_loop_delay_seconds').map((s) => s.labels.thread));
      const want = ['main', ...Array.from({ length: ioThreads }, (_, i) => `io-0${i + 1}`),
        ...Array.from({ length: workers }, (_, i) => `swarm-0${i + 1}`)];
      assert.deepEqual([...threads].sort(), want.sort());
      for (const s of select(e, 'hayate_event_loop_delay_seconds')) {
        assert.ok(['p50', 'p99', 'max'].includes(s.labels.stat!), s.labels.stat);
        assert.ok(s.value >= 0 && s.value < 60, `${JSON.stringify(s.labels)} ${s.value}`);
      }
      // Owners reached over rings: the swarm workers, or the other I/O thread (none with one I/O thread owning all).
      const owners = new Set(select(e, 'hayate_ring_capacity_bytes').map((s) => s.labels.owner));
      const wantOwners = workers > 0 ? ['swarm-01', 'swarm-02'] : ioThreads > 1 ? ['io-01', 'io-02'] : [];
      assert.deepEqual([...owners].sort(), wantOwners);
      for (const s of select(e, 'hayate_ring_capacity_bytes')) {
        assert.ok(s.value > 0);
        assert.ok(valueOf(e, 'hayate_ring_used_bytes', s.labels) <= s.value);
      }
    });
  });
}

describe('GET /metrics: bad requests and restarts', () => {
  let tracker: Tracker;
  let api: string;
  const logs: string[] = [];
  before(async () => {
    tracker = await Tracker.start(testConfig({ ioThreads: 2 }), new Log(5, (line) => { logs.push(line); }), { faultInjection: true });
    api = `http://127.0.0.1:${tracker.ports.api}`;
  });
  after(() => tracker.stop());

  test('a query string → 400; a method other than GET/HEAD → 405 with Allow; nothing logged', async () => {
    const logged = logs.length;
    for (const q of ['?x', '?name[]=chihaya_storage_infohashes_count', '?%00']) {
      const res = await get(`${api}/metrics${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.toString(), '/metrics takes no query string\n');
    }
    // An empty query, sent as written (URL parsers drop the lone '?').
    const raw = await rawExchange('127.0.0.1', tracker.ports.api!, Buffer.from('GET /metrics? HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(parseRawResponse(raw.data).status, 400);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await request(method, `${api}/metrics`);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, 'GET, HEAD');
    }
    const head = await request('HEAD', `${api}/metrics`);
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.ok(Number(head.headers['content-length']) > 1000);
    assert.deepEqual(logs.slice(logged), []);
  });

  test('an I/O thread that died and was restarted is counted', async () => {
    const e0 = await scrapeMetrics(api);
    assert.equal(valueOf(e0, 'hayate_thread_restarts_total', { role: 'io' }), 0);
    tracker.injectFault(1, 'uncaught');
    await eventually(api, 'the restart', (e) => assert.equal(valueOf(e, 'hayate_thread_restarts_total', { role: 'io' }), 1));
    // The restarted thread publishes its loop delay again, into the same block.
    const e = await scrapeMetrics(api);
    assert.equal(select(e, 'hayate_event_loop_delay_seconds', { thread: 'io-02' }).length, 3);
  });
});

describe('GET /metrics with JWT checks', () => {
  let jwks: JwksServer;
  let tracker: Tracker;
  let base: string;
  let api: string;
  before(async () => {
    jwks = await new JwksServer().listen();
    const key = await makeKey('k1');
    jwks.keys = [key.jwk];
    tracker = await Tracker.start({ ...testConfig({ ioThreads: 2 }), jwkSetURI: jwks.url, jwtAudience: AUDIENCE }, new Log(0, () => {}));
    base = `http://127.0.0.1:${tracker.ports.http}`;
    api = `http://127.0.0.1:${tracker.ports.api}`;
    const token = await mintQuay(key);
    const url = (jwt?: string): string => announceUrl(base, { ...announceParams(Buffer.from(TEST_HASH), peerId('jwt')), ...(jwt === undefined ? {} : { jwt }) });
    await get(url());
    await get(url(token));
    await get(url(token));
  });
  after(async () => {
    await tracker.stop();
    await jwks.close();
  });

  test('checks by result, broker verifications, key set age and usability', async () => {
    const e = await eventually(api, 'JWT figures', (x) => {
      assert.equal(valueOf(x, 'hayate_jwt_checks_total', { result: 'missing' }), 1);
      assert.equal(valueOf(x, 'hayate_jwt_checks_total', { result: 'accepted' }), 2);
      assert.equal(valueOf(x, 'hayate_jwt_verifications_total'), 1);
      // The second announce with the token: answered from a cache (every thread learns every verdict),
      // or joined the verification its thread had asked for.
      assert.equal(valueOf(x, 'hayate_jwt_cache_hits_total') + valueOf(x, 'hayate_jwt_coalesced_total'), 1);
    });
    assert.equal(valueOf(e, 'hayate_jwt_key_set_usable'), 1);
    const age = valueOf(e, 'hayate_jwt_key_set_age_seconds');
    assert.ok(age >= 0 && age < 60, `age ${age}`);
    assert.equal(valueOf(e, 'hayate_failures_total', { protocol: 'http', reason: 'unapproved request: missing jwt' }), 1);
  });
});
