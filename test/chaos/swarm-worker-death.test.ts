// Chaos: swarm workers killed under announce load (workers: 2). A worker that dies is restarted over its
// tables: no admitted peer leaves its swarm, and every announce in flight gets an answer, a peer list
// or `tracker busy, retry later` (docs/compatibility.md section 7), never a hang, a reset or another
// text. The restart rule of src/dispatch/swarm-pool.ts: a death within 5 s of the worker's start is
// "quick"; more than 3 quick deaths in a row cannot restore the swarm and the tracker's onFatal is
// called (the process then exits 70).
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { after, describe, it } from 'node:test';
import { Tracker } from '../../src/tracker.js';
import { Log } from '../../src/util/log.js';
import { getJson, sleep, startTestTracker, testConfig, waitFor, type TestTracker } from '../helpers/tracker.js';
import { assertNoPeerLost, assertNoWrongAnswer, BUSY, ChaosLoad, chaosPool, failuresOf, unexpectedFailures, warmUp } from './chaos-load.js';

/** Deaths spaced by more than the 5 s after which swarm-pool.ts counts a worker as stable. */
const DEATHS = 4;
const SPACING_MS = 5_500;

async function replaced(t: TestTracker | Tracker, owner: number, old: Worker, restarts: number): Promise<void> {
  const tracker = 'tracker' in t ? t.tracker : t;
  const pool = tracker.pool!;
  await waitFor(`swarm-${owner + 1} restarted`, () => pool.restarts >= restarts && pool.workers[owner] !== old, 10_000);
  await pool.ready();
}

describe('chaos: swarm worker deaths under announce load', { timeout: 90_000 }, () => {
  let t: TestTracker | null = null;
  after(async () => { await t?.stop(); });

  it(`${DEATHS} deaths ${SPACING_MS / 1000} s apart: every announce answered (a peer list or \`${BUSY}\`), no peer lost`, async () => {
    t = await startTestTracker({ ioThreads: 2, workers: 2, torrentMapShards: 8, udpListenAddr: '127.0.0.1:0' });
    const target = { host: '127.0.0.1', httpPort: t.httpPort, udpPort: t.tracker.ports.udp };
    const pool = chaosPool('swarm-worker-death');
    await warmUp(target, pool);
    const load = new ChaosLoad(target, pool, { durationMs: 60_000 }, true);
    const deaths: { owner: number; atMs: number; restartedMs: number }[] = [];
    for (let i = 0; i < DEATHS; i++) {
      await sleep(i === 0 ? 1_000 : SPACING_MS);
      const owner = i % 2;
      const old = t.tracker.pool!.workers[owner]!;
      const atMs = load.now();
      void old.terminate();
      await replaced(t, owner, old, i + 1);
      deaths.push({ owner, atMs, restartedMs: load.now() });
    }
    await sleep(1_000);
    await load.stop();
    const stats = await getJson(`${t.apiUrl}/stats`);
    console.log(`swarm worker deaths at ${deaths.map((d) => `${d.atMs} ms (swarm-0${d.owner + 1}, back after ${d.restartedMs - d.atMs} ms)`).join(', ')}\n${load.summary()}\n` +
      `  /stats: workerRestarts ${String(stats.workerRestarts)}, requestsFailedWorkerDied ${String(stats.requestsFailedWorkerDied)}, requestsRefusedBusy ${String(stats.requestsRefusedBusy)}`);

    const totals = load.tally.totals();
    assert.deepEqual(totals.http.lost, { timeout: 0, reset: 0, 'bad-reply': 0 }, 'every HTTP announce got an answer');
    assert.deepEqual(totals.udp.lost, { timeout: 0, reset: 0, 'bad-reply': 0 }, 'every UDP announce got an answer');
    assert.deepEqual(unexpectedFailures(load, [BUSY]), {}, `no failure text but \`${BUSY}\``);
    assertNoWrongAnswer(load);
    assert.equal(stats.workerRestarts, DEATHS);
    // Every request the dying workers left was failed with `busy` and answered: the tracker's count of
    // them (plus refusals for full rings) is what the clients received.
    assert.equal(failuresOf(load, BUSY), (stats.requestsFailedWorkerDied as number) + (stats.requestsRefusedBusy as number),
      'every failed request reached its client');
    // The load kept flowing after each restart.
    for (const d of deaths) assert.ok(load.okBetween(d.restartedMs + 200, d.restartedMs + 1_200) > 0, `peer lists within a second of the restart at ${d.restartedMs} ms`);
    await assertNoPeerLost(t.httpUrl, pool);
  });
});

describe('chaos: the restart rule (swarm-pool.ts: more than 3 quick deaths in a row is fatal)', { timeout: 60_000 }, () => {
  let tracker: Tracker | null = null;
  after(async () => { await tracker?.stop(); });

  it('a 4th death within 5 s of each restart calls onFatal; 3 are survived and the swarm is still whole', async () => {
    const fatal: Error[] = [];
    const config = testConfig({ ioThreads: 1, workers: 2, torrentMapShards: 4, udpListenAddr: '127.0.0.1:0', httpRequestTimeoutMs: 500 });
    tracker = await Tracker.start(config, new Log(0, () => {}), { onFatal: (err) => fatal.push(err), faultInjection: true });
    const httpUrl = `http://127.0.0.1:${tracker.ports.http}`;
    const target = { host: '127.0.0.1', httpPort: tracker.ports.http, udpPort: tracker.ports.udp };
    const pool = chaosPool('quick-deaths', { torrents: 500 });
    await warmUp(target, pool);
    const load = new ChaosLoad(target, pool, { httpRate: 1_000, udpRate: 500, durationMs: 30_000, timeoutMs: 3_000 }, true);
    const pace = tracker.pool!;
    // Three quick deaths in a row: each is restarted (restartsInARow 1, 2, 3).
    for (let i = 1; i <= 3; i++) {
      await sleep(300);
      const old = pace.workers[0]!;
      void old.terminate();
      await replaced(tracker, 0, old, i);
      assert.deepEqual(fatal, [], `death ${i} (quick) is survived`);
    }
    await sleep(500);
    await load.stop();
    console.log(`3 quick deaths of swarm-01 survived\n${load.summary()}`);
    assert.deepEqual(load.tally.totals().http.lost, { timeout: 0, reset: 0, 'bad-reply': 0 });
    assert.deepEqual(load.tally.totals().udp.lost, { timeout: 0, reset: 0, 'bad-reply': 0 });
    assert.deepEqual(unexpectedFailures(load, [BUSY]), {});
    assertNoWrongAnswer(load);
    await assertNoPeerLost(httpUrl, pool);
    // The 4th within 5 s of the last restart: the swarm cannot be restored.
    void pace.workers[0]!.terminate();
    await waitFor('onFatal', () => fatal.length > 0, 5_000);
    assert.match(fatal[0]!.message, /swarm-01 died 4 times within 5000 ms of starting: cannot restore the swarm/);
    assert.equal(pace.restarts, 4);
  });
});
