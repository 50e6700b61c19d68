// Policies over real sockets: the client whitelist (docs/compatibility.md ClientID vectors, live API changes),
// createOnAnnounce=false with API-created torrents, realIPHeader, allowIPSpoofing=false, and reaping.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, bytes, failureOf, get, getJson, infoHash, peerId, peersOf,
  pick, request, scrapeUrl, sleep, startTestTracker, waitFor, decode, type ParamValue, type TestTracker,
} from '../helpers/tracker.js';

const failureBody = (text: string): Buffer => Buffer.from(`d14:failure reason${text.length}:${text}e`, 'latin1');

/** docs/compatibility.md ClientID vectors: peer_id → ClientID. */
const CLIENT_ID_VECTORS: [string, string][] = [
  ['-AZ3034-6wfG2wk6wWLc', 'AZ3034'],
  ['-UT2300-MNu93JKnm930', 'UT2300'],
  ['T03A0----f089kjsdf6e', 'T03A0-'],
  ['S58B-----nKl34GoNb75', 'S58B--'],
  ['AZ2500BTeYUzyabAfo6U', 'AZ2500'],
  ['OP1011affbecbfabeefb', 'OP1011'],
  ['-ML2.7.2-kgjjfkd9762', 'ML2.7.'],
  ['-A~0010-abcdefghijkl', 'A~0010'],
  ['346------SDFknl33408', '346---'],
];

async function scrapeCounts(t: TestTracker, ih: Buffer): Promise<[number, number, number]> {
  const files = decode((await get(scrapeUrl(t.httpUrl, [ih]))).body).files as Record<string, Record<string, number>>;
  const e = Object.values(files)[0]!;
  return [e.complete!, e.downloaded!, e.incomplete!];
}

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`http policy: client whitelist (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, clientWhitelistEnabled: true, clientWhitelist: ['AZ3034'] });
    });
    after(() => t.stop());

    const ih = infoHash('whitelist');
    const tryAnnounce = async (pid: string): Promise<Buffer> => {
      assert.equal(pid.length, 20);
      const res = await get(announceUrl(t.httpUrl, announceParams(ih, Buffer.from(pid, 'latin1'), { ip: '10.4.0.1', left: 0 })));
      assert.equal(res.status, 200);
      return res.body;
    };
    const NOT_APPROVED = failureBody('client is not approved');

    test('-AZ3034-... is approved when AZ3034 is listed; -UT2300-... is not', async () => {
      assert.equal(failureOf(await tryAnnounce('-AZ3034-6wfG2wk6wWLc')), null);
      assert.deepEqual(await tryAnnounce('-UT2300-MNu93JKnm930'), NOT_APPROVED);
      assert.equal((await get(`${t.apiUrl}/clients/AZ3034`)).status, 200);
      assert.equal((await get(`${t.apiUrl}/clients/UT2300`)).status, 404);
    });

    for (const [pid, clientId] of CLIENT_ID_VECTORS.slice(1)) {
      test(`${pid} → ${clientId}: refused, approved after PUT /clients/${clientId}, refused after DELETE`, async () => {
        const path = `${t.apiUrl}/clients/${encodeURIComponent(clientId)}`;
        assert.deepEqual(await tryAnnounce(pid), NOT_APPROVED);
        assert.equal((await request('PUT', path)).status, 200);
        assert.equal((await get(path)).status, 200);
        assert.equal(failureOf(await tryAnnounce(pid)), null, `${pid} should be approved as ${clientId}`);
        assert.equal((await request('DELETE', path)).status, 200);
        assert.equal((await get(path)).status, 404);
        assert.deepEqual(await tryAnnounce(pid), NOT_APPROVED);
      });
    }

    test('the configured entry can be removed live, and DELETE of an unknown client is 404', async () => {
      assert.equal((await request('DELETE', `${t.apiUrl}/clients/AZ3034`)).status, 200);
      assert.deepEqual(await tryAnnounce('-AZ3034-6wfG2wk6wWLc'), NOT_APPROVED);
      assert.equal((await request('DELETE', `${t.apiUrl}/clients/AZ3034`)).status, 404);
      assert.equal((await request('PUT', `${t.apiUrl}/clients/AZ3034`)).status, 200);
      assert.equal(failureOf(await tryAnnounce('-AZ3034-6wfG2wk6wWLc')), null);
    });

    test('a refused announce does not join the swarm', async () => {
      const fresh = infoHash('whitelist-refused');
      const res = await get(announceUrl(t.httpUrl, announceParams(fresh, Buffer.from('-XX0000-aaaaaaaaaaaa'), { left: 0 })));
      assert.deepEqual(res.body, NOT_APPROVED);
      assert.equal((await get(`${t.apiUrl}/torrents/${fresh.toString('hex')}`)).status, 404);
    });
  });

  describe(`http policy: createOnAnnounce=false (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, createOnAnnounce: false });
    });
    after(() => t.stop());

    test('"torrent does not exist" until PUT /torrents/<hex>; announces work; DELETE removes it', async () => {
      const ih = infoHash('create-on-announce');
      const url = announceUrl(t.httpUrl, announceParams(ih, peerId('coa'), { ip: '10.4.1.1', port: 4101, left: 0 }));
      const hex = ih.toString('hex');
      assert.deepEqual((await get(url)).body, failureBody('torrent does not exist'));
      assert.equal((await get(`${t.apiUrl}/torrents/${hex}`)).status, 404);

      assert.equal((await request('PUT', `${t.apiUrl}/torrents/${hex}`)).status, 200);
      assert.deepEqual(await getJson(`${t.apiUrl}/torrents/${hex}`), { infoHash: hex, seeders: 0, leechers: 0, snatches: 0 });
      const ok = await announce(url);
      assert.equal(ok.d['failure reason'], undefined);
      assert.deepEqual([ok.d.complete, ok.d.incomplete], [1, 0]);
      const l = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('coa-l'), { ip: '10.4.1.2', port: 4102 })));
      assert.deepEqual(peersOf(l.d).v4, ['10.4.1.1:4101']);
      assert.deepEqual(await getJson(`${t.apiUrl}/torrents/${hex}`), { infoHash: hex, seeders: 1, leechers: 1, snatches: 0 });

      assert.equal((await request('DELETE', `${t.apiUrl}/torrents/${hex}`)).status, 200);
      assert.equal((await get(`${t.apiUrl}/torrents/${hex}`)).status, 404);
      assert.deepEqual(await scrapeCounts(t, ih), [0, 0, 0], 'DELETE removes the peers too');
      assert.deepEqual((await get(url)).body, failureBody('torrent does not exist'));
    });

    test('a stopped announce for an unknown torrent is not an error and creates nothing', async () => {
      const ih = infoHash('create-on-announce-stopped');
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('coa-s'), { event: 'stopped' })));
      assert.equal(r.d['failure reason'], undefined);
      assert.equal((await get(`${t.apiUrl}/torrents/${ih.toString('hex')}`)).status, 404);
    });
  });

  describe(`http policy: realIPHeader=X-Forwarded-For (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, realIPHeader: 'X-Forwarded-For' });
    });
    after(() => t.stop());

    /** The endpoint the tracker registered for an announcer sending `headers`, as another peer sees it. */
    const registered = async (tag: string, headers: Record<string, string>): Promise<{ v4: string[]; v6: string[]; raw4: Buffer }> => {
      const ih = infoHash(`real-ip-${tag}`);
      const seed = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId(`rip-${tag}`), { port: 7007, left: 0 })), headers);
      assert.equal(seed.d['failure reason'], undefined);
      // The observer states its own endpoints (allowIPSpoofing is on), so only the seeder's address is in play.
      const obs = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId(`o-${tag}`), { ipv4: '10.4.2.1', ipv6: 'fd00::4:2:1', port: 4201 })));
      return { ...peersOf(obs.d), raw4: bytes(obs.d.peers) };
    };

    test('a chain "203.0.113.7, 10.0.0.1" registers 203.0.113.7 (compact bytes cb 00 71 07 1b 5f)', async () => {
      const r = await registered('chain', { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' });
      assert.deepEqual(r.raw4, Buffer.from('cb0071071b5f', 'hex'));
      assert.deepEqual(r.v6, []);
    });

    test('a single address is taken as is', async () => {
      assert.deepEqual((await registered('single', { 'x-forwarded-for': '198.51.100.2' })).v4, ['198.51.100.2:7007']);
    });

    test('an IPv6 address in the header registers an IPv6 peer', async () => {
      assert.deepEqual(await registered('v6', { 'X-Forwarded-For': '2001:db8::7, 10.0.0.1' }), { v4: [], v6: ['[2001:db8::7]:7007'], raw4: Buffer.alloc(0) });
    });

    test('absent header → the socket address (127.0.0.1)', async () => {
      assert.deepEqual((await registered('absent', {})).v4, ['127.0.0.1:7007']);
    });

    test('garbage header → the socket address', async () => {
      assert.deepEqual((await registered('garbage', { 'X-Forwarded-For': 'not-an-ip, 10.0.0.1' })).v4, ['127.0.0.1:7007']);
    });

    test('empty header → the socket address', async () => {
      assert.deepEqual((await registered('empty', { 'X-Forwarded-For': '' })).v4, ['127.0.0.1:7007']);
    });
  });

  describe(`http policy: proxy header not configured (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(() => t.stop());

    test('X-Forwarded-For is ignored unless realIPHeader names it', async () => {
      const ih = infoHash('no-real-ip-header');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('nrh'), { port: 7008, left: 0 })), { 'X-Forwarded-For': '203.0.113.8' });
      const obs = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('nrh-obs'), { ip: '10.4.3.1', port: 4301 })));
      assert.deepEqual(peersOf(obs.d).v4, ['127.0.0.1:7008']);
    });
  });

  describe(`http policy: allowIPSpoofing=false (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, allowIPSpoofing: false });
    });
    after(() => t.stop());

    test('ip=, ipv4= and ipv6= are ignored: the socket address is registered', async () => {
      const ih = infoHash('no-spoofing');
      const spoof = (id: string, port: number, extra: Record<string, ParamValue>): Promise<{ d: Record<string, unknown> }> =>
        announce(announceUrl(t.httpUrl, announceParams(ih, peerId(id), { port, left: 0, ...extra })));
      await spoof('ns-ip', 7101, { ip: '10.9.8.7' });
      await spoof('ns-v4', 7102, { ipv4: '10.9.8.8' });
      await spoof('ns-v6', 7103, { ipv6: 'fd00::9:8:9' });
      const obs = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ns-obs'), { port: 7104, ip: '10.9.8.10' })));
      assert.deepEqual(peersOf(obs.d).v4.sort(), ['127.0.0.1:7101', '127.0.0.1:7102', '127.0.0.1:7103']);
      assert.deepEqual(peersOf(obs.d).v6, []);
      assert.equal(pick(await getJson(`${t.apiUrl}/stats`), 'peersIPv6.Peers.Current'), 0);
    });
  });

  describe(`http policy: reaping, brief's durations (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, minAnnounceMs: 100, reapRatio: 1, reapIntervalMs: 50 });
    });
    after(() => t.stop());

    test('a peer that stops announcing disappears: scrape goes to 0, Peers.Reaped rises, the torrent is reaped', async () => {
      const ih = infoHash('reap-gone');
      const stats0 = await getJson(`${t.apiUrl}/stats`);
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('reap-1'), { ip: '10.4.4.1', port: 4401 })));
      assert.equal(r.d.incomplete, 1, 'the peer was there');
      await waitFor('the idle peer to be reaped', async () => {
        const [c, , i] = await scrapeCounts(t, ih);
        return c === 0 && i === 0;
      }, 3_000);
      const stats1 = await waitFor('the reap to show in /stats', async () => {
        const s = await getJson(`${t.apiUrl}/stats`);
        return (pick(s, 'peersIPv4.Peers.Reaped') as number) > (pick(stats0, 'peersIPv4.Peers.Reaped') as number) ? s : undefined;
      }, 3_000);
      assert.equal(pick(stats1, 'peersIPv4.Peers.Current'), 0);
      assert.equal(pick(stats1, 'peersIPv4.Peers.Left'), pick(stats0, 'peersIPv4.Peers.Left'), 'reaped, not left');
      assert.ok((stats1.torrentsReaped as number) > (stats0.torrentsReaped as number), 'the emptied torrent is reaped');
      assert.equal((await get(`${t.apiUrl}/torrents/${ih.toString('hex')}`)).status, 404);
    });
  });

  describe(`http policy: reaping keeps active peers (${label})`, () => {
    let t: TestTracker;
    // A 400 ms idle window: a keeper announcing every 50 ms survives event-loop stalls up to ~350 ms.
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, minAnnounceMs: 400, reapRatio: 1, reapIntervalMs: 50 });
    });
    after(() => t.stop());

    test('a peer that keeps announcing stays while an idle one in the same swarm is reaped', async () => {
      const ih = infoHash('reap-keep');
      const keeper = announceUrl(t.httpUrl, announceParams(ih, peerId('reap-keeper'), { ip: '10.4.5.1', port: 4501, left: 0 }));
      await announce(keeper);
      const idle = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('reap-idle'), { ip: '10.4.5.2', port: 4502 })));
      assert.deepEqual([idle.d.complete, idle.d.incomplete], [1, 1]);
      const until = Date.now() + 1_500; // well over 3 idle windows
      let idleGoneAt = 0;
      while (Date.now() < until) {
        const k = await announce(keeper);
        assert.equal(k.d.complete, 1, 'the keeper was reaped although it announced every 50 ms');
        if (idleGoneAt === 0 && k.d.incomplete === 0) idleGoneAt = Date.now();
        await sleep(50);
      }
      assert.notEqual(idleGoneAt, 0, 'the idle peer was never reaped');
      assert.deepEqual(await scrapeCounts(t, ih), [1, 0, 0]);
    });
  });
}
