// Chaos: an I/O thread dies under announce load. `injectFault(i, 'uncaught')` throws outside any handler
// in io thread i; its uncaught-exception handler closes its sockets and the thread ends; the main
// thread restarts it (src/io/io-threads.ts). With workers: 0 the dead thread owned shards: the other
// threads fail what they had sent it (`tracker busy, retry later`) and the new thread repairs its
// tables, so no admitted peer is lost. Requests that were on the dead thread's own sockets are gone
// with them (its keep-alive connections close, datagrams in its socket buffer are dropped): counted,
// and confined to the moment of the death. Afterwards both threads serve HTTP and UDP again.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connectPacket, newTransactionId, UdpClient } from '../helpers/udp-client.js';
import { get, getJson, sleep, startTestTracker, waitFor, type TestTracker } from '../helpers/tracker.js';
import { assertNoPeerLost, assertNoWrongAnswer, BUSY, ChaosLoad, chaosPool, unexpectedFailures, warmUp } from './chaos-load.js';

/**
 * Requests lost on a dying thread's own sockets must all have been sent within this window around its
 * death: up to a second before (in flight when it died: read, or still in its socket buffer) and 1.5 s
 * after (until the kernel stops handing it new ones).
 */
const LOSS_BEFORE_MS = 1_000;
const LOSS_AFTER_MS = 1_500;

interface ThreadCounts { requestsHandled: number; udpPackets: number }

async function perThread(apiUrl: string): Promise<Record<string, ThreadCounts>> {
  return (await getJson(`${apiUrl}/stats`)).ioThreads as Record<string, ThreadCounts>;
}

/** 40 fresh HTTP connections and 40 fresh UDP sockets: the kernel spreads them over every listening thread. */
async function freshClients(t: TestTracker): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const res = await get(`${t.httpUrl}/scrape?info_hash=${'%00'.repeat(20)}`);
    assert.equal(res.status, 200);
    const c = await UdpClient.open({ host: '127.0.0.1', port: t.tracker.ports.udp! });
    try {
      await c.request(connectPacket(newTransactionId()));
    } finally {
      await c.close();
    }
  }
}

for (const workers of [0, 2]) {
  describe(`chaos: I/O thread deaths under announce load (ioThreads 2, workers ${workers})`, { timeout: 60_000 }, () => {
    let t: TestTracker | null = null;
    after(async () => { await t?.stop(); });

    it('each thread is restarted, /stats counts it, HTTP and UDP are served by both again, no peer lost', async () => {
      t = await startTestTracker({ ioThreads: 2, workers, torrentMapShards: 8, udpListenAddr: '127.0.0.1:0' });
      const target = { host: '127.0.0.1', httpPort: t.httpPort, udpPort: t.tracker.ports.udp };
      const pool = chaosPool(`io-thread-death-${workers}`);
      await warmUp(target, pool);
      const load = new ChaosLoad(target, pool, { durationMs: 40_000 }, true);
      const deaths: { index: number; atMs: number; backMs: number; before: ThreadCounts }[] = [];
      for (const index of [0, 1]) {
        await sleep(index === 0 ? 1_000 : 3_000);
        const name = `io-0${index + 1}`;
        const before = (await perThread(t.apiUrl))[name]!;
        const atMs = load.now();
        t.tracker.injectFault(index, 'uncaught');
        await waitFor(`${name} restarted`, async () => (await getJson(`${t!.apiUrl}/stats`)).ioThreadRestarts === index + 1, 10_000);
        deaths.push({ index, atMs, backMs: load.now(), before });
      }
      await sleep(2_000);
      const stopAt = load.now();
      await load.stop();
      await freshClients(t);
      const stats = await getJson(`${t.apiUrl}/stats`);
      const threads = stats.ioThreads as Record<string, ThreadCounts>;
      const losses = load.incidents.filter((i) => i.what.startsWith('(lost'));
      console.log(`io thread deaths (workers ${workers}): ${deaths.map((d) => `io-0${d.index + 1} at ${d.atMs} ms, restart seen at ${d.backMs} ms`).join('; ')}\n` +
        `${load.summary()}\n  lost at ${JSON.stringify(losses.slice(0, 20).map((l) => `${l.proto} ${l.atMs} ms ${l.what}`))}\n` +
        `  /stats: ioThreadRestarts ${String(stats.ioThreadRestarts)}, workerRestarts ${String(stats.workerRestarts)}, ` +
        `requestsFailedWorkerDied ${String(stats.requestsFailedWorkerDied)}, ioThreads ${JSON.stringify(threads)}`);

      assert.equal(stats.ioThreadRestarts, 2, 'both deaths counted');
      assert.equal(stats.workerRestarts, 0, 'no swarm worker died');
      assert.deepEqual(Object.keys(threads).sort(), ['io-01', 'io-02'], '/stats lists both I/O threads');
      for (const d of deaths) {
        const now = threads[`io-0${d.index + 1}`]!;
        assert.ok(now.requestsHandled > d.before.requestsHandled, `io-0${d.index + 1} serves HTTP again after its restart`);
        assert.ok(now.udpPackets > d.before.udpPackets, `io-0${d.index + 1} serves UDP again after its restart`);
      }
      assert.deepEqual(unexpectedFailures(load, [BUSY]), {}, `no failure text but \`${BUSY}\``);
      assertNoWrongAnswer(load);
      for (const l of losses) {
        assert.ok(deaths.some((d) => l.atMs >= d.atMs - LOSS_BEFORE_MS && l.atMs <= d.atMs + LOSS_AFTER_MS),
          `a request lost at ${l.atMs} ms (${l.proto} ${l.what}) is not explained by a thread's death`);
      }
      // Both protocols kept being answered after the last restart.
      assert.ok(load.okBetween(deaths[1]!.backMs + 500, stopAt) > 0, 'peer lists after the restarts');
      await assertNoPeerLost(t.httpUrl, pool);
    });
  });
}
