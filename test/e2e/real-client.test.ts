// A real BitTorrent tracker client (webtorrent's bittorrent-tracker, HTTP only: its WebRTC part is a
// stub) against the tracker: a seeder and a leecher find each other, and scrape works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WORKER_COUNTS, infoHash, peerId, startTestTracker, within, type TestTracker } from '../helpers/tracker.js';

interface TrackerClient {
  on(event: string, listener: (arg: never) => void): void;
  once(event: string, listener: (arg: never) => void): void;
  removeListener(event: string, listener: (arg: never) => void): void;
  start(opts?: Record<string, unknown>): void;
  stop(opts?: Record<string, unknown>): void;
  complete(opts?: Record<string, unknown>): void;
  scrape(opts?: Record<string, unknown>): void;
  destroy(cb?: (err?: Error | null) => void): void;
}
type ClientCtor = new (opts: Record<string, unknown>) => TrackerClient;

// No type declarations ship with bittorrent-tracker; a computed specifier keeps tsc out of it.
const clientSpecifier: string = 'bittorrent-tracker';
const { Client } = (await import(clientSpecifier)) as { Client: ClientCtor };

const WAIT = 5_000;

/** Resolves with the first `event` argument accepted by `accept`; rejects on `error` or after WAIT ms. */
function nextEvent<T>(client: TrackerClient, event: string, what: string, accept: (arg: T) => boolean = () => true): Promise<T> {
  return within(WAIT, what, new Promise<T>((resolve, reject) => {
    const onEvent = (arg: T): void => {
      if (!accept(arg)) return;
      cleanup();
      resolve(arg);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onWarning = (err: Error): void => {
      cleanup();
      reject(new Error(`${what}: tracker warning: ${err.message}`));
    };
    const cleanup = (): void => {
      client.removeListener(event, onEvent as (arg: never) => void);
      client.removeListener('error', onError as (arg: never) => void);
      client.removeListener('warning', onWarning as (arg: never) => void);
    };
    client.on(event, onEvent as (arg: never) => void);
    client.on('error', onError as (arg: never) => void);
    client.on('warning', onWarning as (arg: never) => void);
  }));
}

function destroy(client: TrackerClient): Promise<void> {
  return within(WAIT, 'client.destroy', new Promise<void>((resolve) => client.destroy(() => resolve()))).catch(() => {});
}

interface Update { complete?: number; incomplete?: number }
interface Scrape { complete?: number; incomplete?: number; downloaded?: number; infoHash?: string }

for (const workers of WORKER_COUNTS) {
  describe(`real client: bittorrent-tracker over HTTP (workers=${workers})`, () => {
    let t: TestTracker;
    const clients: TrackerClient[] = [];
    before(async () => {
      t = await startTestTracker({ workers });
    });
    after(async () => {
      for (const c of clients) await destroy(c);
      await t.stop();
    });

    const ih = infoHash('real-client').toString('hex');
    const make = (tag: string, port: number, left: number | (() => number)): TrackerClient => {
      const c = new Client({
        infoHash: ih,
        peerId: peerId(tag, '-WW0210-'),
        announce: [`${t.httpUrl}/announce`],
        port,
        getAnnounceOpts: () => ({ uploaded: 0, downloaded: 0, left: typeof left === 'number' ? left : left() }),
      });
      c.on('error', () => {}); // surfaced through nextEvent; never an unhandled 'error'
      c.on('warning', () => {});
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
      for (const c of clients.splice(0)) await destroy(c);
      const probe = make('probe', 52003, 1000);
      const update = nextEvent<Update>(probe, 'update', 'probe update');
      probe.start();
      const u = await update;
      assert.deepEqual([u.complete, u.incomplete], [0, 1], 'only the probe itself is left');
    });
  });
}
