// Malformed HTTP tracker requests: every one is answered HTTP 200 with exactly
// `d14:failure reason17:malformed requeste`, nothing crashes, and the server keeps serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, decode, encodeParam, failureOf, get, getJson, infoHash,
  parseRawResponse, peerId, queryString, rawExchange, request, scrapeUrl, startTestTracker, text, type TestTracker,
} from '../helpers/tracker.js';

const MALFORMED = Buffer.from('d14:failure reason17:malformed requeste', 'latin1');

const ih = infoHash('errors');
const pid = peerId('errors');
const hex = (b: Buffer): string => encodeParam(b);
const rest = 'port=6881&uploaded=0&downloaded=0&left=0';

/** [name, raw query after `/announce`] */
const MALFORMED_QUERIES: [string, string][] = [
  ['missing info_hash', `?peer_id=${hex(pid)}&${rest}`],
  ['info_hash of 19 bytes', `?info_hash=${hex(ih.subarray(0, 19))}&peer_id=${hex(pid)}&${rest}`],
  ['info_hash of 21 bytes', `?info_hash=${hex(Buffer.concat([ih, Buffer.from([0x41])]))}&peer_id=${hex(pid)}&${rest}`],
  ['info_hash of 0 bytes', `?info_hash=&peer_id=${hex(pid)}&${rest}`],
  ['bad percent escape %zz', `?info_hash=${hex(ih.subarray(0, 19))}%zz&peer_id=${hex(pid)}&${rest}`],
  ['truncated escape %a', `?peer_id=${hex(pid)}&${rest}&info_hash=${hex(ih.subarray(0, 19))}%a`],
  ['lone % at the end of the query', `?peer_id=${hex(pid)}&${rest}&info_hash=${hex(ih.subarray(0, 19))}%`],
  ['bad escape in peer_id', `?info_hash=${hex(ih)}&peer_id=${hex(pid.subarray(0, 19))}%g1&${rest}`],
  ['missing peer_id', `?info_hash=${hex(ih)}&${rest}`],
  ['peer_id too short', `?info_hash=${hex(ih)}&peer_id=-HY0001-short&${rest}`],
  ['peer_id too long', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}X&${rest}`],
  ['missing port', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&uploaded=0&downloaded=0&left=0`],
  ['non-numeric port', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=http&uploaded=0&downloaded=0&left=0`],
  ['empty port', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=&uploaded=0&downloaded=0&left=0`],
  ['port too large (65536)', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=65536&uploaded=0&downloaded=0&left=0`],
  ['port too large (70000)', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=70000&uploaded=0&downloaded=0&left=0`],
  ['negative port', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=-1&uploaded=0&downloaded=0&left=0`],
  ['negative uploaded', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=6881&uploaded=-1&downloaded=0&left=0`],
  ['missing uploaded', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=6881&downloaded=0&left=0`],
  ['missing downloaded', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=6881&uploaded=0&left=0`],
  ['non-numeric downloaded', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=6881&uploaded=0&downloaded=1e3&left=0`],
  ['missing left', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=6881&uploaded=0&downloaded=0`],
  ['non-numeric left', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&port=6881&uploaded=0&downloaded=0&left=lots`],
  ['unknown event', `?info_hash=${hex(ih)}&peer_id=${hex(pid)}&${rest}&event=finished`],
  ['empty query', ''],
  ['empty query after ?', '?'],
  ['punctuation garbage', '?&&;;==%%%=&=x&info_hash&peer_id&port'],
  ['percent garbage', '?%00%zz%%%25%2=%&=%'],
];

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`http errors: malformed announces (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(() => t.stop());

    const validAnnounceStillWorks = async (): Promise<void> => {
      const ok = await announce(announceUrl(t.httpUrl, announceParams(infoHash('errors-valid'), peerId('valid'), { ip: '10.0.0.1', left: 0 })));
      assert.equal(ok.d['failure reason'], undefined);
      assert.equal(ok.d.complete, 1);
    };

    test('the reference query itself is valid (so each case below fails for its own reason)', async () => {
      const res = await get(`${t.httpUrl}/announce?info_hash=${hex(ih)}&peer_id=${hex(pid)}&${rest}`);
      assert.equal(res.status, 200);
      assert.equal(failureOf(res.body), null);
    });

    for (const [name, query] of MALFORMED_QUERIES) {
      test(`${name} → 200 "malformed request"`, async () => {
        const res = await get(`${t.httpUrl}/announce${query}`);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, MALFORMED, res.body.toString('latin1'));
        await validAnnounceStillWorks();
      });
    }

    test('raw high bytes (obs-text) in the query → 200 "malformed request"', async () => {
      const line = Buffer.concat([
        Buffer.from('GET /announce?info_hash=', 'latin1'),
        Buffer.from([0xff, 0xfe, 0x80, 0x7f, 0xc3, 0x28]),
        Buffer.from('&peer_id=\xe9\xe9&port=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'),
      ]);
      const { data, timedOut } = await rawExchange('127.0.0.1', t.httpPort, line);
      assert.equal(timedOut, false);
      const res = parseRawResponse(data);
      assert.equal(res.status, 200, data.toString('latin1'));
      assert.deepEqual(res.body, MALFORMED);
      await validAnnounceStillWorks();
    });

    test('control bytes in the request line do not take the server down', async () => {
      const line = Buffer.from('GET /announce?info_hash=\x01\x02\x00&port=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1');
      // Whatever the HTTP layer does with it (here: no answer), the next client is served.
      await rawExchange('127.0.0.1', t.httpPort, line, 500);
      await validAnnounceStillWorks();
    });

    test('after all that: /check is still alive and requestsBad counted the refusals', async () => {
      const check = await get(`${t.apiUrl}/check`);
      assert.equal(check.status, 200);
      assert.equal(check.body.toString(), 'STILL-ALIVE');
      const stats = await getJson(`${t.apiUrl}/stats`);
      assert.ok((stats.requestsBad as number) >= MALFORMED_QUERIES.length, `requestsBad ${String(stats.requestsBad)}`);
    });
  });

  describe(`http errors: paths and scrape (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, maxScrapeInfoHashes: 3 });
    });
    after(() => t.stop());

    for (const path of ['/', '/foo', '/announce/extra', '/scrapes', '/Announce', '/stats', '/check']) {
      test(`GET ${path} → 404`, async () => {
        assert.equal((await get(`${t.httpUrl}${path}`)).status, 404);
      });
    }

    test('POST /announce → 404 (only GET is served)', async () => {
      const q = queryString(announceParams(ih, pid));
      assert.equal((await request('POST', `${t.httpUrl}/announce?${q}`)).status, 404);
    });

    test('scrape without info_hash → 200 "malformed request"', async () => {
      for (const q of ['', '?', '?foo=bar', '?info_hashx=1']) {
        const res = await get(`${t.httpUrl}/scrape${q}`);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, MALFORMED, `query ${q}`);
      }
    });

    test('scrape with a hash that is not 20 bytes, or a bad escape → "malformed request"', async () => {
      for (const q of [`?info_hash=${hex(ih.subarray(0, 19))}`, `?info_hash=${hex(ih)}00`, `?info_hash=${hex(ih.subarray(0, 19))}%zz`]) {
        const res = await get(`${t.httpUrl}/scrape${q}`);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, MALFORMED, `query ${q}`);
      }
    });

    test('scrape with more than maxScrapeInfoHashes → failure; exactly the maximum → files', async () => {
      const hashes = [1, 2, 3, 4].map((i) => infoHash(`too-many-${i}`));
      const ok = await get(scrapeUrl(t.httpUrl, hashes.slice(0, 3)));
      assert.equal(failureOf(ok.body), null);
      assert.equal(Object.keys(decode(ok.body).files as object).length, 3);
      const res = await get(scrapeUrl(t.httpUrl, hashes));
      assert.equal(res.status, 200);
      const reason = failureOf(res.body);
      assert.ok(reason !== null && reason.length > 0, res.body.toString('latin1'));
      // The failure shape of docs/compatibility.md (`hello world` → d14:failure reason11:hello worlde), for this text.
      assert.deepEqual(res.body, Buffer.from(`d14:failure reason${Buffer.byteLength(reason, 'latin1')}:${reason}e`, 'latin1'));
    });

    test('a failure body has the exact `d14:failure reason<len>:<text>e` shape', async () => {
      const res = await get(`${t.httpUrl}/announce?info_hash=${hex(ih)}`);
      const d = decode(res.body);
      assert.deepEqual(Object.keys(d), ['failure reason']);
      assert.equal(text(d['failure reason']), 'malformed request');
      assert.equal(res.body.toString('latin1'), `d14:failure reason${'malformed request'.length}:malformed requeste`);
    });

    test('/check on the API is still alive', async () => {
      assert.equal((await get(`${t.apiUrl}/check`)).body.toString(), 'STILL-ALIVE');
    });
  });

  describe(`http errors: slow clients (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, httpReadTimeoutMs: 500 });
    });
    after(() => t.stop());

    test('a request that never completes is cut off by uWebSockets.js\'s fixed 10 s timeout (12 s allowed)', async () => {
      const started = Date.now();
      const { timedOut } = await rawExchange('127.0.0.1', t.httpPort, Buffer.from('GET /announce?info_hash=', 'latin1'), 12_000);
      assert.equal(timedOut, false, 'the connection was still open after 12 s');
      assert.ok(Date.now() - started < 12_000);
      // And the tracker still answers others.
      const ok = await announce(announceUrl(t.httpUrl, announceParams(ih, pid, { left: 0 })));
      assert.equal(ok.d['failure reason'], undefined);
    });
  });
}
