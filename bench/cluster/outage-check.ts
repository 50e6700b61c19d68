// Cluster-mode prototype: what node-redis does while Redis is gone and after it comes back empty, which
// the outbox and epoch design relies on. Starts a redis-server, publishes with a client whose offline
// queue is disabled, kills the server (SIGKILL), keeps publishing for 2 s, restarts it on the same port
// with no data, and reports: how commands fail while it is down (error, time to fail), how long the
// client takes to be ready again, whether the group's epoch key shows the loss, and whether a tailer that
// resumes from its pre-crash entry id sees entries written after the restart.
//
//   node build/bench/cluster/outage-check.js
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { BatchKind, batchBytes, writeBatchHeader } from '../../src/cluster/change-batch.js';
import { startRedisServer } from './redis-server-process.js';
import { BINARY_REPLIES, forEachStream } from '../../src/cluster/stream-reply.js';
import { groupKey } from './synthetic-peers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const key = groupKey(0);
const epochKey = key.replace(':changes', ':epoch');
const instance = randomBytes(8);
const batch = (): Buffer => {
  const b = Buffer.alloc(batchBytes(10));
  writeBatchHeader(b, BatchKind.Live, 10, 0, instance, Date.now(), Date.now());
  return b;
};

setTimeout(() => { console.error('outage-check: over 60 s, giving up'); process.exit(2); }, 60_000).unref();
const dir = mkdtempSync(join(tmpdir(), 'hayate-redis-outage-'));
const first = await startRedisServer([], undefined, dir);
const { port } = first;
const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: 50 }, disableOfflineQueue: true });
let errorEvents = 0;
client.on('error', () => { errorEvents++; });
await client.connect();
const epoch = randomBytes(8).toString('hex');
await client.sendCommand(['SET', epochKey, epoch]);
for (let i = 0; i < 100; i++) await client.sendCommand(['XADD', key, '*', 'd', batch()]);
const lastBefore = await client.sendCommand<[Buffer, Buffer[]][]>(['XREVRANGE', key, '+', '-', 'COUNT', '1'], BINARY_REPLIES);
const lastId = lastBefore[0]![0];
console.log(`before: 100 entries, last id ${lastId.toString()}, epoch ${epoch}`);

const killedAt = performance.now();
process.kill(first.pid, 'SIGKILL');
await first.stop();
const failures: { ms: number; error: string }[] = [];
while (performance.now() - killedAt < 2000) {
  const t = performance.now();
  try {
    await client.sendCommand(['XADD', key, '*', 'd', batch()]);
  } catch (e) {
    failures.push({ ms: performance.now() - t, error: (e as Error).message });
  }
  await sleep(50);
}
const kinds = [...new Set(failures.map((f) => f.error))];
const worst = Math.max(...failures.map((f) => f.ms));
console.log(`down 2 s: ${failures.length} XADDs failed (slowest failure ${worst.toFixed(1)} ms): ${kinds.join(' | ')}; client error events ${errorEvents}`);

const second = await startRedisServer([], port, dir);
const restartedAt = performance.now();
while (!client.isReady && performance.now() - restartedAt < 10_000) await sleep(5);
const reconnectMs = performance.now() - restartedAt;
const epochAfter = await client.sendCommand<string | null>(['GET', epochKey]);
await client.sendCommand(['XADD', key, '*', 'd', batch()]);
const tail = await client.sendCommand(['XREAD', 'COUNT', '10', 'STREAMS', key, lastId], BINARY_REPLIES);
let seen = 0;
forEachStream(tail, (_k, entries) => { seen += entries.length; });
console.log(`restarted empty: client ready again ${reconnectMs.toFixed(0)} ms after the server answered; epoch now ${String(epochAfter)} ` +
  `(loss ${epochAfter === null ? 'detected' : 'NOT detected'}); XREAD from the pre-crash id ${lastId.toString()} sees ${seen} new entr${seen === 1 ? 'y' : 'ies'}`);
client.destroy();
await second.stop();
rmSync(dir, { recursive: true, force: true });
