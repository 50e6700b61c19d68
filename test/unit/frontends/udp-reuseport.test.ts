// Per-thread SO_REUSEPORT UDP sockets (src/frontends/udp/reuseport.ts and its addon), on real sockets:
// two worker threads each bind their own socket on one port and the kernel spreads datagrams from many
// source ports over both; errors carry the errno text; the batched socket owns (and closes) the fd, also
// one it refuses; and with the addon missing the loader says why and hands out no socket, so hayate can fall back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { openSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  batchIoAddon, openReusePortUdpSocket, REUSEPORT_ADDON_ENV, reusePortAvailable, reusePortSupport,
} from '../../../src/frontends/udp/reuseport.js';
import { BatchSocket } from '../../../src/frontends/udp/batch-socket.js';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url)); // build/test/ -> repository root
const LOADER_URL = new URL('../../../src/frontends/udp/reuseport.js', import.meta.url).href;
const BATCH_URL = new URL('../../../src/frontends/udp/batch-socket.js', import.meta.url).href;
const MISSING_ADDON = join(REPO, 'build', 'native', 'no-such-addon.node');
const CLIENTS = 64;
const REPLY_TIMEOUT_MS = 2_000;

// The addon is built here as `npm run build` builds it (a no-op when it is up to date).
const build = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-native.mjs'), '--strict'], { encoding: 'utf8', timeout: 120_000 });
const skip = build.status === 0 ? false : `the reuseport addon could not be built: ${build.stderr.trim() || build.error?.message}`;

// A worker thread with one UDP responder on workerData.port (0: any), answering every datagram with its
// threadId: on a batched socket of its own from the addon or, when the addon is not available, on a
// plain dgram socket (the fallback: one socket for the port). It reports which it got and why.
const RESPONDER = `
const { parentPort, workerData, threadId } = require('node:worker_threads');
const dgram = require('node:dgram');
Promise.all([import(workerData.loader), import(workerData.batch)]).then(async ([rp, b]) => {
  const support = rp.reusePortSupport();
  const reply = Buffer.alloc(4);
  reply.writeUInt32BE(threadId);
  let port, close;
  if (support.ok) {
    let s;
    s = new b.BatchSocket(rp.batchIoAddon(), rp.openReusePortUdpSocket('127.0.0.1', workerData.port, 'udp4'), 2048,
      (m, source, from) => s.send(reply, 4, source, 0, 4, from), { udpRepliesDropped: 0 });
    port = s.port;
    close = (done) => s.close().then(done);
  } else {
    const s = dgram.createSocket('udp4');
    await new Promise((resolve, reject) => { s.once('error', reject); s.bind(workerData.port, '127.0.0.1', resolve); });
    s.on('message', (m, r) => s.send(reply, r.port, r.address));
    port = s.address().port;
    close = (done) => s.close(done);
  }
  parentPort.on('message', (m) => { if (m === 'close') close(() => parentPort.postMessage({ closed: true })); });
  parentPort.postMessage({ port, reusePort: support.ok, reason: support.ok ? '' : support.reason });
}).catch((err) => parentPort.postMessage({ error: String(err && err.message || err) }));
`;

interface Ready { port: number; reusePort: boolean; reason: string }

async function startResponder(port: number, env?: NodeJS.ProcessEnv): Promise<{ worker: Worker; ready: Ready }> {
  const worker = new Worker(RESPONDER, { eval: true, workerData: { loader: LOADER_URL, batch: BATCH_URL, port }, ...(env === undefined ? {} : { env }) });
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.once('message', (m: Ready & { error?: string }) => (m.error === undefined ? resolve(m) : reject(new Error(m.error))));
    worker.once('error', reject);
  });
  return { worker, ready };
}

function bindClient(): Promise<Socket> {
  const c = createSocket('udp4');
  return new Promise((resolve) => c.bind(0, '127.0.0.1', () => resolve(c)));
}

/** Sends one datagram from `client` and waits for the reply: the threadId of the thread that answered. */
function ask(client: Socket, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.removeAllListeners('message'); reject(new Error(`no reply within ${REPLY_TIMEOUT_MS} ms`)); }, REPLY_TIMEOUT_MS);
    client.once('message', (m) => { clearTimeout(timer); resolve(m.readUInt32BE(0)); });
    client.send(Buffer.alloc(16), port, '127.0.0.1');
  });
}

function fdTarget(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

test('two worker threads, one SO_REUSEPORT socket each on one port: datagrams from many source ports reach both', { skip, timeout: 30_000 }, async () => {
  const a = await startResponder(0);
  const b = await startResponder(a.ready.port);
  const clients: Socket[] = [];
  try {
    assert.ok(a.ready.reusePort && b.ready.reusePort, `the addon loads in worker threads: ${a.ready.reason} ${b.ready.reason}`);
    assert.equal(b.ready.port, a.ready.port);
    for (let i = 0; i < CLIENTS; i++) clients.push(await bindClient());
    const byThread = new Map<number, number>();
    const first: number[] = [];
    for (const c of clients) {
      const t = await ask(c, a.ready.port);
      first.push(t);
      byThread.set(t, (byThread.get(t) ?? 0) + 1);
    }
    assert.deepEqual([...byThread.keys()].sort(), [a.worker.threadId, b.worker.threadId].sort(), 'both threads answered');
    // A fair hash puts fewer than 8 of 64 on one side with a probability below 1e-10.
    for (const [t, n] of byThread) assert.ok(n >= 8, `thread ${t} answered ${n} of ${CLIENTS}: ${JSON.stringify([...byThread])}`);
    // The kernel picks the socket by a hash of the source address and port: a client stays with its thread.
    for (let i = 0; i < clients.length; i++) assert.equal(await ask(clients[i]!, a.ready.port), first[i], `client ${i} went to another thread`);
  } finally {
    for (const c of clients) c.close();
    await a.worker.terminate();
    await b.worker.terminate();
  }
});

test('closing one thread\'s socket leaves the other serving the port alone', { skip, timeout: 30_000 }, async () => {
  const a = await startResponder(0);
  const b = await startResponder(a.ready.port);
  const clients: Socket[] = [];
  try {
    a.worker.postMessage('close');
    await new Promise((resolve) => a.worker.once('message', resolve));
    for (let i = 0; i < 16; i++) clients.push(await bindClient());
    for (const c of clients) assert.equal(await ask(c, a.ready.port), b.worker.threadId);
  } finally {
    for (const c of clients) c.close();
    await a.worker.terminate();
    await b.worker.terminate();
  }
});

test('a port held by a socket without SO_REUSEPORT: EADDRINUSE with the errno text', { skip }, async () => {
  const plain = createSocket('udp4');
  await new Promise<void>((resolve) => plain.bind(0, '127.0.0.1', resolve));
  try {
    assert.throws(() => openReusePortUdpSocket('127.0.0.1', plain.address().port, 'udp4'),
      (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE' && err.syscall === 'bind'
        && err.message === `bind(127.0.0.1:${plain.address().port}): EADDRINUSE Address already in use`);
  } finally {
    plain.close();
  }
  assert.throws(() => openReusePortUdpSocket('localhost', 0, 'udp4'), /host is not a numeric IPv4 address/);
  assert.throws(() => openReusePortUdpSocket('127.0.0.1', 0, 'udp6'), /host is not a numeric IPv6 address/);
  assert.throws(() => openReusePortUdpSocket('127.0.0.1', 70000, 'udp4'), /port must be an integer in 0\.\.65535/);
});

test('the batched socket owns the fd: close closes it and frees the port', { skip }, async () => {
  const fd = openReusePortUdpSocket('127.0.0.1', 0, 'udp4');
  assert.ok(fd !== null);
  assert.match(fdTarget(fd) ?? '', /^socket:\[\d+\]$/);
  const s = new BatchSocket(batchIoAddon()!, fd, 2048, () => {}, { udpRepliesDropped: 0 });
  const port = s.port;
  await s.close();
  assert.equal(fdTarget(fd), null, 'the fd is closed with the socket');
  const again = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { again.once('error', reject); again.bind(port, '127.0.0.1', resolve); });
  again.close();
});

test('an fd the batched socket refuses (not a bound UDP socket) is closed, not leaked', { skip }, () => {
  const fd = openSync(fileURLToPath(import.meta.url), 'r');
  assert.throws(() => new BatchSocket(batchIoAddon()!, fd, 2048, () => {}, { udpRepliesDropped: 0 }), /not a bound socket/);
  assert.equal(fdTarget(fd), null);
});

test('addon missing: the loader says why and opens nothing; a thread falls back to one plain socket', { timeout: 30_000 }, async () => {
  const support = reusePortSupport(MISSING_ADDON);
  assert.equal(support.ok, false);
  assert.ok(!support.ok && support.reason.includes(MISSING_ADDON) && support.reason.includes('missing'), JSON.stringify(support));
  assert.equal(reusePortAvailable(MISSING_ADDON), false);
  assert.equal(openReusePortUdpSocket('127.0.0.1', 0, 'udp4', true, MISSING_ADDON), null);

  // The environment variable points a worker thread's loader at the missing file: it says so, binds one
  // plain socket, and that socket answers every client; a second socket on the port is refused.
  const env = { ...process.env, [REUSEPORT_ADDON_ENV]: MISSING_ADDON };
  const a = await startResponder(0, env);
  const clients: Socket[] = [];
  try {
    assert.equal(a.ready.reusePort, false);
    assert.ok(a.ready.reason.includes(MISSING_ADDON), a.ready.reason);
    await assert.rejects(startResponder(a.ready.port, env), /EADDRINUSE/);
    for (let i = 0; i < 16; i++) clients.push(await bindClient());
    for (const c of clients) assert.equal(await ask(c, a.ready.port), a.worker.threadId);
  } finally {
    for (const c of clients) c.close();
    await a.worker.terminate();
  }
});
