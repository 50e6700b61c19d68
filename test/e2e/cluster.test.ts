// Cluster mode on a real redis-server: instances share their swarms through Redis while answering from
// their own tables. A peer announced to one instance reaches the others (peer lists, scrape, /stats);
// stopped removes it everywhere; completed counts once; remote peers expire by the same rule; a kill -9
// loses no peer; a new instance loads the swarms before it reports ready; Redis going away, sleeping,
// or coming back empty costs no announce and loses no peer for long; a 3-master Redis Cluster works too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { redisMissing, startRedis, startRedisCluster, type TestRedis } from '../helpers/redis.js';
import {
  announce, announceParams, announceUrl, get, getJson, infoHash, peerId, peersOf, pick, request, scrapeUrl, startTestTracker,
  waitFor, type TestOverrides, type TestTracker,
} from '../helpers/tracker.js';
import { assertBuilt, freeListenAddrs, killAll, run, stopCleanly, tempDir, waitUntilServing, type Run } from '../helpers/process.js';
import { decode } from '../helpers/tracker.js';

const skip = redisMissing === '' ? false : redisMissing;
/** Replication lag budget: the 1 s at p99, with room for this loaded 2-core machine. */
const SEEN_WITHIN_MS = 3_000;

let prefixes = 0;
const prefix = (): string => `t${process.pid}x${++prefixes}`;

function cluster(redis: TestRedis | { url: string }, keyPrefix: string, over: TestOverrides = {}): TestOverrides {
  return { redisURL: redis.url, redisKeyPrefix: keyPrefix, ioThreads: 2, workers: 0, ...over };
}

async function ready(t: TestTracker): Promise<void> {
  await waitFor(`${t.apiUrl} /check 200`, async () => (await get(`${t.apiUrl}/check`)).status === 200, 15_000, 50);
}

const hex = (ih: Buffer): string => ih.toString('hex');

async function torrent(t: TestTracker, ih: Buffer): Promise<{ seeders: number; leechers: number; snatches: number } | null> {
  const r = await get(`${t.apiUrl}/torrents/${hex(ih)}`);
  return r.status === 200 ? JSON.parse(r.body.toString()) as { seeders: number; leechers: number; snatches: number } : null;
}

describe('cluster mode: two instances on one redis', { skip }, () => {
  let redis: TestRedis;
  let a: TestTracker;
  let b: TestTracker;
  const keys = prefix();
  before(async () => {
    redis = await startRedis();
    a = await startTestTracker(cluster(redis, keys));
    b = await startTestTracker(cluster(redis, keys, { workers: 2 }));
    await ready(a);
    await ready(b);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  test('a peer announced to A is in B\'s peer lists, scrape counts and /stats within the lag budget', async () => {
    const ih = infoHash('cl-visible');
    const before = pick(await getJson(`${b.apiUrl}/stats`), 'peersIPv4.Peers.Current') as number;
    await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('ca1'), { ip: '10.7.0.1', port: 7001, left: 0 })));
    await waitFor('B to count the peer', async () => (await torrent(b, ih))?.seeders === 1, SEEN_WITHIN_MS, 20);
    const r = await announce(announceUrl(b.httpUrl, announceParams(ih, peerId('cb1'), { ip: '10.7.0.2', port: 7002, left: 50 })));
    assert.deepEqual(peersOf(r.d).v4, ['10.7.0.1:7001'], 'B hands out A\'s peer');
    assert.deepEqual([r.d.complete, r.d.incomplete], [1, 1]);
    const scrape = decode((await get(scrapeUrl(b.httpUrl, [ih]))).body);
    const files = scrape.files as Record<string, Record<string, number>>;
    assert.equal(Object.values(files)[0]!.complete, 1);
    const s = await getJson(`${b.apiUrl}/stats`);
    assert.ok((pick(s, 'peersIPv4.Peers.Current') as number) >= before + 2);
    assert.equal(pick(s, 'cluster.link'), 'up');
    // and back: A sees B's leecher
    await waitFor('A to count B\'s leecher', async () => (await torrent(a, ih))?.leechers === 1, SEEN_WITHIN_MS, 20);
  });

  test('stopped removes the peer everywhere; completed counts once', async () => {
    const ih = infoHash('cl-events');
    await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('ce1'), { ip: '10.7.1.1', left: 10, event: 'started' })));
    await waitFor('B sees the leecher', async () => (await torrent(b, ih))?.leechers === 1, SEEN_WITHIN_MS, 20);
    await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('ce1'), { ip: '10.7.1.1', left: 0, event: 'completed' })));
    await waitFor('B sees the seeder', async () => (await torrent(b, ih))?.seeders === 1, SEEN_WITHIN_MS, 20);
    assert.equal((await torrent(a, ih))!.snatches, 1);
    assert.equal((await torrent(b, ih))!.snatches, 1, 'one completion, one snatch on every instance');
    // keep the torrent alive with B's own peer, then stop A's peer
    await announce(announceUrl(b.httpUrl, announceParams(ih, peerId('ce2'), { ip: '10.7.1.2', left: 5 })));
    await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('ce1'), { ip: '10.7.1.1', left: 0, event: 'stopped' })));
    await waitFor('B to drop the stopped peer', async () => (await torrent(b, ih))?.seeders === 0, SEEN_WITHIN_MS, 20);
    assert.equal((await torrent(b, ih))!.snatches, 1);
  });

  test('/metrics carries the link: up, synced, changes published and received, lag', async () => {
    await announce(announceUrl(a.httpUrl, announceParams(infoHash('cl-metrics'), peerId('cm1'), { ip: '10.7.4.1' })));
    await waitFor('B to apply it', async () => (await torrent(b, infoHash('cl-metrics')))?.leechers === 1, SEEN_WITHIN_MS, 20);
    const text = (await get(`${b.apiUrl}/metrics`)).body.toString();
    const value = (line: string): number => {
      const m = new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
      assert.ok(m !== null, `${line} in /metrics`);
      return Number(m[1]);
    };
    assert.equal(value('hayate_cluster_link_up'), 1);
    assert.equal(value('hayate_cluster_synced'), 1);
    assert.equal(value('hayate_cluster_link_down_since_seconds'), 0);
    assert.ok(value('hayate_cluster_changes_received_total') >= 1);
    assert.ok(value('hayate_cluster_changes_published_total') >= 1, 'B published its own announces of the earlier tests');
    assert.equal(value('hayate_cluster_changes_dropped_total'), 0);
    const p99 = value('hayate_cluster_lag_seconds{quantile="0.99"}');
    assert.ok(p99 > 0 && p99 < SEEN_WITHIN_MS / 1000, `lag p99 ${p99} s`);
  });

  test('DELETE /torrents on one instance removes the swarm\'s peers on every instance', async () => {
    const ih = infoHash('cl-delete');
    await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('cd1'), { ip: '10.7.2.1', left: 0 })));
    await announce(announceUrl(b.httpUrl, announceParams(ih, peerId('cd2'), { ip: '10.7.2.2', left: 9 })));
    await waitFor('both instances hold both peers', async () => {
      const [ta, tb] = [await torrent(a, ih), await torrent(b, ih)];
      return ta?.seeders === 1 && ta.leechers === 1 && tb?.seeders === 1 && tb.leechers === 1;
    }, SEEN_WITHIN_MS, 20);
    assert.equal((await request('DELETE', `${a.apiUrl}/torrents/${hex(ih)}`)).status, 200);
    await waitFor('B to delete the torrent and its peers', async () => (await torrent(b, ih)) === null, SEEN_WITHIN_MS, 20);
    const r = await announce(announceUrl(b.httpUrl, announceParams(ih, peerId('cd3'), { ip: '10.7.2.3', left: 9 })));
    const stale = peersOf(r.d).v4.filter((p) => p.startsWith('10.7.2.1:') || p.startsWith('10.7.2.2:'));
    assert.deepEqual(stale, [], 'B hands out none of the deleted swarm\'s peers');
  });

  test('a slow redis (DEBUG SLEEP) does not slow announces: they are answered while redis sleeps', async () => {
    const sleeping = redis.cliAsync(['DEBUG', 'SLEEP', '3']);
    await new Promise((r) => setTimeout(r, 100)); // redis is asleep now
    let answered = 0;
    let redisDone = false;
    void sleeping.then(() => { redisDone = true; });
    for (let i = 0; i < 20; i++) {
      const r = await announce(announceUrl(a.httpUrl, announceParams(infoHash(`cl-slow-${i}`), peerId('cs'), { ip: '10.7.2.1' })));
      assert.equal(r.d['failure reason'], undefined);
      answered++;
    }
    assert.equal(redisDone, false, 'every announce was answered before redis woke up');
    assert.equal(answered, 20);
    await sleeping;
    // and what was held is published after: B sees the last torrent
    await waitFor('B to catch up after the sleep', async () => (await torrent(b, infoHash('cl-slow-19')))?.leechers === 1, 5_000, 25);
  });

  test('a completion queued behind batches waiting for a slow redis counts once in redis (a joining instance reads 1)', async () => {
    const ih = infoHash('cl-queued-snatch');
    await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('qs0'), { ip: '10.7.3.1', left: 10 })));
    const sleeping = redis.cliAsync(['DEBUG', 'SLEEP', '2']);
    await new Promise((r) => setTimeout(r, 100));
    // several ticks' batches of this torrent's group wait for redis, none with a completion
    for (let i = 1; i <= 4; i++) {
      await announce(announceUrl(a.httpUrl, announceParams(ih, peerId(`qs${i}`), { ip: `10.7.3.${i + 1}`, left: 10 })));
      await new Promise((r) => setTimeout(r, 120));
    }
    await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('qs0'), { ip: '10.7.3.1', left: 0, event: 'completed' })));
    await sleeping;
    await waitFor('B to count the completion', async () => (await torrent(b, ih))?.snatches === 1, 5_000, 25);
    const c = await startTestTracker(cluster(redis, keys));
    try {
      await ready(c);
      await waitFor('the joiner to hold the swarm and its snatch count', async () => {
        const tc = await torrent(c, ih);
        return tc?.seeders === 1 && tc.snatches >= 1;
      }, 5_000, 25).catch(async (err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(await torrent(c, ih))}`); });
      assert.equal((await torrent(c, ih))!.snatches, 1, 'one completion, one snatch in redis');
    } finally {
      await c.stop();
    }
  });
});

describe('cluster mode: remote peers expire by the same rule', { skip }, () => {
  test('A\'s peer that stops announcing is reaped on B after minAnnounce x reapRatio', async () => {
    const redis = await startRedis();
    const keys = prefix();
    const fast = { minAnnounceMs: 1_000, reapRatio: 1.5, reapIntervalMs: 200 };
    const a = await startTestTracker(cluster(redis, keys, fast));
    const b = await startTestTracker(cluster(redis, keys, fast));
    try {
      await ready(a);
      await ready(b);
      const ih = infoHash('cl-expiry');
      await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('cx'), { ip: '10.7.3.1' })));
      await waitFor('B to see the peer', async () => (await torrent(b, ih))?.leechers === 1, SEEN_WITHIN_MS, 20);
      const seenAt = Date.now();
      await waitFor('B to reap it', async () => (await torrent(b, ih)) === null, 10_000, 50);
      const gone = Date.now() - seenAt;
      assert.ok(gone >= 1_000, `reaped after ${gone} ms: not before its lifetime (1.5 s, from A's clock)`);
      // and on A, by the same rule (within a reap interval and a clock tick of B)
      await waitFor('A to reap it too', async () => (await torrent(a, ih)) === null, 2_000, 25);
    } finally {
      await a.stop();
      await b.stop();
      await redis.stop();
    }
  });
});

describe('cluster mode: failover, join, restart', { skip }, () => {
  let redis: TestRedis;
  let tmp: ReturnType<typeof tempDir>;
  const keys = prefix();
  before(async () => {
    assertBuilt();
    redis = await startRedis();
    tmp = tempDir();
  });
  after(async () => {
    killAll(); // children a failed test left behind
    await redis?.stop();
    tmp?.cleanup();
  });

  const startProcess = async (name: string): Promise<{ r: Run; http: number; api: number }> => {
    const ports = await freeListenAddrs();
    const path = tmp.write(`${name}.json`, JSON.stringify({ ...ports.config, udpListenAddr: '', ioThreads: 2, redisURL: redis.url, redisKeyPrefix: keys }));
    const r = run([`-config=${path}`]);
    await waitUntilServing(r, ports.api);
    return { r, http: ports.http, api: ports.api };
  };

  test('kill -9 of A: B already answers with A\'s peers, without any re-announce; a new instance loads them before /check says ready', async () => {
    const a = await startProcess('a');
    const b = await startTestTracker(cluster(redis, keys));
    await ready(b);
    const hashes = Array.from({ length: 50 }, (_, i) => infoHash(`cl-fail-${i}`));
    for (const [i, ih] of hashes.entries()) {
      for (let p = 0; p < 4; p++) {
        await announce(announceUrl(`http://127.0.0.1:${a.http}`, announceParams(ih, peerId(`f${i}-${p}`), { ip: `10.8.${i}.${p + 1}`, left: p === 0 ? 0 : 9 })));
      }
    }
    await new Promise((r) => setTimeout(r, 1_000)); // every peer announced more than 1 s before the kill
    a.r.child.kill('SIGKILL');
    await a.r.exited;
    for (const ih of hashes) {
      const t = await torrent(b, ih);
      assert.deepEqual([t?.seeders, t?.leechers], [1, 3], `B holds the swarm ${hex(ih)}`);
    }
    const r = await announce(announceUrl(b.httpUrl, announceParams(hashes[7]!, peerId('late'), { ip: '10.9.9.9', left: 1 })));
    assert.equal(peersOf(r.d).v4.length, 4, 'B hands out A\'s peers');

    // A new instance: /check is 503 `syncing` until it loaded every swarm, then 200 with them all.
    const c = await startTestTracker(cluster(redis, keys, { workers: 2 }));
    try {
      const first = await get(`${c.apiUrl}/check`);
      if (first.status !== 200) assert.equal(first.body.toString(), 'syncing');
      await ready(c);
      for (const [i, ih] of hashes.entries()) {
        // (the 7th also has the late peer B took)
        assert.deepEqual(await torrent(c, ih).then((t) => [t?.seeders, t?.leechers]), [1, i === 7 ? 4 : 3], 'loaded at join');
      }
      const stats = await getJson(`${c.apiUrl}/stats`);
      assert.ok((pick(stats, 'cluster.joinChanges') as number) >= 200);
    } finally {
      await c.stop();
      await b.stop();
    }
  });

  test('a restarted instance (SIGTERM, start again) reloads the swarms, including its own earlier peers', async () => {
    const a = await startProcess('a2');
    const ih = infoHash('cl-restart');
    await announce(announceUrl(`http://127.0.0.1:${a.http}`, announceParams(ih, peerId('rs1'), { ip: '10.10.0.1' })));
    await new Promise((r) => setTimeout(r, 300));
    await stopCleanly(a.r);
    const again = await startProcess('a2b');
    try {
      await waitFor('the restarted instance to hold its earlier peer', async () => {
        const r = await get(`http://127.0.0.1:${again.api}/torrents/${hex(ih)}`);
        return r.status === 200 && JSON.parse(r.body.toString()).leechers === 1;
      }, 10_000, 50);
    } finally {
      await stopCleanly(again.r);
    }
  });
});

describe('cluster mode: redis faults', { skip }, () => {
  test('redis down: instances keep serving (/check 200, /stats says since when), hold their changes, and catch up when it returns empty', async () => {
    const redis = await startRedis();
    const keys = prefix();
    const a = await startTestTracker(cluster(redis, keys));
    const b = await startTestTracker(cluster(redis, keys));
    try {
      await ready(a);
      await ready(b);
      const before = infoHash('cl-before-outage');
      await announce(announceUrl(a.httpUrl, announceParams(before, peerId('o1'), { ip: '10.11.0.1' })));
      await waitFor('B to see it', async () => (await torrent(b, before))?.leechers === 1, SEEN_WITHIN_MS, 20);

      await redis.kill();
      await waitFor('A to notice', async () => pick(await getJson(`${a.apiUrl}/stats`), 'cluster.link') === 'down', 10_000, 50);
      const s = await getJson(`${a.apiUrl}/stats`);
      assert.match(String(pick(s, 'cluster.downSince')), /^\d{4}-\d\d-\d\dT/);
      assert.equal((await get(`${a.apiUrl}/check`)).status, 200, 'still in service');
      const during = infoHash('cl-during-outage');
      const r = await announce(announceUrl(a.httpUrl, announceParams(during, peerId('o2'), { ip: '10.11.0.2' })));
      assert.equal(r.d['failure reason'], undefined, 'announces are answered from the local tables');

      // Redis comes back with none of its data: the outage-time change is published from the outbox, and
      // the peers Redis lost are republished (a new instance then loads both).
      await redis.start();
      await waitFor('B to see the change held during the outage', async () => (await torrent(b, during))?.leechers === 1, 15_000, 50);
      await waitFor('A to notice the data loss and republish', async () =>
        (pick(await getJson(`${a.apiUrl}/stats`), 'cluster.dataLosses') as number) > 0, 15_000, 50);
      const c = await startTestTracker(cluster(redis, keys));
      try {
        await ready(c);
        await waitFor('a new instance to load the republished peers', async () =>
          (await torrent(c, before))?.leechers === 1 && (await torrent(c, during))?.leechers === 1, 10_000, 50);
      } finally {
        await c.stop();
      }
    } finally {
      await a.stop();
      await b.stop();
      await redis.stop();
    }
  });

  test('a full outbox drops the oldest changes (counted) and republishes once redis answers', async () => {
    const redis = await startRedis();
    const keys = prefix();
    const a = await startTestTracker(cluster(redis, keys, { redisOutboxChanges: 1024 }));
    const b = await startTestTracker(cluster(redis, keys));
    try {
      await ready(a);
      await ready(b);
      await redis.stop();
      await waitFor('A to notice', async () => pick(await getJson(`${a.apiUrl}/stats`), 'cluster.link') === 'down', 10_000, 50);
      const ih = infoHash('cl-overflow');
      for (let p = 0; p < 60; p++) {
        // one group: every change of this torrent lands in the same outbox
        await Promise.all(Array.from({ length: 50 }, (_, k) =>
          announce(announceUrl(a.httpUrl, announceParams(ih, peerId(`ov${p}-${k}`), { ip: `10.12.${p}.${k + 1}` })))));
      }
      await waitFor('drops to be counted', async () => (pick(await getJson(`${a.apiUrl}/stats`), 'cluster.changesDropped') as number) > 0, 5_000, 50);
      await redis.start();
      await waitFor('B to hold all 3000 peers after the republish', async () => (await torrent(b, ih))?.leechers === 3000, 20_000, 100);
    } finally {
      await a.stop();
      await b.stop();
      await redis.stop();
    }
  });
});

describe('cluster mode on a 3-master Redis Cluster', { skip }, () => {
  test('instances share swarms whose groups live on different masters', async () => {
    const rc = startRedisCluster();
    const keys = prefix();
    const a = await startTestTracker(cluster(rc, keys, { redisCluster: true }));
    const b = await startTestTracker(cluster(rc, keys, { redisCluster: true, workers: 2 }));
    try {
      await ready(a);
      await ready(b);
      const hashes = Array.from({ length: 40 }, (_, i) => infoHash(`rc-${i}`)); // spread over the 16 groups
      for (const ih of hashes) await announce(announceUrl(a.httpUrl, announceParams(ih, peerId('rc'), { ip: '10.13.0.1' })));
      for (const ih of hashes) await waitFor(`B to see ${hex(ih)}`, async () => (await torrent(b, ih))?.leechers === 1, SEEN_WITHIN_MS, 20);
      const c = await startTestTracker(cluster(rc, keys, { redisCluster: true }));
      try {
        await ready(c);
        for (const ih of hashes) assert.equal((await torrent(c, ih))?.leechers, 1, 'joined from every master');
      } finally {
        await c.stop();
      }
    } finally {
      await a.stop();
      await b.stop();
      rc.stop();
    }
  });
});
