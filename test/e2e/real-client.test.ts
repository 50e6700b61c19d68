// A real BitTorrent tracker client (webtorrent's bittorrent-tracker, HTTP only: its WebRTC part is a
// stub) against the tracker: a seeder and a leecher find each other, and scrape works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { destroyAll, makeClient, nextEvent, type Scrape, type TrackerClient, type Update } from '../helpers/real-client.js';
import { THREAD_LAYOUTS, infoHash, startTestTracker, type TestTracker } from '../helpers/tracker.js';

for (const { ioThreads, workers, label } of THREAD_LAYOUTS.filter((l) => !l.cluster)) {
  describe(`real client: bittorrent-tracker over HTTP (${label})`, () => {
    let t: TestTracker;
    const clients: TrackerClient[] = [];
    before(async () => {
      t = await startTestTracker({ ioThreads, workers });
    });
    after(async () => {
      await destroyAll(clients);
      await t.stop();
    });

    const ih = infoHash('real-client').toString('hex');
    const make = (tag: string, port: number, left: number | (() => number)): TrackerClient => {
      const c = makeClient({ infoHash: ih, tag, announce: [`${t.httpUrl}/announce`], port, left });
      clients.push(c);
      return c;
    };

    test('a seeder (started with data left, then complete() with left:0) and a leecher: the leecher gets the seeder through `peer`', async () => {
      let seederLeft = 1000;
      const seeder = make('seed', 52001, () => seederLeft);
      const started = nextEvent<Update>(seeder, 'update', 'seeder start');
      seeder.start();
      const u1 = await started;
      assert.deepEqual([u1.complete, u1.incomplete], [0, 1]);
      seederLeft = 0;
      const completed = nextEvent<Update>(seeder, 'update', 'seeder complete');
      seeder.complete();
      const u2 = await completed;
      assert.deepEqual([u2.complete, u2.incomplete], [1, 0]);

      const leecher = make('leech', 52002, 1000);
      const peer = nextEvent<string>(leecher, 'peer', 'leecher peer event', (addr) => addr === '127.0.0.1:52001');
      const update = nextEvent<Update>(leecher, 'update', 'leecher update');
      leecher.start();
      assert.equal(await peer, '127.0.0.1:52001');
      const u = await update;
      assert.equal(u.complete, 1);
      assert.equal(u.incomplete, 1);
    });

    test('client.scrape() reports the swarm (complete 1, incomplete 1, downloaded 1)', async () => {
      const leecher = clients[1];
      assert.ok(leecher, 'the previous test created the leecher');
      const scraped = nextEvent<Scrape>(leecher, 'scrape', 'scrape');
      leecher.scrape();
      const s = await scraped;
      // (s.infoHash is not checked: bencode v4 hands binary keys to the library as hex, which it hex-encodes again)
      assert.deepEqual([s.complete, s.incomplete, s.downloaded], [1, 1, 1]);
    });

    test('stop() sends stopped: the swarm empties', async () => {
      const [seeder, leecher] = clients;
      assert.ok(seeder && leecher, 'the first test created both clients');
      const leecherStopped = nextEvent<Update>(leecher, 'update', 'leecher stop');
      leecher.stop();
      assert.deepEqual([(await leecherStopped).complete, (await leecherStopped).incomplete], [1, 0]);
      const seederStopped = nextEvent<Update>(seeder, 'update', 'seeder stop');
      seeder.stop();
      assert.deepEqual([(await seederStopped).complete, (await seederStopped).incomplete], [0, 0]);
      await destroyAll(clients);
      const probe = make('probe', 52003, 1000);
      const update = nextEvent<Update>(probe, 'update', 'probe update');
      probe.start();
      const u = await update;
      assert.deepEqual([u.complete, u.incomplete], [0, 1], 'only the probe itself is left');
    });
  });
}
