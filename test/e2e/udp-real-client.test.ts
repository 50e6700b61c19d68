// A real BitTorrent tracker client (webtorrent's bittorrent-tracker; its WebRTC part is a stub) over
// UDP: a seeder and a leecher of one infohash find each other through the `peer` event, scrape works,
// and stop() empties the swarm.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { destroyAll, makeClient, nextEvent, type Scrape, type TrackerClient, type Update } from '../helpers/real-client.js';
import { THREAD_LAYOUTS, infoHash, startTestTracker, type TestTracker } from '../helpers/tracker.js';

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`real client: bittorrent-tracker over UDP (${label})`, () => {
    let t: TestTracker;
    let udpUrl: string;
    const clients: TrackerClient[] = [];
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0' });
      const port = t.tracker.ports.udp;
      assert.ok(typeof port === 'number' && port > 0);
      udpUrl = `udp://127.0.0.1:${port}`;
    });
    after(async () => {
      await destroyAll(clients);
      await t?.stop();
    });

    const ih = infoHash(`udp-real-client-${workers}`).toString('hex');
    const make = (tag: string, port: number, left: number | (() => number)): TrackerClient => {
      const c = makeClient({ infoHash: ih, tag, announce: [udpUrl], port, left });
      clients.push(c);
      return c;
    };

    test('a seeder and a leecher: the leecher gets the seeder through `peer`, counts through `update`', async () => {
      let seederLeft = 1000;
      const seeder = make('useed', 53001, () => seederLeft);
      const started = nextEvent<Update>(seeder, 'update', 'seeder start');
      seeder.start();
      const u1 = await started;
      assert.equal(u1.announce, udpUrl, 'the update came over UDP');
      assert.deepEqual([u1.complete, u1.incomplete], [0, 1]);
      seederLeft = 0;
      const completed = nextEvent<Update>(seeder, 'update', 'seeder complete');
      seeder.complete();
      const u2 = await completed;
      assert.deepEqual([u2.complete, u2.incomplete], [1, 0]);

      const leecher = make('uleech', 53002, 1000);
      const peer = nextEvent<string>(leecher, 'peer', 'leecher peer event', (addr) => addr === '127.0.0.1:53001');
      const update = nextEvent<Update>(leecher, 'update', 'leecher update');
      leecher.start();
      assert.equal(await peer, '127.0.0.1:53001');
      const u = await update;
      assert.deepEqual([u.complete, u.incomplete], [1, 1]);

      // the seeder's next announce gets the leecher
      const seederPeer = nextEvent<string>(seeder, 'peer', 'seeder peer event', (addr) => addr === '127.0.0.1:53002');
      seeder.update();
      assert.equal(await seederPeer, '127.0.0.1:53002');
    });

    test('client.scrape() over UDP reports the swarm (complete 1, incomplete 1, downloaded 1)', async () => {
      const leecher = clients[1];
      assert.ok(leecher, 'the previous test created the leecher');
      const scraped = nextEvent<Scrape>(leecher, 'scrape', 'scrape');
      leecher.scrape();
      const s = await scraped;
      assert.equal(s.announce, udpUrl);
      assert.deepEqual([s.complete, s.incomplete, s.downloaded], [1, 1, 1]);
    });

    test('stop() sends stopped over UDP: the swarm empties', async () => {
      const [seeder, leecher] = clients;
      assert.ok(seeder && leecher, 'the first test created both clients');
      const leecherStopped = nextEvent<Update>(leecher, 'update', 'leecher stop');
      leecher.stop();
      const ls = await leecherStopped;
      assert.deepEqual([ls.complete, ls.incomplete], [1, 0]);
      const seederStopped = nextEvent<Update>(seeder, 'update', 'seeder stop');
      seeder.stop();
      const ss = await seederStopped;
      assert.deepEqual([ss.complete, ss.incomplete], [0, 0]);
      await destroyAll(clients);
      const probe = make('uprobe', 53003, 1000);
      const scraped = nextEvent<Scrape>(probe, 'scrape', 'probe scrape');
      probe.scrape();
      const s = await scraped;
      assert.deepEqual([s.complete, s.incomplete, s.downloaded], [0, 0, 0], 'nobody left: the empty torrent was purged (purgeInactiveTorrents)');
    });
  });
}
