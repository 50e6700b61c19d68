// HTTP scrape (BEP 48) over real sockets: several hashes, unknown ones as zeros, keys in byte order,
// duplicates answered once, `downloaded` = completed events, no whitelist needed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, asDict, bdecodeStrict, encodeParam, failureOf, get, infoHash,
  peerId, request, scrapeUrl, startTestTracker, type BDict, type TestTracker,
} from '../helpers/tracker.js';

/** A 20-byte hash starting with `first` (to control byte order), the rest from `tag`. */
function hashStartingWith(first: number, tag: string): Buffer {
  const h = infoHash(tag);
  h[0] = first;
  return h;
}

function filesOf(body: Buffer): BDict {
  const top = asDict(bdecodeStrict(body)); // throws on unsorted or duplicate keys
  assert.deepEqual([...top.keys()], ['files']);
  return asDict(top.get('files'));
}

function countsOf(files: BDict, ih: Buffer): [number, number, number] {
  const e = asDict(files.get(ih.toString('latin1')));
  assert.deepEqual([...e.keys()], ['complete', 'downloaded', 'incomplete']);
  return [e.get('complete') as number, e.get('downloaded') as number, e.get('incomplete') as number];
}

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`http scrape (${label})`, () => {
    let t: TestTracker;
    const a = hashStartingWith(0xff, 'scrape-a');
    const b = hashStartingWith(0x00, 'scrape-b');
    const c = hashStartingWith(0x80, 'scrape-c'); // never announced
    const d = hashStartingWith(0x7f, 'scrape-d'); // never announced
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
      const ann = (ih: Buffer, id: string, extra: Record<string, string | number>): Promise<unknown> =>
        announce(announceUrl(t.httpUrl, announceParams(ih, peerId(id), { ip: '10.1.0.1', port: 1000, ...extra })));
      // a: one seeder that completed, one that started as a seeder, one leecher → (2, 1, 1)
      await ann(a, 'sa-1', { event: 'started', left: 50 });
      await ann(a, 'sa-1', { event: 'completed', left: 0 });
      await ann(a, 'sa-2', { event: 'started', left: 0 });
      await ann(a, 'sa-3', { event: 'started', left: 50 });
      // b: two leechers that both completed, one of them then stopped → (1, 2, 0)
      await ann(b, 'sb-1', { left: 10 });
      await ann(b, 'sb-2', { left: 10 });
      await ann(b, 'sb-1', { event: 'completed', left: 0 });
      await ann(b, 'sb-2', { event: 'completed', left: 0 });
      await ann(b, 'sb-2', { event: 'stopped', left: 0 });
    });
    after(() => t.stop());

    test('one known hash: the byte-exact BEP 48 body', async () => {
      const res = await get(scrapeUrl(t.httpUrl, [a]));
      assert.equal(res.status, 200);
      const expected = Buffer.concat([
        Buffer.from('d5:filesd20:', 'latin1'), a,
        Buffer.from('d8:completei2e10:downloadedi1e10:incompletei1eeee', 'latin1'),
      ]);
      assert.deepEqual(res.body, expected);
    });

    test('several hashes, known and unknown (zeros), keys sorted by bytes whatever the request order', async () => {
      const res = await get(scrapeUrl(t.httpUrl, [a, c, b, d]));
      assert.equal(res.status, 200);
      const files = filesOf(res.body);
      assert.deepEqual([...files.keys()], [b, d, c, a].map((h) => h.toString('latin1')));
      assert.deepEqual(countsOf(files, a), [2, 1, 1]);
      assert.deepEqual(countsOf(files, b), [1, 2, 0]);
      assert.deepEqual(countsOf(files, c), [0, 0, 0]);
      assert.deepEqual(countsOf(files, d), [0, 0, 0]);
    });

    test('a duplicated hash is answered once', async () => {
      const res = await get(scrapeUrl(t.httpUrl, [a, b, a, a]));
      const files = filesOf(res.body);
      assert.equal(files.size, 2);
      assert.deepEqual(countsOf(files, a), [2, 1, 1]);
    });

    test('scraping an unknown hash does not create it', async () => {
      await get(scrapeUrl(t.httpUrl, [c]));
      assert.equal((await get(`${t.apiUrl}/torrents/${c.toString('hex')}`)).status, 404);
    });

    test('`downloaded` follows completed events (and only them)', async () => {
      const ih = infoHash('scrape-downloaded');
      const ann = (id: string, extra: Record<string, string | number>): Promise<unknown> =>
        announce(announceUrl(t.httpUrl, announceParams(ih, peerId(id), { ip: '10.1.0.2', port: 1001, ...extra })));
      await ann('dl-1', { left: 9 });
      await ann('dl-2', { left: 0 }); // a seeder from the start: not a snatch
      assert.deepEqual(countsOf(filesOf((await get(scrapeUrl(t.httpUrl, [ih]))).body), ih), [1, 0, 1]);
      await ann('dl-1', { event: 'completed', left: 0 });
      assert.deepEqual(countsOf(filesOf((await get(scrapeUrl(t.httpUrl, [ih]))).body), ih), [2, 1, 0]);
      await ann('dl-3', { event: 'completed', left: 0 }); // completed on first sight counts too
      assert.deepEqual(countsOf(filesOf((await get(scrapeUrl(t.httpUrl, [ih]))).body), ih), [3, 2, 0]);
    });

    test('`;` separates parameters too', async () => {
      const res = await get(`${t.httpUrl}/scrape?info_hash=${encodeParam(a)};info_hash=${encodeParam(b)}`);
      const files = filesOf(res.body);
      assert.equal(files.size, 2);
      assert.deepEqual(countsOf(files, b), [1, 2, 0]);
    });

    test('POST /scrape is not served (404)', async () => {
      assert.equal((await request('POST', scrapeUrl(t.httpUrl, [a]))).status, 404);
    });
  });

  describe(`http scrape: no whitelist needed (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, clientWhitelistEnabled: true, clientWhitelist: ['AZ3034'] });
    });
    after(() => t.stop());

    test('a scrape is answered while announces from unlisted clients are refused', async () => {
      const ih = infoHash('scrape-whitelist');
      const ok = await announce(announceUrl(t.httpUrl, announceParams(ih, Buffer.from('-AZ3034-6wfG2wk6wWLc'), { left: 0 })));
      assert.equal(ok.d['failure reason'], undefined);
      const refused = await get(announceUrl(t.httpUrl, announceParams(ih, Buffer.from('-UT2300-MNu93JKnm930'))));
      assert.equal(failureOf(refused.body), 'client is not approved');
      const res = await get(scrapeUrl(t.httpUrl, [ih, infoHash('scrape-whitelist-unknown')]));
      assert.equal(res.status, 200);
      assert.equal(failureOf(res.body), null);
      const files = filesOf(res.body);
      assert.deepEqual(countsOf(files, ih), [1, 0, 0]);
      assert.deepEqual(countsOf(files, infoHash('scrape-whitelist-unknown')), [0, 0, 0]);
    });
  });
}
