// The UDP tracker (BEP 15) over real sockets, on 127.0.0.1 and on [::1]: connect → announce → peers,
// 6-byte peers to IPv4 sources and 18-byte peers to IPv6 sources, seeders/leechers/completed through
// the events, num_want, scrape order and the 74-hash bound, the IP field with and without
// allowIPSpoofing, whitelist and createOnAnnounce errors, connection IDs bound to the tracker instance
// and source address, and one swarm shared by an HTTP peer and a UDP peer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, getJson, infoHash, peerId, peersOf, pick, request, startTestTracker,
  waitFor, type TestTracker,
} from '../helpers/tracker.js';
import {
  UdpAction, UdpClient, UdpEvent, announcePacket, canBind, connectPacket, newTransactionId, parseReply, scrapePacket,
  type AnnounceReply, type ErrorReply, type UdpClient as UdpClientType,
} from '../helpers/udp-client.js';

const INTERVAL_S = 1800;
const DEFAULT_NUM_WANT = 3;
const MAX_NUM_WANT = 4;

const v6Available = await canBind('::1');
const dualStackAvailable = v6Available && (await canBind('::'));
const altSourceAvailable = await canBind('127.0.0.2');

function udpPort(t: TestTracker): number {
  const p = t.tracker.ports.udp;
  assert.ok(typeof p === 'number' && p > 0, 'the tracker listens on UDP');
  return p;
}

function isError(r: AnnounceReply | ErrorReply): r is ErrorReply {
  return r.action === UdpAction.Error;
}

function expectAnnounce(r: AnnounceReply | ErrorReply): AnnounceReply {
  if (isError(r)) assert.fail(`expected an announce reply, got error "${r.message}"`);
  return r;
}

function expectError(r: AnnounceReply | ErrorReply): ErrorReply {
  if (!isError(r)) assert.fail(`expected an error reply, got an announce reply with ${r.peers.length} peers`);
  return r;
}

/** The swarm tests shared by both address families. */
function swarmSuite(family: 4 | 6, workers: number): void {
  const host = family === 4 ? '127.0.0.1' : '::1';
  const self = family === 4 ? '127.0.0.1' : '[::1]';
  const peerBytes = family === 4 ? 6 : 18;
  const tag = (s: string): string => `udp-${family}-${workers}-${s}`;
  const at = (port: number): string => `${self}:${port}`;

  let t: TestTracker;
  let c: UdpClientType;
  before(async () => {
    t = await startTestTracker({
      workers,
      udpListenAddr: family === 4 ? '127.0.0.1:0' : '[::1]:0',
      announceMs: INTERVAL_S * 1000,
      defaultNumWant: DEFAULT_NUM_WANT,
      maxNumWant: MAX_NUM_WANT,
    });
    c = await UdpClient.open({ host, port: udpPort(t) });
  });
  after(async () => {
    await c?.close();
    await t?.stop();
  });

  test('connect: a 16-byte reply, action 0, the transaction id echoed, a non-zero connection id', async () => {
    const tx = newTransactionId();
    const raw = await c.request(connectPacket(tx));
    assert.equal(raw.length, 16);
    const r = parseReply(raw, c.peerBytes);
    assert.equal(r.action, UdpAction.Connect);
    assert.equal(r.transactionId, tx);
    assert.ok(r.action === UdpAction.Connect && !r.connectionId.equals(Buffer.alloc(8)), 'connection id is not all zeros');
  });

  test(`connect → announce → peers (${peerBytes}-byte entries), interval and transaction id`, async () => {
    const ih = infoHash(tag('basic'));
    const cid = await c.connect();
    const tx = newTransactionId();
    const raw = await c.request(announcePacket({ connectionId: cid, transactionId: tx, infoHash: ih, peerId: peerId('b-seed'), left: 0, event: UdpEvent.Started, port: 7001 }));
    const r1 = expectAnnounce(parseReply(raw, c.peerBytes) as AnnounceReply | ErrorReply);
    assert.equal(r1.transactionId, tx);
    assert.equal(r1.interval, INTERVAL_S);
    assert.deepEqual([r1.seeders, r1.leechers], [1, 0]);
    assert.equal((raw.length - 20) % peerBytes, 0, `peer entries are ${peerBytes} bytes`);
    // A lone peer: chihaya answers with the announcer itself or nothing; never anybody else.
    for (const p of r1.peers) assert.equal(p, at(7001));

    const r2 = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: peerId('b-leech'), left: 100, event: UdpEvent.Started, port: 7002 }));
    assert.deepEqual([r2.seeders, r2.leechers], [1, 1]);
    assert.deepEqual(r2.peers, [at(7001)]);
    assert.equal(r2.length, 20 + peerBytes);

    // the seeder announces again: it gets the leecher
    const r3 = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: peerId('b-seed'), left: 0, port: 7001 }));
    assert.deepEqual([r3.seeders, r3.leechers], [1, 1]);
    assert.deepEqual(r3.peers, [at(7002)]);
  });

  test('a connection id is reusable, and a fresh connect per announce works too', async () => {
    const ih = infoHash(tag('reuse'));
    const cid = await c.connect();
    for (let i = 0; i < 3; i++) {
      const r = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: peerId(`r${i}`), left: 100, port: 7100 + i }));
      assert.equal(r.leechers, i + 1);
    }
    const r = expectAnnounce(await c.announce({ infoHash: ih, peerId: peerId('r3'), left: 100, port: 7103 }));
    assert.equal(r.leechers, 4);
  });

  test('events: started, completed (a snatch, leecher → seeder), stopped (removed); scrape agrees', async () => {
    const ih = infoHash(tag('events'));
    const a = peerId('ev-a');
    const b = peerId('ev-b');
    const cid = await c.connect();
    const scrape = async (): Promise<[number, number, number]> => {
      const [e] = await c.scrapeOk([ih], cid);
      assert.ok(e);
      return [e.seeders, e.completed, e.leechers];
    };
    let r = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: a, left: 0, event: UdpEvent.Started, port: 7201 }));
    assert.deepEqual([r.seeders, r.leechers], [1, 0]);
    r = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: b, left: 500, event: UdpEvent.Started, port: 7202 }));
    assert.deepEqual([r.seeders, r.leechers], [1, 1]);
    assert.deepEqual(r.peers, [at(7201)]);
    assert.deepEqual(await scrape(), [1, 0, 1]);

    r = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: b, left: 0, event: UdpEvent.Completed, port: 7202 }));
    assert.deepEqual([r.seeders, r.leechers], [2, 0]);
    assert.deepEqual(await scrape(), [2, 1, 0], 'completed counts one snatch');

    // a regular announce (event none) as a seeder does not snatch again
    r = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: b, left: 0, event: UdpEvent.None, port: 7202 }));
    assert.deepEqual(await scrape(), [2, 1, 0]);

    r = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: b, left: 0, event: UdpEvent.Stopped, port: 7202 }));
    assert.deepEqual([r.seeders, r.leechers], [1, 0]);
    assert.deepEqual(r.peers, [], 'no peer list after stopped');
    assert.equal(r.length, 20);
    assert.deepEqual(await scrape(), [1, 1, 0]);

    // a newcomer sees only a
    r = expectAnnounce(await c.announce({ connectionId: cid, infoHash: ih, peerId: peerId('ev-c'), left: 9, event: UdpEvent.Started, port: 7203 }));
    assert.deepEqual(r.peers, [at(7201)]);
    assert.deepEqual([r.seeders, r.leechers], [1, 1]);
  });

  test(`num_want: -1 gives defaultNumWant (${DEFAULT_NUM_WANT}), 0 none, 2 two, 1000 at most maxNumWant (${MAX_NUM_WANT})`, async () => {
    const ih = infoHash(tag('numwant'));
    const cid = await c.connect();
    const seeders = new Set<string>();
    for (let i = 0; i < 6; i++) {
      await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId(`nw-s${i}`), left: 0, event: UdpEvent.Started, port: 7300 + i, numWant: 0 });
      seeders.add(at(7300 + i));
    }
    const leech = (numWant: number): Promise<AnnounceReply> =>
      c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId('nw-l'), left: 10, port: 7399, numWant });
    const check = (r: AnnounceReply, n: number, what: string): void => {
      assert.equal(r.peers.length, n, what);
      assert.equal(r.length, 20 + n * peerBytes, what);
      assert.equal(new Set(r.peers).size, n, `${what}: no duplicates`);
      for (const p of r.peers) assert.ok(seeders.has(p), `${what}: ${p} is one of the seeders`);
      assert.deepEqual([r.seeders, r.leechers], [6, 1], what);
    };
    check(await leech(-1), DEFAULT_NUM_WANT, 'num_want -1');
    check(await leech(0), 0, 'num_want 0');
    check(await leech(2), 2, 'num_want 2');
    check(await leech(1000), MAX_NUM_WANT, 'num_want 1000');
  });

  test('scrape: several hashes answered in request order, unknown hashes as zeros', async () => {
    const a = infoHash(tag('scrape-a'));
    const b = infoHash(tag('scrape-b'));
    const unknown = infoHash(tag('scrape-unknown'));
    const cid = await c.connect();
    // a: 2 seeders (one via completed) + 1 leecher; b: 1 leecher
    await c.announceOk({ connectionId: cid, infoHash: a, peerId: peerId('sa1'), left: 0, event: UdpEvent.Started, port: 7401 });
    await c.announceOk({ connectionId: cid, infoHash: a, peerId: peerId('sa2'), left: 5, event: UdpEvent.Started, port: 7402 });
    await c.announceOk({ connectionId: cid, infoHash: a, peerId: peerId('sa2'), left: 0, event: UdpEvent.Completed, port: 7402 });
    await c.announceOk({ connectionId: cid, infoHash: a, peerId: peerId('sa3'), left: 5, event: UdpEvent.Started, port: 7403 });
    await c.announceOk({ connectionId: cid, infoHash: b, peerId: peerId('sb1'), left: 5, event: UdpEvent.Started, port: 7404 });
    const A = { seeders: 2, completed: 1, leechers: 1 };
    const B = { seeders: 0, completed: 0, leechers: 1 };
    const Z = { seeders: 0, completed: 0, leechers: 0 };

    const tx = newTransactionId();
    const raw = await c.request(scrapePacket(cid, [a, unknown, b], tx));
    assert.equal(raw.length, 8 + 3 * 12);
    const r = parseReply(raw, c.peerBytes);
    assert.equal(r.action, UdpAction.Scrape);
    assert.equal(r.transactionId, tx);
    assert.ok(r.action === UdpAction.Scrape);
    assert.deepEqual(r.entries, [A, Z, B]);
    assert.deepEqual(await c.scrapeOk([b, a, unknown], cid), [B, A, Z], 'another order');
    assert.deepEqual(await c.scrapeOk([unknown], cid), [Z]);
    assert.deepEqual(await c.scrapeOk([a, a], cid), [A, A], 'a repeated hash is answered at each position');
  });

  test(`/stats: UDP announces and scrapes counted, the peers under peersIPv${family}`, async () => {
    const fam = `peersIPv${family}`;
    const before = await getJson(`${t.apiUrl}/stats`);
    const ih = infoHash(tag('stats'));
    const cid = await c.connect();
    await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId('st-seed'), left: 0, event: UdpEvent.Started, port: 7501 });
    await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId('st-leech'), left: 7, event: UdpEvent.Started, port: 7502 });
    await c.scrapeOk([ih], cid);
    const delta = (now: Record<string, unknown>, path: string): number => Number(pick(now, path)) - Number(pick(before, path));
    const now = await waitFor('the swarm figures in /stats', async () => {
      const st = await getJson(`${t.apiUrl}/stats`);
      return delta(st, `${fam}.Peers.Current`) === 2 ? st : undefined;
    });
    assert.equal(delta(now, 'trackerAnnounces'), 2, 'connects are not announces');
    assert.equal(delta(now, 'trackerScrapes'), 1);
    assert.equal(delta(now, `${fam}.Seeds.Current`), 1);
    assert.equal(delta(now, `peersIPv${family === 4 ? 6 : 4}.Peers.Current`), 0, 'nothing in the other family');
    assert.equal(delta(now, 'udpPacketsBad'), 0);
  });

  test('scrape of 74 hashes is answered; 75 or 80 are refused as a whole (as over HTTP), never cut', async () => {
    const cid = await c.connect();
    const known = infoHash(tag('scrape-74'));
    await c.announceOk({ connectionId: cid, infoHash: known, peerId: peerId('s74'), left: 0, event: UdpEvent.Started, port: 7410 });
    const hashes = Array.from({ length: 80 }, (_, i) => (i === 73 || i === 74 ? known : infoHash(tag(`s74-${i}`))));
    const r = parseReply(await c.request(scrapePacket(cid, hashes.slice(0, 74))), c.peerBytes);
    assert.ok(r.action === UdpAction.Scrape);
    assert.equal(r.entries.length, 74);
    assert.deepEqual(r.entries[73], { seeders: 1, completed: 0, leechers: 0 }, 'the 74th hash (a known one) is answered');
    assert.deepEqual(r.entries[0], { seeders: 0, completed: 0, leechers: 0 });
    for (const n of [75, 80]) {
      const pkt = scrapePacket(cid, hashes.slice(0, n));
      const raw = await c.request(pkt);
      const e = parseReply(raw, c.peerBytes);
      assert.equal(e.action === UdpAction.Error && e.message, 'too many info_hash values in one scrape', `${n} hashes`);
      assert.ok(raw.length < pkt.length);
    }
  });
}

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`udp tracker on 127.0.0.1: swarm (${label})`, () => swarmSuite(4, workers));

  describe(`udp tracker on [::1]: swarm, 18-byte peers (${label})${v6Available ? '' : ' (SKIPPED: cannot bind ::1)'}`,
    { skip: v6Available ? false : 'cannot bind a UDP socket on ::1' }, () => swarmSuite(6, workers));

  describe(`udp tracker on [::]:0 (dual stack): IPv4 sources get 6-byte peers, IPv6 sources 18-byte (${label})${dualStackAvailable ? '' : ' (SKIPPED: cannot bind ::)'}`,
    { skip: dualStackAvailable ? false : 'cannot bind a UDP socket on ::' }, () => {
      let t: TestTracker;
      let c4: UdpClientType;
      let c6: UdpClientType;
      before(async () => {
        t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '[::]:0' });
        c4 = await UdpClient.open({ host: '127.0.0.1', port: udpPort(t) });
        c6 = await UdpClient.open({ host: '::1', port: udpPort(t) });
      });
      after(async () => {
        await c4?.close();
        await c6?.close();
        await t?.stop();
      });

      test('IPv4 peers (arriving as ::ffff:127.0.0.1) see each other in 6-byte form; IPv6 peers in 18-byte form', async () => {
        const ih = infoHash(`udp-dual-${workers}`);
        await c4.announceOk({ infoHash: ih, peerId: peerId('d4a'), left: 0, event: UdpEvent.Started, port: 7501 });
        const r4 = await c4.announceOk({ infoHash: ih, peerId: peerId('d4b'), left: 10, event: UdpEvent.Started, port: 7502 });
        assert.deepEqual(r4.peers, ['127.0.0.1:7501']);
        assert.equal(r4.length, 20 + 6);
        const r6 = await c6.announceOk({ infoHash: ih, peerId: peerId('d6a'), left: 10, event: UdpEvent.Started, port: 7601 });
        assert.deepEqual([r6.seeders, r6.leechers], [1, 2]);
        assert.ok(r6.peers.every((p) => p.startsWith('[')), `only IPv6 entries to an IPv6 source: ${r6.peers.join(', ')}`);
        assert.equal((r6.length - 20) % 18, 0);
        const r6b = await c6.announceOk({ infoHash: ih, peerId: peerId('d6b'), left: 0, event: UdpEvent.Started, port: 7602 });
        assert.deepEqual(r6b.peers, ['[::1]:7601'], 'the IPv6 seeder gets the IPv6 leecher');
      });

      test('allowIPSpoofing: an IPv6 source with an IP field is also reachable over IPv4 (a dual-stacked peer)', async () => {
        const ih = infoHash(`udp-dual-spoof-${workers}`);
        const r6 = await c6.announceOk({ infoHash: ih, peerId: peerId('ds6'), left: 0, event: UdpEvent.Started, ip: '10.20.30.40', port: 7611 });
        // (seeders: the engine counts a dual-stacked peer once per family, so 1 or 2 is not asserted here)
        assert.ok(r6.seeders >= 1 && r6.leechers === 0);
        const r4 = await c4.announceOk({ infoHash: ih, peerId: peerId('ds4'), left: 10, event: UdpEvent.Started, port: 7612 });
        assert.deepEqual(r4.peers, ['10.20.30.40:7611'], 'the IPv4 leecher gets the seeder\'s IPv4 endpoint');
        const r6b = await c6.announceOk({ infoHash: ih, peerId: peerId('ds6b'), left: 10, event: UdpEvent.Started, port: 7613 });
        assert.deepEqual(r6b.peers, ['[::1]:7611'], 'an IPv6 leecher gets its IPv6 endpoint');
        assert.equal(r6b.leechers, 2);
      });

      test('dualStackedPeers false: an IPv6 source naming an IPv4 address keeps only that IPv4 endpoint', async () => {
        const single = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '[::]:0', dualStackedPeers: false });
        const s4 = await UdpClient.open({ host: '127.0.0.1', port: udpPort(single) });
        const s6 = await UdpClient.open({ host: '::1', port: udpPort(single) });
        try {
          const ih = infoHash(`udp-single-stack-${workers}`);
          const r6 = await s6.announceOk({ infoHash: ih, peerId: peerId('ss6'), left: 0, event: UdpEvent.Started, ip: '10.20.30.41', port: 7621 });
          assert.equal(r6.seeders, 1, 'one endpoint, counted once');
          const r4 = await s4.announceOk({ infoHash: ih, peerId: peerId('ss4'), left: 10, event: UdpEvent.Started, port: 7622 });
          assert.deepEqual(r4.peers, ['10.20.30.41:7621'], 'the IPv4 leecher gets the endpoint the seeder named');
          const r6b = await s6.announceOk({ infoHash: ih, peerId: peerId('ss6b'), left: 10, event: UdpEvent.Started, port: 7623 });
          assert.deepEqual(r6b.peers, ['[::1]:7623'], 'no IPv6 endpoint was stored for the seeder (only itself comes back)');
        } finally {
          await s4.close();
          await s6.close();
          await single.stop();
        }
      });

      test('a connection id issued to 127.0.0.1 is not accepted from ::1', async () => {
        const cid4 = await c4.connect();
        const pkt = announcePacket({ connectionId: cid4, infoHash: infoHash('dual-cross'), peerId: peerId('dx'), left: 1, port: 7603 });
        const got = await c6.collect(pkt, 300);
        for (const m of got) {
          const r = parseReply(m, 18);
          assert.equal(r.action, UdpAction.Error);
          assert.ok(m.length <= pkt.length);
        }
      });
    });

  for (const allowIPSpoofing of [true, false]) {
    describe(`udp: the IP field with allowIPSpoofing=${allowIPSpoofing} (${label})`, () => {
      let t: TestTracker;
      let c: UdpClientType;
      before(async () => {
        t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0', allowIPSpoofing });
        c = await UdpClient.open({ host: '127.0.0.1', port: udpPort(t) });
      });
      after(async () => {
        await c?.close();
        await t?.stop();
      });

      test(allowIPSpoofing ? 'a non-zero IP field is the peer\'s address' : 'the IP field is ignored: the source address is used', async () => {
        const ih = infoHash(`udp-spoof-${allowIPSpoofing}-${workers}`);
        await c.announceOk({ infoHash: ih, peerId: peerId('spoof-a'), left: 0, event: UdpEvent.Started, ip: '10.9.8.7', port: 7701 });
        const r = await c.announceOk({ infoHash: ih, peerId: peerId('spoof-b'), left: 10, event: UdpEvent.Started, port: 7702 });
        assert.deepEqual(r.peers, [allowIPSpoofing ? '10.9.8.7:7701' : '127.0.0.1:7701']);
        // an IP field of 0 always means the source address
        const r0 = await c.announceOk({ infoHash: ih, peerId: peerId('spoof-c'), left: 0, event: UdpEvent.Started, port: 7703 });
        assert.ok(r0.peers.includes('127.0.0.1:7702'), `the leecher is 127.0.0.1:7702: ${r0.peers.join(', ')}`);
      });
    });
  }

  describe(`udp: client whitelist (${label})`, () => {
    let t: TestTracker;
    let c: UdpClientType;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0', clientWhitelistEnabled: true, clientWhitelist: ['HY0001'] });
      c = await UdpClient.open({ host: '127.0.0.1', port: udpPort(t) });
    });
    after(async () => {
      await c?.close();
      await t?.stop();
    });

    test('an unlisted client gets error "client is not approved" (and is not added); a listed one is served', async () => {
      const ih = infoHash(`udp-wl-${workers}`);
      const cid = await c.connect();
      const pkt = announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('bad', '-XX0001-'), left: 0, event: UdpEvent.Started, port: 7801 });
      const raw = await c.request(pkt);
      const e = parseReply(raw, 6);
      assert.equal(e.action, UdpAction.Error);
      assert.ok(e.action === UdpAction.Error);
      assert.equal(e.message, 'client is not approved');
      assert.equal(e.transactionId, pkt.readUInt32BE(12));
      assert.ok(raw.length <= pkt.length);
      const ok = await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId('good'), left: 10, event: UdpEvent.Started, port: 7802 });
      assert.deepEqual([ok.seeders, ok.leechers], [0, 1], 'the refused client was not added');
      // scrape needs no whitelist
      assert.deepEqual(await c.scrapeOk([ih], cid), [{ seeders: 0, completed: 0, leechers: 1 }]);
    });
  });

  describe(`udp: createOnAnnounce=false (${label})`, () => {
    let t: TestTracker;
    let c: UdpClientType;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0', createOnAnnounce: false });
      c = await UdpClient.open({ host: '127.0.0.1', port: udpPort(t) });
    });
    after(async () => {
      await c?.close();
      await t?.stop();
    });

    test('an unknown torrent gets error "torrent does not exist"; after PUT /torrents/:infohash the announce is served', async () => {
      const ih = infoHash(`udp-coa-${workers}`);
      // scraping an unknown torrent answers zeros and does not create it
      assert.deepEqual(await c.scrapeOk([ih]), [{ seeders: 0, completed: 0, leechers: 0 }]);
      const tx = newTransactionId();
      const e = expectError(await c.announce({ transactionId: tx, infoHash: ih, peerId: peerId('coa'), left: 0, event: UdpEvent.Started, port: 7901 }));
      assert.equal(e.message, 'torrent does not exist');
      assert.equal(e.transactionId, tx);
      assert.deepEqual(await c.scrapeOk([ih]), [{ seeders: 0, completed: 0, leechers: 0 }]);
      const put = await request('PUT', `${t.apiUrl}/torrents/${ih.toString('hex')}`);
      assert.equal(put.status, 200);
      const r = await c.announceOk({ infoHash: ih, peerId: peerId('coa'), left: 0, event: UdpEvent.Started, port: 7901 });
      assert.deepEqual([r.seeders, r.leechers], [1, 0]);
    });
  });

  describe(`udp: connection ids (${label})`, () => {
    let t: TestTracker;
    let other: TestTracker;
    let c: UdpClientType;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0' });
      other = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0' });
      c = await UdpClient.open({ host: '127.0.0.1', port: udpPort(t) });
    });
    after(async () => {
      await c?.close();
      await t?.stop();
      await other?.stop();
    });

    test('an id issued by another tracker process (another secret) is refused, never answered with peers', async () => {
      const c2 = await UdpClient.open({ host: '127.0.0.1', port: udpPort(other) });
      try {
        const foreign = await c2.connect();
        const mine = await c.connect();
        assert.ok(!foreign.equals(mine), 'two trackers give the same source different ids (not a constant)');
        const ih = infoHash(`udp-cid-${workers}`);
        const pkt = announcePacket({ connectionId: foreign, infoHash: ih, peerId: peerId('cid'), left: 0, event: UdpEvent.Started, port: 7951 });
        const got = await c.collect(pkt, 300);
        assert.ok(got.length <= 1);
        for (const m of got) {
          const r = parseReply(m, 6);
          assert.equal(r.action, UdpAction.Error);
          assert.ok(r.action === UdpAction.Error && 'bad connection ID'.startsWith(r.message), r.action === UdpAction.Error ? r.message : '');
          assert.ok(m.length <= pkt.length);
        }
        assert.deepEqual(await c.scrapeOk([ih], mine), [{ seeders: 0, completed: 0, leechers: 0 }], 'the refused announce added nobody');
      } finally {
        await c2.close();
      }
    });

    test('an id stays valid for at least 2 minutes (BEP 15) and expires within 3 (the I/O threads\' clocks are shifted)', { timeout: 15_000 }, async () => {
      const cid = await c.connect();
      const ih = infoHash(`udp-cid-life-${workers}`);
      const shift = async (offsetMs: number): Promise<void> => {
        for (let i = 0; i < t.tracker.io.count; i++) t.tracker.injectFault(i, 'clock-offset', offsetMs);
        await new Promise((r) => setTimeout(r, 50)); // the threads take the message between datagrams
      };
      const at = async (offsetMs: number, tag: string): Promise<AnnounceReply | ErrorReply | null> => {
        await shift(offsetMs);
        try {
          const pkt = announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId(tag), left: 0, event: UdpEvent.Started, port: 7970 });
          const got = await c.collect(pkt, 300);
          assert.ok(got.length <= 1);
          return got.length === 0 ? null : (parseReply(got[0]!, 6) as AnnounceReply | ErrorReply);
        } finally {
          await shift(0);
        }
      };
      const r60 = await at(60_000, 'life60');
      assert.equal(r60?.action, UdpAction.Announce, 'accepted after 1 minute');
      const r120 = await at(120_000, 'life120');
      assert.equal(r120?.action, UdpAction.Announce, 'accepted after 2 minutes');
      const r181 = await at(181_000, 'life181');
      assert.ok(r181 === null || r181.action === UdpAction.Error, 'refused after 3 minutes');
      const r1d = await at(86_400_000, 'life1d');
      assert.ok(r1d === null || r1d.action === UdpAction.Error, 'refused a day later');
      const rPast = await at(-120_000, 'lifepast');
      assert.ok(rPast === null || rPast.action === UdpAction.Error, 'refused before it was issued (a future window)');
      // a fresh id works again at the real time
      await c.announceOk({ infoHash: ih, peerId: peerId('life-now'), left: 0, port: 7971 });
    });

    test(`an id issued to 127.0.0.2 is refused from 127.0.0.1${altSourceAvailable ? '' : ' (SKIPPED: cannot bind 127.0.0.2)'}`,
      { skip: altSourceAvailable ? false : 'cannot bind 127.0.0.2' }, async () => {
        const alt = await UdpClient.open({ host: '127.0.0.1', port: udpPort(t), bindAddress: '127.0.0.2' });
        try {
          const altId = await alt.connect();
          const mine = await c.connect();
          assert.ok(!altId.equals(mine), 'the id depends on the source address');
          const ih = infoHash(`udp-cid-alt-${workers}`);
          // accepted from the address it was issued to
          const fromAlt = await alt.announceOk({ connectionId: altId, infoHash: ih, peerId: peerId('alt'), left: 0, event: UdpEvent.Started, port: 7961 });
          assert.deepEqual(fromAlt.peers, ['127.0.0.2:7961']);
          const pkt = announcePacket({ connectionId: altId, infoHash: ih, peerId: peerId('alt-forged'), left: 5, event: UdpEvent.Started, port: 7962 });
          const got = await c.collect(pkt, 300);
          for (const m of got) {
            const r = parseReply(m, 6);
            assert.equal(r.action, UdpAction.Error);
            assert.ok(m.length <= pkt.length);
          }
          assert.deepEqual(await c.scrapeOk([ih], mine), [{ seeders: 1, completed: 0, leechers: 0 }], 'the forged announce added nobody');
        } finally {
          await alt.close();
        }
      });
  });

  describe(`udp + http: one swarm (${label})`, () => {
    let t: TestTracker;
    let c: UdpClientType;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0' });
      c = await UdpClient.open({ host: '127.0.0.1', port: udpPort(t) });
    });
    after(async () => {
      await c?.close();
      await t?.stop();
    });

    test('an HTTP seeder and a UDP leecher of one torrent see each other; scrape over both agrees', async () => {
      const ih = infoHash(`udp-http-${workers}`);
      const httpPeer = peerId('http-seed');
      const first = await announce(announceUrl(t.httpUrl, announceParams(ih, httpPeer, { ip: '127.0.0.1', port: 8101, left: 0, event: 'started', compact: 1 })));
      assert.equal(first.d.complete, 1);
      const u = await c.announceOk({ infoHash: ih, peerId: peerId('udp-leech'), left: 100, event: UdpEvent.Started, port: 8102 });
      assert.deepEqual([u.seeders, u.leechers], [1, 1]);
      assert.deepEqual(u.peers, ['127.0.0.1:8101'], 'the UDP peer gets the HTTP peer');
      const again = await announce(announceUrl(t.httpUrl, announceParams(ih, httpPeer, { ip: '127.0.0.1', port: 8101, left: 0, compact: 1 })));
      assert.deepEqual([again.d.complete, again.d.incomplete], [1, 1]);
      assert.deepEqual(peersOf(again.d).v4, ['127.0.0.1:8102'], 'the HTTP peer gets the UDP peer');
      assert.deepEqual(await c.scrapeOk([ih]), [{ seeders: 1, completed: 0, leechers: 1 }]);
      // the UDP leecher completes: HTTP sees the snatch
      await c.announceOk({ infoHash: ih, peerId: peerId('udp-leech'), left: 0, event: UdpEvent.Completed, port: 8102 });
      const third = await announce(announceUrl(t.httpUrl, announceParams(ih, httpPeer, { ip: '127.0.0.1', port: 8101, left: 0, compact: 1 })));
      assert.deepEqual([third.d.complete, third.d.incomplete], [2, 0]);
    });
  });
}

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`udp: many shards (torrentMapShards=16) under load (${label})`, () => {
    let t: TestTracker;
    const clients: UdpClientType[] = [];
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0', torrentMapShards: 16 });
      for (let i = 0; i < 4; i++) clients.push(await UdpClient.open({ host: '127.0.0.1', port: udpPort(t) }));
    });
    after(async () => {
      for (const c of clients) await c.close();
      await t?.stop();
    });

    test('300 announces sent at once from 4 sockets: each gets exactly one reply, with its own transaction id', { timeout: 20_000 }, async () => {
      const torrents = Array.from({ length: 30 }, (_, i) => infoHash(`udp-burst-${workers}-${i}`));
      const cids = await Promise.all(clients.map((c) => c.connect()));
      const sent = new Map<number, { client: number; torrent: number }>();
      const per = 75;
      for (let k = 0; k < clients.length; k++) {
        for (let j = 0; j < per; j++) {
          const tx = newTransactionId();
          const g = k * per + j;
          const torrent = g % torrents.length;
          sent.set(tx, { client: k, torrent });
          await clients[k]!.send(announcePacket({
            connectionId: cids[k]!, transactionId: tx, infoHash: torrents[torrent]!, peerId: peerId(`bu${k}-${j}`),
            left: Math.floor(g / torrents.length) % 2, event: UdpEvent.Started, port: 10_000 + g, numWant: 5,
          }));
        }
      }
      const seen = new Set<number>();
      const deadline = performance.now() + 10_000;
      for (let k = 0; k < clients.length; k++) {
        let got = 0;
        while (got < per) {
          const m = await clients[k]!.receive(deadline - performance.now());
          if (m === null) assert.fail(`client ${k}: ${got} of ${per} replies before the deadline`);
          const r = parseReply(m, 6);
          assert.equal(r.action, UdpAction.Announce, `client ${k}: ${r.action === UdpAction.Error ? r.message : 'not an announce reply'}`);
          const s = sent.get(r.transactionId);
          assert.ok(s !== undefined, `client ${k}: a reply with an unknown transaction id ${r.transactionId}`);
          assert.equal(s.client, k, 'the reply went to the socket that asked');
          assert.ok(!seen.has(r.transactionId), `a second reply for transaction ${r.transactionId}`);
          seen.add(r.transactionId);
          got++;
        }
      }
      assert.equal(seen.size, sent.size);
      // every torrent holds its 10 peers (5 seeders, 5 leechers)
      const entries = await clients[0]!.scrapeOk(torrents);
      for (const [i, e] of entries.entries()) assert.deepEqual([e.seeders, e.leechers], [5, 5], `torrent ${i}`);
    });

    test('scrape across shards (and workers): every hash answered in request order', async () => {
      const c = clients[0]!;
      const cid = await c.connect();
      const known = Array.from({ length: 24 }, (_, i) => infoHash(`udp-xshard-${workers}-${i}`));
      const expected = new Map<string, { seeders: number; completed: number; leechers: number }>();
      for (const [i, ih] of known.entries()) {
        const seeders = 1 + (i % 3);
        const leechers = i % 5;
        for (let s = 0; s < seeders; s++) await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId(`xs${i}-s${s}`), left: 0, event: UdpEvent.Started, port: 11_000 + s, numWant: 0 });
        for (let l = 0; l < leechers; l++) await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId(`xs${i}-l${l}`), left: 5, event: UdpEvent.Started, port: 11_100 + l, numWant: 0 });
        expected.set(ih.toString('hex'), { seeders, completed: 0, leechers });
      }
      const unknown = Array.from({ length: 12 }, (_, i) => infoHash(`udp-xshard-unknown-${workers}-${i}`));
      const zero = { seeders: 0, completed: 0, leechers: 0 };
      // interleave known and unknown hashes, in a shuffled but fixed order
      const order: Buffer[] = [];
      for (let i = 0; i < 24; i++) {
        order.push(known[(i * 7) % 24]!);
        if (i % 2 === 0) order.push(unknown[i / 2]!);
      }
      assert.equal(order.length, 36);
      const entries = await c.scrapeOk(order, cid);
      assert.deepEqual(entries, order.map((h) => expected.get(h.toString('hex')) ?? zero));
    });
  });
}
