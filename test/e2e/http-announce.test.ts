// HTTP announce over real sockets: the docs/compatibility.md swarm walk byte for byte (dict and compact forms),
// compact encodings, IPv6 and dual-stack peers, respectAF, numwant, events, purging and round robin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, bdecodeStrict, asDict, bytes, get, getJson,
  infoHash, peerId, peersOf, pick, rawExchange, scrapeUrl, startTestTracker, text, type ParamValue, type TestTracker,
  sleep,
} from '../helpers/tracker.js';
import { assertBuilt, freeListenAddrs, run, stopCleanly, tempDir, waitUntilServing } from '../helpers/process.js';

const L = (s: string): Buffer => Buffer.from(s, 'latin1');

function dictPeer(ip: string, id: Buffer, port: number): string {
  return `d2:ip${ip.length}:${ip}7:peer id20:${id.toString('latin1')}4:porti${port}ee`;
}

function head(complete: number, incomplete: number): string {
  return `d8:completei${complete}e10:incompletei${incomplete}e8:intervali1800e12:min intervali900e`;
}

const compact4 = (a: number, b: number, c: number, d: number, port: number): string =>
  String.fromCharCode(a, b, c, d, port >> 8, port & 0xff);

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`http announce: docs/compatibility.md swarm walk (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, announceMs: 1_800_000, minAnnounceMs: 900_000 });
    });
    after(() => t.stop());

    const p1 = peerId('walk-p1');
    const p2 = peerId('walk-p2');
    const p3 = peerId('walk-p3');
    const step = async (ih: Buffer, id: Buffer, left: number, event: string | undefined, compact: string | undefined): Promise<Buffer> => {
      const res = await get(announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.0.0.1', port: 1234, left, event, compact })));
      assert.equal(res.status, 200);
      return res.body;
    };

    test('non-compact (compact=0): bodies are byte-exact, keys sorted, peers are {ip, peer id, port}', async () => {
      const ih = infoHash('walk-dict');
      const peer = (id: Buffer): string => dictPeer('10.0.0.1', id, 1234);
      assert.deepEqual(await step(ih, p1, 0, 'started', '0'), L(`${head(1, 0)}5:peersl${peer(p1)}ee`));
      assert.deepEqual(await step(ih, p2, 0, 'started', '0'), L(`${head(2, 0)}5:peersl${peer(p2)}ee`));
      assert.deepEqual(await step(ih, p3, 100, 'started', '0'), L(`${head(2, 1)}5:peersl${peer(p1)}${peer(p2)}ee`));
      assert.deepEqual(await step(ih, p1, 0, 'stopped', '0'), L(`${head(1, 1)}e`));
      const last = await step(ih, p3, 100, undefined, '0');
      assert.deepEqual(last, L(`${head(1, 1)}5:peersl${peer(p2)}ee`));
      // The same through a strict decoder: every dict's keys sorted as raw bytes.
      const d = asDict(bdecodeStrict(last));
      assert.deepEqual([...d.keys()], ['complete', 'incomplete', 'interval', 'min interval', 'peers']);
      const entry = asDict((d.get('peers') as unknown[])[0] as never);
      assert.deepEqual([...entry.keys()], ['ip', 'peer id', 'port']);
      assert.equal((entry.get('ip') as Buffer).toString(), '10.0.0.1');
      assert.deepEqual(entry.get('peer id'), p2);
      assert.equal(entry.get('port'), 1234);
    });

    test('compact: the same walk with 6-byte entries', async () => {
      const ih = infoHash('walk-compact');
      const e = compact4(10, 0, 0, 1, 1234);
      const peers = (n: number): string => `5:peers${6 * n}:${e.repeat(n)}`;
      assert.deepEqual(await step(ih, p1, 0, 'started', undefined), L(`${head(1, 0)}${peers(1)}e`));
      assert.deepEqual(await step(ih, p2, 0, 'started', '1'), L(`${head(2, 0)}${peers(1)}e`));
      assert.deepEqual(await step(ih, p3, 100, 'started', undefined), L(`${head(2, 1)}${peers(2)}e`));
      assert.deepEqual(await step(ih, p1, 0, 'stopped', undefined), L(`${head(1, 1)}e`));
      assert.deepEqual(await step(ih, p3, 100, undefined, undefined), L(`${head(1, 1)}${peers(1)}e`));
    });

    test('compact entry for 255.9.127.5:1234 is ff 09 7f 05 04 d2', async () => {
      const ih = infoHash('compact-vector');
      const seeder = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('cv-seed'), { ip: '255.9.127.5', port: 1234, left: 0 })));
      assert.deepEqual(bytes(seeder.d.peers), Buffer.from('ff097f0504d2', 'hex')); // itself: nothing else to return
      const leecher = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('cv-leech'), { ip: '10.1.1.1', port: 999 })));
      assert.deepEqual(bytes(leecher.d.peers), Buffer.from('ff097f0504d2', 'hex'));
      assert.ok(leecher.body.includes(Buffer.from('5:peers6:\xff\x09\x7f\x05\x04\xd2e', 'latin1')));
    });

    test('compact: `peers` always present (0: when empty), `peers6` only when non-empty', async () => {
      const ih = infoHash('peers-presence');
      const v4 = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('pp-v4'), { ip: '10.2.2.2', port: 2222, left: 0 })));
      assert.equal(v4.d.peers6, undefined);
      assert.equal(v4.body.includes(L('6:peers6')), false);
      // A v6-only announcer: no v4 peer reaches it here (the v4 one is a seeder, it is a seeder too).
      const v6 = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('pp-v6'), { ip: 'fd00::2', port: 2223, left: 0 })));
      assert.ok(v6.body.includes(L('5:peers0:6:peers618:')), v6.body.toString('latin1'));
      assert.deepEqual(peersOf(v6.d), { v4: [], v6: ['[fd00::2]:2223'] });
    });
  });

  describe(`http announce: query syntax (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(() => t.stop());

    test('`;` separates parameters, keys are case-insensitive, `+` decodes to a space, unknown keys are ignored', async () => {
      const ih = infoHash('query-syntax');
      const hexIh = [...ih].map((x) => '%' + x.toString(16).padStart(2, '0')).join('');
      const q = `INFO_HASH=${hexIh};Peer_Id=-HY0001-plus+sign---;port=4321;uploaded=0;downloaded=0;left=0;compact=0;ip=10.3.3.3;foo=bar`;
      const r = await announce(`${t.httpUrl}/announce?${q}`);
      assert.equal(r.d['failure reason'], undefined);
      const peers = r.d.peers as Record<string, unknown>[];
      assert.equal(peers.length, 1);
      assert.equal(text(peers[0]!['peer id']), '-HY0001-plus sign---');
      assert.equal(text(peers[0]!.ip), '10.3.3.3');
      assert.equal(peers[0]!.port, 4321);
    });

    test('ip= as an IPv4-mapped IPv6 address is an IPv4 peer; ip= that is not an address falls back to the socket', async () => {
      const ih = infoHash('ip-param-forms');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ipf-mapped'), { ip: '::ffff:10.3.3.5', port: 4330, left: 0 })));
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ipf-host'), { ip: 'tracker.example.com', port: 4331, left: 0 })));
      const obs = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ipf-obs'), { ipv4: '10.3.3.6', ipv6: 'fd00::3:6', port: 4332 })));
      assert.deepEqual(peersOf(obs.d).v6, []);
      assert.deepEqual([...peersOf(obs.d).v4].sort(), ['10.3.3.5:4330', '127.0.0.1:4331']);
    });

    test('non-compact replies carry IPv6 peers as text in the same list', async () => {
      const ih = infoHash('dict-v6');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('dv6-s'), { ipv4: '10.3.3.7', ipv6: 'FD00:0:0::3:7', port: 4333, left: 0 })));
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('dv6-l'), { ipv4: '10.3.3.8', ipv6: 'fd00::3:8', port: 4334, compact: 0 })));
      const peers = r.d.peers as Record<string, unknown>[];
      assert.deepEqual(peers.map((p) => `${text(p.ip)} ${p.port}`).sort(), ['10.3.3.7 4333', 'fd00::3:7 4333']);
      assert.equal(r.d.peers6, undefined, 'no peers6 key in the non-compact form');
    });

    // uWebSockets.js 20.30 cannot hold an asynchronous response while a pipelined request follows on the
    // same connection: it aborts the connection. With one I/O thread owning every shard (ioThreads 1,
    // workers 0) every announce is answered synchronously, so pipelining works there; otherwise an
    // announce whose shard another thread owns is answered later, and the client sees the connection
    // close (README: no BitTorrent client or proxy pipelines announces) while the tracker keeps serving.
    const synchronous = ioThreads === 1 && workers === 0;
    test(synchronous ? 'keep-alive: two pipelined announces on one connection get two answers'
      : 'pipelined announces: the connection is closed without a wrong answer, and the tracker keeps serving', async () => {
      const ih = infoHash('pipelined');
      const path = (id: string): string => announceUrl('/announce', announceParams(ih, peerId(id), { ip: '10.3.3.9', port: 4335, left: 0 }));
      const raw = Buffer.from(`GET ${path('pl-1')} HTTP/1.1\r\nHost: x\r\n\r\nGET ${path('pl-2')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1');
      const { data, timedOut } = await rawExchange('127.0.0.1', t.httpPort, raw);
      assert.equal(timedOut, false);
      const answers = data.toString('latin1').split(/(?=HTTP\/1\.1 )/).filter((a) => a !== '');
      if (synchronous) {
        assert.equal(answers.length, 2, data.toString('latin1'));
        assert.ok(answers[0]!.endsWith(`${head(1, 0)}5:peers6:${compact4(10, 3, 3, 9, 4335)}e`), answers[0]);
        assert.ok(answers[1]!.includes(`${head(2, 0)}5:peers6:`), answers[1]);
      } else {
        for (const a of answers) assert.match(a, /d8:completei\d+e/);
        const after = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('pl-3'), { ip: '10.3.3.9', port: 4336, left: 0 })));
        assert.equal(after.d['failure reason'], undefined);
      }
    });

    test('binary info_hash and peer_id survive byte for byte (every byte value escaped)', async () => {
      const ih = Buffer.from(Array.from({ length: 20 }, (_, i) => [0x00, 0x25, 0x26, 0x2b, 0x3b, 0x3d, 0xff, 0x80][i % 8]! ^ i));
      const id = Buffer.from(Array.from({ length: 20 }, (_, i) => 255 - i * 7));
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.3.3.4', port: 4322, left: 0, compact: 0 })));
      const peers = r.d.peers as Record<string, unknown>[];
      assert.deepEqual(bytes(peers[0]!['peer id']), id);
      const api = await getJson(`${t.apiUrl}/torrents/${ih.toString('hex')}`);
      assert.equal(api.seeders, 1);
    });
  });

  describe(`http announce: IPv6 listener and dual stack (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, httpListenAddr: '[::1]:0' });
    });
    after(() => t.stop());

    test('peers announcing over ::1 get 18-byte peers6 entries; `peers` stays present', async () => {
      assert.match(t.httpUrl, /^http:\/\/\[::1\]:\d+$/);
      const ih = infoHash('v6-socket');
      const seed = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('v6-seed'), { port: 7001, left: 0 })));
      assert.deepEqual(peersOf(seed.d), { v4: [], v6: ['[::1]:7001'] });
      const leech = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('v6-leech'), { port: 7002 })));
      assert.equal(bytes(leech.d.peers6).length, 18);
      assert.deepEqual(bytes(leech.d.peers6), Buffer.concat([Buffer.from('00000000000000000000000000000001', 'hex'), Buffer.from([0x1b, 0x59])]));
      assert.deepEqual(bytes(leech.d.peers), Buffer.alloc(0));
      assert.equal(leech.d.complete, 1);
      assert.equal(leech.d.incomplete, 1);
    });

    test('a v4-only announcer (ip=) gets no v6 peers', async () => {
      const ih = infoHash('v6-socket-v4-only');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('v4o-seed6'), { port: 7101, left: 0 })));
      const v4 = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('v4o-leech'), { ip: '10.0.0.9', port: 7102 })));
      assert.equal(v4.d.peers6, undefined);
      // Nothing of its family to give: it gets itself (never the v6 seeder).
      assert.deepEqual(peersOf(v4.d), { v4: ['10.0.0.9:7102'], v6: [] });
      assert.equal(v4.d.complete, 1);
    });

    test('a dual-stack announcer (ipv4= and ipv6=) is stored with both endpoints', async () => {
      const ih = infoHash('dual-stack');
      const before4 = pick(await getJson(`${t.apiUrl}/stats`), 'peersIPv4.Peers.Current') as number;
      const before6 = pick(await getJson(`${t.apiUrl}/stats`), 'peersIPv6.Peers.Current') as number;
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ds-seed'), { ipv4: '10.0.0.20', ipv6: 'fd00::20', port: 7020, left: 0 })));
      const stats = await getJson(`${t.apiUrl}/stats`);
      assert.equal(pick(stats, 'peersIPv4.Peers.Current'), before4 + 1);
      assert.equal(pick(stats, 'peersIPv6.Peers.Current'), before6 + 1);
      // A dual-stack leecher sees the seeder through both families.
      const both = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ds-leech'), { ipv4: '10.0.0.21', ipv6: 'fd00::21', port: 7021 })));
      assert.deepEqual(peersOf(both.d), { v4: ['10.0.0.20:7020'], v6: ['[fd00::20]:7020'] });
      // A v6-only leecher sees its v6 endpoint; a v4-only one its v4 endpoint.
      const only6 = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ds-l6'), { ip: 'fd00::22', port: 7022 })));
      assert.ok(peersOf(only6.d).v6.includes('[fd00::20]:7020'));
      const only4 = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ds-l4'), { ip: '10.0.0.23', port: 7023 })));
      assert.deepEqual(peersOf(only4.d).v6, []);
      assert.equal(peersOf(only4.d).v4[0], '10.0.0.20:7020', 'seeders first');
    });
  });

  describe(`http announce: all-interfaces listener ":0" (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, httpListenAddr: ':0' });
    });
    after(() => t.stop());

    test('an IPv4 client of a dual-stack socket is an IPv4 peer (not ::ffff:127.0.0.1)', async () => {
      const ih = infoHash('any-listener');
      const v4 = await announce(announceUrl(`http://127.0.0.1:${t.httpPort}`, announceParams(ih, peerId('any-4'), { port: 7301, left: 0 })));
      assert.deepEqual(peersOf(v4.d), { v4: ['127.0.0.1:7301'], v6: [] });
      const v6 = await announce(announceUrl(`http://[::1]:${t.httpPort}`, announceParams(ih, peerId('any-6'), { port: 7302 })));
      assert.deepEqual(peersOf(v6.d), { v4: ['127.0.0.1:7301'], v6: [] }, 'the v6 leecher gets the v4 seeder (respectAF false)');
      const stats = await getJson(`${t.apiUrl}/stats`);
      assert.equal(pick(stats, 'peersIPv4.Peers.Current'), 1);
      assert.equal(pick(stats, 'peersIPv6.Peers.Current'), 1);
    });
  });

  for (const respectAF of [false, true]) {
    describe(`http announce: respectAF=${respectAF} (${label})`, () => {
      let t: TestTracker;
      before(async () => {
        t = await startTestTracker({ ioThreads, workers, cluster, respectAF });
      });
      after(() => t.stop());

      // Each kind of leecher joins its own swarm of one v4 seeder and one v6 seeder.
      const swarm = async (tag: string, extra: Record<string, ParamValue>): Promise<Record<string, unknown>> => {
        const ih = infoHash(`respect-af-${respectAF}-${tag}`);
        const a = async (id: string, x: Record<string, ParamValue>): Promise<Record<string, unknown>> =>
          (await announce(announceUrl(t.httpUrl, announceParams(ih, peerId(id), x)))).d;
        await a('af-s4', { ip: '10.0.0.4', port: 4004, left: 0 });
        await a('af-s6', { ip: 'fd00::6', port: 6006, left: 0 });
        return a('af-leech', extra);
      };

      test('a v4-only announcer gets v4 peers only', async () => {
        assert.deepEqual(peersOf(await swarm('v4', { ip: '10.0.0.40', port: 4040 })), { v4: ['10.0.0.4:4004'], v6: [] });
      });

      test(`a v6-only announcer gets v6 peers${respectAF ? ' only' : ' and v4 peers'}`, async () => {
        const d = await swarm('v6', { ip: 'fd00::60', port: 6060 });
        assert.deepEqual(peersOf(d), { v4: respectAF ? [] : ['10.0.0.4:4004'], v6: ['[fd00::6]:6006'] });
        assert.ok(d.peers instanceof Uint8Array, '`peers` is present even when empty');
      });

      test('a dual-stack announcer gets both families', async () => {
        assert.deepEqual(peersOf(await swarm('v46', { ipv4: '10.0.0.46', ipv6: 'fd00::46', port: 4646 })),
          { v4: ['10.0.0.4:4004'], v6: ['[fd00::6]:6006'] });
      });
    });
  }

  describe(`http announce: numwant (${label})`, () => {
    let t: TestTracker;
    const ih = infoHash('numwant');
    const leecher = peerId('nw-leecher');
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, defaultNumWant: 3, maxNumWant: 4 });
      for (let i = 1; i <= 5; i++) {
        await announce(announceUrl(t.httpUrl, announceParams(ih, peerId(`nw-seed${i}`), { ip: `10.0.5.${i}`, port: 5000 + i, left: 0 })));
      }
    });
    after(() => t.stop());

    const cases: [string, string | undefined, number | null][] = [
      ['absent → defaultNumWant', undefined, 3],
      ['0 → no peers key', '0', null],
      ['-1 → no peers key', '-1', null],
      ['2 of 5', '2', 2],
      ['"abc" → defaultNumWant', 'abc', 3],
      ['above maxNumWant → capped', '100', 4],
      ['equal to maxNumWant', '4', 4],
    ];
    for (const [name, numwant, expected] of cases) {
      test(name, async () => {
        const r = await announce(announceUrl(t.httpUrl, announceParams(ih, leecher, { ip: '10.0.5.100', port: 5100, numwant })));
        assert.equal(r.d['failure reason'], undefined);
        assert.equal(r.d.complete, 5);
        assert.equal(r.d.incomplete, 1);
        if (expected === null) {
          assert.equal(r.d.peers, undefined);
          assert.equal(r.body.includes(L('5:peers')), false);
        } else {
          const p = peersOf(r.d).v4;
          assert.equal(p.length, expected);
          assert.equal(new Set(p).size, expected, 'no peer twice');
          for (const e of p) assert.match(e, /^10\.0\.5\.[1-5]:500[1-5]$/);
        }
      });
    }

    test('numwant=0 with compact=0 also has no peers key', async () => {
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, leecher, { ip: '10.0.5.100', port: 5100, numwant: 0, compact: 0 })));
      assert.deepEqual(r.body, L(`d8:completei5e10:incompletei1e8:intervali1800e12:min intervali900ee`));
    });
  });

  describe(`http announce: defaultNumWant above maxNumWant (${label})`, () => {
    // load.ts accepts this with the warning "answers are capped at maxNumWant": they must be.
    const ih = infoHash('numwant-cap');
    const seed = async (httpUrl: string): Promise<void> => {
      for (let i = 1; i <= 6; i++) {
        await announce(announceUrl(httpUrl, announceParams(ih, peerId(`cap-s${i}`), { ip: `10.0.10.${i}`, port: 6100 + i, left: 0 })));
      }
    };

    test('compact: numwant absent or not a number → at most maxNumWant peers, valid bencode', async () => {
      const t = await startTestTracker({ ioThreads, workers, cluster, defaultNumWant: 5, maxNumWant: 3 });
      try {
        await seed(t.httpUrl);
        for (const numwant of [undefined, 'abc']) {
          const res = await get(announceUrl(t.httpUrl, announceParams(ih, peerId('cap-l'), { ip: '10.0.10.100', port: 6200, numwant })));
          const d = asDict(bdecodeStrict(res.body)); // throws when the `peers` length prefix lies
          assert.equal((d.get('peers') as Buffer).length, 3 * 6, `numwant=${String(numwant)}`);
        }
      } finally {
        await t.stop();
      }
    });

    test('compact=0: numwant absent → at most maxNumWant peers, and the tracker survives (run as a child process)', async () => {
      assertBuilt();
      const tmp = tempDir();
      const ports = await freeListenAddrs();
      const path = tmp.write('numwant-cap.json', JSON.stringify({ ...ports.config, workers, defaultNumWant: 5, maxNumWant: 3 }));
      const r = run([`-config=${path}`]);
      try {
        await waitUntilServing(r, ports.api);
        const httpUrl = `http://127.0.0.1:${ports.http}`;
        await seed(httpUrl);
        let answer: Buffer | null = null;
        let error: unknown = null;
        try {
          answer = (await get(announceUrl(httpUrl, announceParams(ih, peerId('cap-l'), { ip: '10.0.10.100', port: 6200, compact: 0 })))).body;
        } catch (err) {
          error = err;
        }
        await sleep(100);
        assert.ok(r.alive(), `the tracker died: ${r.stderr().split('\n').filter((l) => /Error|at /.test(l)).slice(0, 3).join(' | ')}`);
        assert.equal(error, null);
        const peers = asDict(bdecodeStrict(answer!)).get('peers') as unknown[];
        assert.equal(peers.length, 3);
        await stopCleanly(r);
      } finally {
        if (r.alive()) r.child.kill('SIGKILL');
        tmp.cleanup();
      }
    });
  });

  describe(`http announce: events (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(() => t.stop());

    const scrapeOf = async (ih: Buffer): Promise<{ complete: number; downloaded: number; incomplete: number }> => {
      const res = await get(scrapeUrl(t.httpUrl, [ih]));
      const files = asDict(asDict(bdecodeStrict(res.body)).get('files'));
      const e = asDict(files.get(ih.toString('latin1')));
      return { complete: e.get('complete') as number, downloaded: e.get('downloaded') as number, incomplete: e.get('incomplete') as number };
    };

    test('completed: the leecher becomes a seeder and the snatch is counted once', async () => {
      const ih = infoHash('ev-completed');
      const id = peerId('ev-c');
      const url = (extra: Record<string, ParamValue>): string => announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.0.6.1', port: 6001, ...extra }));
      let r = await announce(url({ event: 'started', left: 100 }));
      assert.deepEqual([r.d.complete, r.d.incomplete], [0, 1]);
      r = await announce(url({ event: 'completed', left: 0 }));
      assert.deepEqual([r.d.complete, r.d.incomplete], [1, 0]);
      assert.deepEqual(await scrapeOf(ih), { complete: 1, downloaded: 1, incomplete: 0 });
      r = await announce(url({ event: 'completed', left: 0 })); // a repeat is not a second snatch
      assert.deepEqual([r.d.complete, r.d.incomplete], [1, 0]);
      r = await announce(url({ left: 0 }));
      assert.deepEqual(await scrapeOf(ih), { complete: 1, downloaded: 1, incomplete: 0 });
      const api = await getJson(`${t.apiUrl}/torrents/${ih.toString('hex')}`);
      assert.deepEqual(api, { infoHash: ih.toString('hex'), seeders: 1, leechers: 0, snatches: 1 });
    });

    test('left=0 without an event makes a seeder; only `completed` counts a snatch', async () => {
      const ih = infoHash('ev-left0');
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-l0'), { ip: '10.0.6.2', port: 6002, left: 0 })));
      assert.deepEqual([r.d.complete, r.d.incomplete], [1, 0]);
      const l = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-l1'), { ip: '10.0.6.3', port: 6003, left: 5 })));
      assert.deepEqual([l.d.complete, l.d.incomplete], [1, 1]);
      const g = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-l1'), { ip: '10.0.6.3', port: 6003, left: 0 })));
      assert.deepEqual([g.d.complete, g.d.incomplete], [2, 0]);
      assert.equal((await scrapeOf(ih)).downloaded, 0);
    });

    // chihaya v1 removes a paused peer like a stopped one; hayate does the same (drop-in behaviour).
    test('paused: no peers key, and the peer leaves the swarm', async () => {
      const ih = infoHash('ev-paused');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-ps'), { ip: '10.0.6.4', port: 6004, left: 0 })));
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-pl'), { ip: '10.0.6.5', port: 6005, event: 'paused' })));
      assert.equal(r.d['failure reason'], undefined);
      assert.equal(r.d.peers, undefined);
      assert.equal(r.d.peers6, undefined);
      assert.equal(r.d.complete, 1);
      assert.equal(r.d.incomplete, 0);
    });

    test('stopped from an unknown peer: no change, no peers key, no torrent created', async () => {
      const ih = infoHash('ev-stopped-unknown');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-su-s'), { ip: '10.0.6.6', port: 6006, left: 0 })));
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-su-x'), { ip: '10.0.6.7', port: 6007, event: 'stopped' })));
      assert.deepEqual([r.d.complete, r.d.incomplete, r.d.peers], [1, 0, undefined]);
      const ghost = infoHash('ev-stopped-unknown-torrent');
      const g = await announce(announceUrl(t.httpUrl, announceParams(ghost, peerId('ev-su-y'), { ip: '10.0.6.8', port: 6008, event: 'stopped' })));
      assert.deepEqual([g.d['failure reason'], g.d.complete, g.d.incomplete, g.d.peers], [undefined, 0, 0, undefined]);
      assert.equal((await get(`${t.apiUrl}/torrents/${ghost.toString('hex')}`)).status, 404);
    });

    test('peer identity is peer_id + IP: the same id from another IP is another peer', async () => {
      const ih = infoHash('ev-identity');
      const id = peerId('ev-same');
      await announce(announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.0.6.9', port: 6009 })));
      const r = await announce(announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.0.6.10', port: 6009 })));
      assert.equal(r.d.incomplete, 2);
      const again = await announce(announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.0.6.9', port: 6010 })));
      assert.equal(again.d.incomplete, 2, 're-announce from the same IP with a new port updates, not adds');
      assert.ok(peersOf(again.d).v4.includes('10.0.6.10:6009'));
    });

    test('purgeInactiveTorrents (default true): the torrent is deleted when its last peer stops', async () => {
      const ih = infoHash('ev-purge');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-pg'), { ip: '10.0.6.11', port: 6011 })));
      assert.equal((await get(`${t.apiUrl}/torrents/${ih.toString('hex')}`)).status, 200);
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('ev-pg'), { ip: '10.0.6.11', port: 6011, event: 'stopped' })));
      assert.equal((await get(`${t.apiUrl}/torrents/${ih.toString('hex')}`)).status, 404);
    });
  });

  describe(`http announce: purgeInactiveTorrents=false (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, purgeInactiveTorrents: false });
    });
    after(() => t.stop());

    test('an emptied torrent is kept (API GET 200 with zero counts)', async () => {
      const ih = infoHash('keep-empty');
      const id = peerId('ke');
      await announce(announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.0.7.1', port: 7001, event: 'started' })));
      const stopped = await announce(announceUrl(t.httpUrl, announceParams(ih, id, { ip: '10.0.7.1', port: 7001, event: 'stopped' })));
      assert.deepEqual([stopped.d.complete, stopped.d.incomplete], [0, 0]);
      const res = await get(`${t.apiUrl}/torrents/${ih.toString('hex')}`);
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body.toString()), { infoHash: ih.toString('hex'), seeders: 0, leechers: 0, snatches: 0 });
    });
  });

  describe(`http announce: round robin (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(() => t.stop());

    test('10 seeders: two leecher announces with numwant=5 together see all 10', async () => {
      const ih = infoHash('round-robin');
      const all: string[] = [];
      for (let i = 1; i <= 10; i++) {
        await announce(announceUrl(t.httpUrl, announceParams(ih, peerId(`rr-s${i}`), { ip: `10.0.8.${i}`, port: 8000 + i, left: 0 })));
        all.push(`10.0.8.${i}:${8000 + i}`);
      }
      const a = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('rr-la'), { ip: '10.0.8.100', port: 8100, numwant: 5 })));
      const b = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('rr-lb'), { ip: '10.0.8.101', port: 8101, numwant: 5 })));
      const pa = peersOf(a.d).v4;
      const pb = peersOf(b.d).v4;
      assert.equal(pa.length, 5);
      assert.equal(pb.length, 5);
      assert.deepEqual([...new Set([...pa, ...pb])].sort(), [...all].sort());
      // And it keeps rotating: a third announce starts where the second stopped.
      const c = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('rr-la'), { ip: '10.0.8.100', port: 8100, numwant: 5 })));
      assert.deepEqual([...peersOf(c.d).v4].sort(), [...pa].sort());
    });

    test('a leecher gets seeders first, then leechers; a seeder gets only leechers', async () => {
      const ih = infoHash('selection-order');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('so-l1'), { ip: '10.0.9.1', port: 9001 })));
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('so-s1'), { ip: '10.0.9.2', port: 9002, left: 0 })));
      const l2 = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('so-l2'), { ip: '10.0.9.3', port: 9003, compact: 0 })));
      const ids = (l2.d.peers as Record<string, unknown>[]).map((p) => text(p['peer id']));
      assert.deepEqual(ids, [peerId('so-s1').toString('latin1'), peerId('so-l1').toString('latin1')]);
      const s2 = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('so-s2'), { ip: '10.0.9.4', port: 9004, left: 0 })));
      assert.deepEqual([...peersOf(s2.d).v4].sort(), ['10.0.9.1:9001', '10.0.9.3:9003']);
    });

    test('IPv6 lists come before IPv4 ones: a dual-stack leecher with numwant=1 gets the v6 seeder', async () => {
      const ih = infoHash('v6-first');
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('vf-s4'), { ip: '10.0.9.10', port: 9010, left: 0 })));
      await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('vf-s6'), { ip: 'fd00::10', port: 9011, left: 0 })));
      const l = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('vf-l'), { ipv4: '10.0.9.12', ipv6: 'fd00::12', port: 9012, numwant: 1 })));
      assert.deepEqual(peersOf(l.d), { v4: [], v6: ['[fd00::10]:9011'] });
      const two = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('vf-l'), { ipv4: '10.0.9.12', ipv6: 'fd00::12', port: 9012, numwant: 2 })));
      assert.deepEqual(peersOf(two.d), { v4: ['10.0.9.10:9010'], v6: ['[fd00::10]:9011'] });
    });
  });
}
