// The admin API over real sockets: /check, /stats in chihaya v1's shape (values that move, ?flatten,
// ?pretty, Memory refreshed), and /torrents/:infohash with hex and URL-escaped ids.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, encodeParam, get, getJson, infoHash, peerId, pick, request,
  scrapeUrl, sleep, startTestTracker, waitFor, within, type TestTracker,
} from '../helpers/tracker.js';

const CLASS_KEYS = ['Current', 'Joined', 'Left', 'Reaped'];

function assertNumber(obj: Record<string, unknown>, path: string): number {
  const v = pick(obj, path);
  assert.equal(typeof v, 'number', `${path} is ${JSON.stringify(v)}`);
  assert.ok(Number.isFinite(v as number) && (v as number) >= 0, `${path} = ${String(v)}`);
  return v as number;
}

/** Every v1 key of /stats, with its type. */
function assertV1Shape(s: Record<string, unknown>, withMemory: boolean): void {
  assert.equal(typeof s.Started, 'string');
  assert.ok(!Number.isNaN(Date.parse(s.Started as string)), `Started ${String(s.Started)}`);
  for (const k of ['connectionsOpen', 'connectionsAccepted', 'requestsHandled', 'requestsErrored', 'requestsBad',
    'trackerAnnounces', 'trackerScrapes', 'torrentsSize', 'torrentsAdded', 'torrentsRemoved', 'torrentsReaped']) {
    assertNumber(s, k);
  }
  for (const p of ['P50', 'P90', 'P95']) assertNumber(s, `ResponseTime.${p}`);
  for (const fam of ['peersIPv4', 'peersIPv6']) {
    assert.deepEqual(Object.keys(s[fam] as object).sort(), ['Completed', 'Peers', 'Seeds']);
    for (const cls of ['Peers', 'Seeds']) {
      assert.deepEqual(Object.keys(pick(s, `${fam}.${cls}`) as object).sort(), [...CLASS_KEYS].sort());
      for (const k of CLASS_KEYS) assertNumber(s, `${fam}.${cls}.${k}`);
    }
    assertNumber(s, `${fam}.Completed`);
  }
  if (withMemory) {
    const m = s.Memory as Record<string, unknown>;
    assert.equal(typeof m, 'object');
    assert.ok(Object.keys(m).length > 0, 'Memory is empty');
    for (const [k, v] of Object.entries(m)) assert.equal(typeof v, 'number', `Memory.${k}`);
  } else {
    assert.equal(s.Memory, undefined);
  }
}

const delta = (a: Record<string, unknown>, b: Record<string, unknown>, path: string): number =>
  (pick(b, path) as number) - (pick(a, path) as number);

/** The Memory-refresh tests' allocations, alive until every variant has run (see that test). */
const ballasts: Buffer[] = [];
after(() => { ballasts.length = 0; });

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`admin api: /check and /stats (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(() => t.stop());

    test('GET /check → 200 "STILL-ALIVE" (no newline)', async () => {
      const res = await get(`${t.apiUrl}/check`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, Buffer.from('STILL-ALIVE'));
    });

    test('unknown API paths → 404', async () => {
      assert.equal((await get(`${t.apiUrl}/nope`)).status, 404);
      assert.equal((await get(`${t.apiUrl}/announce`)).status, 404, 'the API port is not a tracker');
    });

    test('GET /stats has every v1 key (JSON, Memory included by default)', async () => {
      const res = await get(`${t.apiUrl}/stats`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      assertV1Shape(JSON.parse(res.body.toString()) as Record<string, unknown>, true);
    });

    test('values move after announces, completions, stops, scrapes and bad requests', async () => {
      const s0 = await getJson(`${t.apiUrl}/stats`);
      const ih = infoHash('stats-move');
      const url = (id: string, extra: Record<string, string | number>): string =>
        announceUrl(t.httpUrl, announceParams(ih, peerId(id), { port: 1111, ...extra }));
      await announce(url('st-seed4', { ip: '10.5.0.1', left: 0 }));            // v4 seeder joins
      await announce(url('st-leech6', { ip: 'fd00::5:1', left: 10 }));          // v6 leecher joins
      const s1 = await getJson(`${t.apiUrl}/stats`);
      assert.equal(delta(s0, s1, 'trackerAnnounces'), 2);
      assert.ok(delta(s0, s1, 'requestsHandled') >= 2);
      assert.equal(delta(s0, s1, 'torrentsAdded'), 1);
      assert.equal(delta(s0, s1, 'torrentsSize'), 1);
      assert.equal(delta(s0, s1, 'peersIPv4.Peers.Current'), 1);
      assert.equal(delta(s0, s1, 'peersIPv4.Peers.Joined'), 1);
      assert.equal(delta(s0, s1, 'peersIPv4.Seeds.Current'), 1);
      assert.equal(delta(s0, s1, 'peersIPv4.Seeds.Joined'), 1);
      assert.equal(delta(s0, s1, 'peersIPv6.Peers.Current'), 1);
      assert.equal(delta(s0, s1, 'peersIPv6.Peers.Joined'), 1);
      assert.equal(delta(s0, s1, 'peersIPv6.Seeds.Current'), 0);

      await announce(url('st-leech6', { ip: 'fd00::5:1', left: 0, event: 'completed' })); // graduates
      await announce(url('st-seed4', { ip: '10.5.0.1', left: 0, event: 'stopped' }));     // leaves
      await get(scrapeUrl(t.httpUrl, [ih]));
      await get(`${t.httpUrl}/announce?info_hash=short`);                                  // bad
      const s2 = await getJson(`${t.apiUrl}/stats`);
      assert.equal(delta(s1, s2, 'peersIPv6.Completed'), 1);
      assert.equal(delta(s1, s2, 'peersIPv6.Seeds.Joined'), 1);
      assert.equal(delta(s1, s2, 'peersIPv6.Seeds.Current'), 1);
      assert.equal(delta(s1, s2, 'peersIPv4.Peers.Left'), 1);
      assert.equal(delta(s1, s2, 'peersIPv4.Seeds.Left'), 1);
      assert.equal(delta(s1, s2, 'peersIPv4.Peers.Current'), -1);
      assert.equal(delta(s1, s2, 'trackerScrapes'), 1);
      assert.equal(delta(s1, s2, 'requestsBad'), 1);
      assert.ok(delta(s1, s2, 'requestsHandled') >= 4);

      await announce(url('st-leech6', { ip: 'fd00::5:1', left: 0, event: 'stopped' }));  // last peer: purged
      const s3 = await getJson(`${t.apiUrl}/stats`);
      assert.equal(delta(s2, s3, 'torrentsRemoved'), 1);
      assert.equal(delta(s0, s3, 'torrentsSize'), 0);
      assert.equal(delta(s2, s3, 'peersIPv6.Seeds.Left'), 1);
      assertV1Shape(s3, true);
      assert.ok((s3.ResponseTime as Record<string, number>).P95! >= (s3.ResponseTime as Record<string, number>).P50!);
    });

    test('connectionsOpen and connectionsAccepted keep v1\'s keys (not measured: uWebSockets.js 20.30 has no connection hook, README says so)', async () => {
      const s1 = await getJson(`${t.apiUrl}/stats`);
      assert.equal(typeof s1.connectionsOpen, 'number');
      assert.equal(typeof s1.connectionsAccepted, 'number');
    });

    test('?flatten gives dotted keys and only scalar values', async () => {
      const f = await getJson(`${t.apiUrl}/stats?flatten`);
      for (const k of ['Started', 'requestsHandled', 'ResponseTime.P50', 'ResponseTime.P90', 'ResponseTime.P95',
        'peersIPv4.Peers.Current', 'peersIPv4.Seeds.Reaped', 'peersIPv4.Completed', 'peersIPv6.Peers.Joined',
        'peersIPv6.Seeds.Left', 'peersIPv6.Completed', 'torrentsSize']) {
        assert.ok(k in f, `missing ${k}`);
      }
      assert.equal(f.ResponseTime, undefined);
      assert.equal(f.peersIPv4, undefined);
      assert.ok(Object.keys(f).some((k) => k.startsWith('Memory.')), 'Memory.* keys');
      for (const [k, v] of Object.entries(f)) assert.notEqual(typeof v, 'object', `${k} is not flat`);
    });

    test('?pretty indents; plain /stats is one line; both flags combine', async () => {
      const plain = (await get(`${t.apiUrl}/stats`)).body.toString();
      assert.equal(plain.includes('\n'), false);
      const pretty = (await get(`${t.apiUrl}/stats?pretty`)).body.toString();
      assert.match(pretty, /^\{\n\s+"Started": /);
      assert.match(pretty, /\n\s+"ResponseTime": \{\n\s+"P50": /);
      assertV1Shape(JSON.parse(pretty) as Record<string, unknown>, true);
      const both = (await get(`${t.apiUrl}/stats?flatten&pretty`)).body.toString();
      assert.match(both, /\n\s+"ResponseTime\.P50": /);
    });
  });

  describe(`admin api: Memory refresh (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, memStatsIntervalMs: 50 });
    });
    after(() => t.stop());

    test('Memory is re-sampled every memStatsInterval: a 64 MiB allocation shows up', async () => {
      const m0 = (await getJson(`${t.apiUrl}/stats`)).Memory as Record<string, number>;
      // In this process, like the tracker. Kept alive to the end of the file: were the ballast of the
      // previous `workers` variant collected during this wait, the two would cancel out in the figures.
      ballasts.push(Buffer.alloc(64 * 1024 * 1024, 1));
      const grown = await waitFor('a Memory figure to grow by >= 48 MiB', async () => {
        const m = (await getJson(`${t.apiUrl}/stats`)).Memory as Record<string, number>;
        return Object.keys(m).find((k) => m[k]! - (m0[k] ?? Infinity) >= 48 * 1024 * 1024);
      }, 3_000, 50);
      assert.ok(grown);
    });
  });

  describe(`admin api: includeMemStats=false (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, includeMemStats: false });
    });
    after(() => t.stop());

    test('no Memory key (nested or flattened)', async () => {
      assertV1Shape(await getJson(`${t.apiUrl}/stats`), false);
      const f = await getJson(`${t.apiUrl}/stats?flatten`);
      assert.equal(Object.keys(f).some((k) => k.startsWith('Memory')), false);
    });
  });

  describe(`admin api: /torrents/:infohash (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(() => t.stop());

    test('GET unknown → 404; PUT → 200; GET → {infoHash, seeders, leechers, snatches}; DELETE → 200, then 404', async () => {
      const ih = infoHash('api-torrent');
      const hex = ih.toString('hex');
      assert.equal((await get(`${t.apiUrl}/torrents/${hex}`)).status, 404);
      assert.equal((await request('PUT', `${t.apiUrl}/torrents/${hex}`)).status, 200);
      assert.equal((await request('PUT', `${t.apiUrl}/torrents/${hex}`)).status, 200, 'PUT is idempotent');
      const res = await get(`${t.apiUrl}/torrents/${hex}`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.deepEqual(JSON.parse(res.body.toString()), { infoHash: hex, seeders: 0, leechers: 0, snatches: 0 });
      assert.equal((await request('DELETE', `${t.apiUrl}/torrents/${hex}`)).status, 200);
      assert.equal((await get(`${t.apiUrl}/torrents/${hex}`)).status, 404);
      assert.equal((await request('DELETE', `${t.apiUrl}/torrents/${hex}`)).status, 404);
    });

    test('uppercase hex and URL-escaped raw bytes (every byte, including % / and NUL) name the same torrent', async () => {
      const ih = Buffer.from(Array.from({ length: 20 }, (_, i) => [0x00, 0x25, 0x2f, 0x3f, 0x23, 0xff, 0x20, 0x2b][i % 8]! + (i >> 3)));
      const hex = ih.toString('hex');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('api-esc'), { ip: '10.5.2.1', left: 0 })));
      const expected = { infoHash: hex, seeders: 1, leechers: 0, snatches: 0 };
      assert.deepEqual(await getJson(`${t.apiUrl}/torrents/${hex.toUpperCase()}`), expected);
      assert.deepEqual(await getJson(`${t.apiUrl}/torrents/${encodeParam(ih)}`), expected);
      assert.equal((await request('DELETE', `${t.apiUrl}/torrents/${encodeParam(ih)}`)).status, 200);
      assert.equal((await get(`${t.apiUrl}/torrents/${hex}`)).status, 404);
    });

    test('chihaya v1 form: 20 raw bytes that need no escaping, as they are', async () => {
      const ih = Buffer.from('abcdefghijklmnopqrst', 'latin1');
      assert.equal((await request('PUT', `${t.apiUrl}/torrents/abcdefghijklmnopqrst`)).status, 200);
      assert.deepEqual(await getJson(`${t.apiUrl}/torrents/${ih.toString('hex')}`), { infoHash: ih.toString('hex'), seeders: 0, leechers: 0, snatches: 0 });
    });

    test('GET reflects the swarm: seeders, leechers, snatches', async () => {
      const ih = infoHash('api-counts');
      const ann = (id: string, extra: Record<string, string | number>): Promise<unknown> =>
        announce(announceUrl(t.httpUrl, announceParams(ih, peerId(id), { ip: '10.5.3.1', ...extra })));
      await ann('apc-1', { left: 5 });
      await ann('apc-2', { left: 5 });
      await ann('apc-3', { left: 5 });
      await ann('apc-1', { left: 0, event: 'completed' });
      assert.deepEqual(await getJson(`${t.apiUrl}/torrents/${ih.toString('hex')}`), { infoHash: ih.toString('hex'), seeders: 1, leechers: 2, snatches: 1 });
    });

    const BAD_IDS: [string, string][] = [
      ['not hex, too short', 'xyz'],
      ['39 hex characters', 'a'.repeat(39)],
      ['41 hex characters', 'a'.repeat(41)],
      ['19 escaped bytes', encodeParam(infoHash('bad').subarray(0, 19))],
      ['21 escaped bytes', encodeParam(Buffer.concat([infoHash('bad'), Buffer.from([1])]))],
      ['bad escape', `${encodeParam(infoHash('bad').subarray(0, 19))}%zz`],
      ['truncated escape', `${encodeParam(infoHash('bad').subarray(0, 19))}%a`],
    ];
    for (const [name, id] of BAD_IDS) {
      test(`bad id (${name}) → 400 for GET, PUT and DELETE`, async () => {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          assert.equal((await request(method, `${t.apiUrl}/torrents/${id}`)).status, 400, `${method} ${id}`);
        }
      });
    }

    test('the API keeps answering after the bad ids', async () => {
      await sleep(10);
      assert.equal((await get(`${t.apiUrl}/check`)).body.toString(), 'STILL-ALIVE');
    });
  });

  describe(`tracker lifecycle (${label})`, () => {
    test('"" disables a listener: no HTTP tracker port, the API still answers', async () => {
      const t = await startTestTracker({ ioThreads, workers, cluster, httpListenAddr: '' });
      try {
        assert.equal(t.tracker.ports.http, null);
        assert.equal((await get(`${t.apiUrl}/check`)).body.toString(), 'STILL-ALIVE');
      } finally {
        await t.stop();
      }
    });

    test('stop() closes the tracker and API ports', async () => {
      const t = await startTestTracker({ ioThreads, workers });
      await announce(announceUrl(t.httpUrl, announceParams(infoHash('lifecycle'), peerId('lc'), { left: 0 })));
      await within(5_000, 'tracker.stop()', t.stop());
      await assert.rejects(get(`${t.httpUrl}/announce`), /ECONNREFUSED|ECONNRESET|socket hang up/);
      await assert.rejects(get(`${t.apiUrl}/check`), /ECONNREFUSED|ECONNRESET|socket hang up/);
    });
  });
}
