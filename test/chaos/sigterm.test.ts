// Chaos: SIGTERM to a hayate process (dist/main.js) under keep-alive HTTP and UDP announce load. The
// contract (docs/compatibility.md section 1, Signals): stop accepting connections, let in-flight HTTP
// requests finish for up to httpRequestTimeout, close, exit 0. So: every HTTP request the load wrote
// gets an answer (no connection closed under a request, no request left hanging), the process exits
// 0 within httpRequestTimeout plus slack, and not by a signal (uWebSockets.js aborts a process that
// exits with sockets open in a thread: SIGABRT). UDP has no connection to drain: datagrams arriving
// after the socket stops reading get no answer, which a BEP 15 client retries; counted, not asserted.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { assertBuilt, freeListenAddrs, killAll, run, tempDir } from '../helpers/process.js';
import { sleep, within } from '../helpers/tracker.js';
import { BUSY, ChaosLoad, chaosPool, unexpectedFailures, waitServing } from './chaos-load.js';

const GRACE_MS = 2_000;
const EXIT_SLACK_MS = 3_000;

for (const workers of [0, 2]) {
  describe(`chaos: SIGTERM under keep-alive load (ioThreads 2, workers ${workers})`, { timeout: 60_000 }, () => {
    const tmp = tempDir();
    after(() => { killAll(); tmp.cleanup(); });

    it('every HTTP request written is answered, exit 0 within httpRequestTimeout + slack, no signal', async () => {
      assertBuilt();
      const addrs = await freeListenAddrs();
      const config = tmp.write('config.json', JSON.stringify({
        ...addrs.config, ioThreads: 2, workers, torrentMapShards: 8, httpRequestTimeout: `${GRACE_MS / 1000}s`,
      }));
      const r = run([`-config=${config}`]);
      await waitServing(r, addrs.api);
      const udpPort = Number(addrs.config.udpListenAddr!.split(':')[1]);
      const load = new ChaosLoad({ host: '127.0.0.1', httpPort: addrs.http, udpPort }, chaosPool(`sigterm-${workers}`),
        // Back to back on every connection (each has a request in flight nearly all the time, as behind
        // a proxy's upstream pool): the shutdown must not cut any of them.
        { httpConnections: 32, httpRate: Infinity, durationMs: 30_000, timeoutMs: GRACE_MS + EXIT_SLACK_MS });
      await sleep(2_000);
      const sentBefore = load.load.sent;
      const sigMs = load.now();
      r.child.kill('SIGTERM');
      const exit = await within(GRACE_MS + EXIT_SLACK_MS, 'exit after SIGTERM', r.exited);
      const exitMs = load.now();
      await sleep(200);
      await load.stop();
      const totals = load.tally.totals();
      console.log(`SIGTERM at ${sigMs} ms (${sentBefore} announces sent before), exit ${JSON.stringify(exit)} after ${exitMs - sigMs} ms\n${load.summary()}\n` +
        `  late incidents: ${JSON.stringify(load.incidents.filter((i) => i.atMs >= sigMs).slice(0, 12))}`);
      assert.equal(exit.signal, null, `exited by ${exit.signal}, not cleanly: ${r.stderr().slice(-2000)}`);
      assert.equal(exit.code, 0, r.stderr().slice(-2000));
      assert.ok(exitMs - sigMs <= GRACE_MS + EXIT_SLACK_MS);
      assert.deepEqual(unexpectedFailures(load, [BUSY]), {});
      assert.deepEqual(totals.http.lost, { timeout: 0, reset: 0, 'bad-reply': 0 }, 'every HTTP request written got an answer');
    });
  });
}
