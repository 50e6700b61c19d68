// Every thread of the tracker carries its role in its OS name (/proc/<pid>/task/<tid>/comm): io-01,
// io-02, swarm-01, ... Node 20 names every thread "node", so `top -H`, `perf` and the bench's per-thread
// CPU figures could not tell the I/O threads from the swarm workers without it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startTestTracker } from '../helpers/tracker.js';

const linux = existsSync('/proc/thread-self/comm');

test('I/O threads and swarm workers name themselves io-NN and swarm-NN', { skip: linux ? false : 'needs Linux /proc/thread-self/comm' }, async () => {
  const t = await startTestTracker({ ioThreads: 2, workers: 2, udpListenAddr: '127.0.0.1:0' });
  try {
    const comm = (tid: number): string => readFileSync(`/proc/${process.pid}/task/${tid}/comm`, 'utf8').trim();
    const io = t.tracker.io.threadIds;
    const swarm = t.tracker.pool!.threadIds;
    assert.deepEqual(io.map((x) => x.name), ['io-01', 'io-02']);
    assert.deepEqual(swarm.map((x) => x.name), ['swarm-01', 'swarm-02']);
    for (const { name, tid } of [...io, ...swarm]) {
      assert.ok(tid > 0 && tid !== process.pid, `${name}: tid ${tid}`);
      assert.equal(comm(tid), name, `comm of ${name} (tid ${tid})`);
    }
    assert.equal(comm(process.pid), readFileSync('/proc/self/comm', 'utf8').trim(), 'the main thread keeps the process name');
  } finally {
    await t.stop();
  }
});
