// The batched UDP socket (src/frontends/udp/batch-socket.ts over native/reuseport/batch-io.c), on real
// sockets: many datagrams arrive in few calls, each with its own source; replies queued during a batch
// leave in one flush to the right clients, and those queued outside a batch leave at the next
// microtask checkpoint; a datagram longer than the slot arrives flagged as truncated; a reply the
// kernel refuses is counted and does not stop the others; IPv4 clients of a dual-stack socket are
// seen as IPv4; close is idempotent and stops everything; a thread that ends without closing leaks
// neither its fd nor the process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BatchSocket } from '../../../src/frontends/udp/batch-socket.js';
import { batchIoAddon, openReusePortUdpSocket } from '../../../src/frontends/udp/reuseport.js';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const build = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-native.mjs'), '--strict'], { encoding: 'utf8', timeout: 120_000 });
const skip = build.status === 0 ? false : `the native addon could not be built: ${build.stderr.trim() || build.error?.message}`;
const SLOT = 256;

interface Received { text: string; source: number[]; port: number; truncated: boolean }

/** A BatchSocket on 127.0.0.1 (or `host`) that records what it receives and each batch's size. */
function open(host = '127.0.0.1', onReceive?: (r: Received, s: BatchSocket) => void) {
  const addon = batchIoAddon()!;
  const fd = openReusePortUdpSocket(host, 0, host.includes(':') ? 'udp6' : 'udp4', false)!;
  const got: Received[] = [];
  const batches: number[] = [];
  const counters = { udpRepliesDropped: 0 };
  let inBatch = 0;
  let socket: BatchSocket;
  const onDatagram = (pkt: Buffer, source: Uint8Array, port: number, truncated: boolean): void => {
    if (inBatch === 0) batches.push(0);
    inBatch++;
    batches[batches.length - 1]!++;
    const r = { text: pkt.toString('latin1'), source: [...source], port, truncated };
    got.push(r);
    onReceive?.(r, socket);
  };
  socket = new BatchSocket(addon, fd, SLOT, onDatagram, counters);
  socket.afterBatch = () => { inBatch = 0; };
  return { socket, got, batches, counters };
}

function bindClient(type: 'udp4' | 'udp6' = 'udp4', host = '127.0.0.1'): Promise<Socket> {
  const c = createSocket(type);
  return new Promise((resolve) => c.bind(0, host, () => resolve(c)));
}

function collect(c: Socket, n: number, timeoutMs = 3_000): Promise<string[]> {
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`got ${out.length} of ${n} replies: ${out.slice(0, 5).join(',')}`)), timeoutMs);
    c.on('message', (m) => {
      out.push(m.toString('latin1'));
      if (out.length === n) {
        clearTimeout(t);
        resolve(out);
      }
    });
  });
}

async function until(cond: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a burst arrives in batches, each datagram with its source; replies leave to the right clients', { skip, timeout: 30_000 }, async () => {
  const ipv4 = new Uint8Array([127, 0, 0, 1]);
  const s = open('127.0.0.1', (r, sock) => {
    const reply = Buffer.from(`re:${r.text}`, 'latin1');
    sock.send(reply, reply.length, new Uint8Array(r.source), 0, 4, r.port);
  });
  const clients = [await bindClient(), await bindClient(), await bindClient()];
  try {
    const replies = clients.map((c) => collect(c, 100));
    // Sent before the socket's thread gets to read them: they queue in the kernel and come out in
    // batches of up to 64.
    for (let i = 0; i < 100; i++) for (let k = 0; k < 3; k++) clients[k]!.send(`${k}-${i}`, s.socket.port, '127.0.0.1');
    const got = await Promise.all(replies);
    for (let k = 0; k < 3; k++) {
      assert.deepEqual([...got[k]!].sort(), Array.from({ length: 100 }, (_, i) => `re:${k}-${i}`).sort());
    }
    assert.equal(s.got.length, 300);
    for (const r of s.got) {
      assert.deepEqual(r.source, [...ipv4]);
      assert.equal(r.port, clients[Number(r.text[0])]!.address().port);
      assert.equal(r.truncated, false);
    }
    assert.ok(Math.max(...s.batches) > 1, `batches: ${s.batches.join(',')}`);
    assert.ok(Math.max(...s.batches) <= 64, `batches: ${s.batches.join(',')}`);
    assert.equal(s.counters.udpRepliesDropped, 0);
  } finally {
    for (const c of clients) c.close();
    await s.socket.close();
  }
});

test('a reply queued outside a batch leaves at the next microtask checkpoint', { skip, timeout: 30_000 }, async () => {
  const s = open();
  const c = await bindClient();
  try {
    const reply = collect(c, 1);
    s.socket.send(Buffer.from('late'), 4, new Uint8Array([127, 0, 0, 1]), 0, 4, c.address().port);
    assert.deepEqual(await reply, ['late']);
  } finally {
    c.close();
    await s.socket.close();
  }
});

test('a datagram longer than the slot arrives truncated and flagged; a shorter one whole', { skip, timeout: 30_000 }, async () => {
  const s = open();
  const c = await bindClient();
  try {
    c.send(Buffer.alloc(SLOT + 100, 0x61), s.socket.port, '127.0.0.1');
    c.send(Buffer.alloc(SLOT, 0x62), s.socket.port, '127.0.0.1');
    await until(() => s.got.length === 2, 'two datagrams');
    assert.deepEqual(s.got.map((r) => [r.text.length, r.truncated]), [[SLOT, true], [SLOT, false]]);
  } finally {
    c.close();
    await s.socket.close();
  }
});

test('a reply the kernel refuses is counted and the rest of the flush still leaves', { skip, timeout: 30_000 }, async () => {
  const s = open();
  const c = await bindClient();
  try {
    const replies = collect(c, 2);
    const to = new Uint8Array([127, 0, 0, 1]);
    // Queued back to back outside a batch: one flush. Port 0 is refused by sendmmsg (EINVAL).
    s.socket.send(Buffer.from('one'), 3, to, 0, 4, c.address().port);
    s.socket.send(Buffer.from('lost'), 4, to, 0, 4, 0);
    s.socket.send(Buffer.from('two'), 3, to, 0, 4, c.address().port);
    assert.deepEqual((await replies).sort(), ['one', 'two']);
    assert.equal(s.counters.udpRepliesDropped, 1);
  } finally {
    c.close();
    await s.socket.close();
  }
});

test('a dual-stack socket sees IPv4 clients as IPv4 and answers them, IPv6 clients as IPv6', { skip, timeout: 30_000 }, async () => {
  const s = open('::', (r, sock) => sock.send(Buffer.from('ok'), 2, new Uint8Array(r.source), 0, r.source.length === 4 ? 4 : 6, r.port));
  const c4 = await bindClient();
  try {
    const reply = collect(c4, 1);
    c4.send('v4', s.socket.port, '127.0.0.1');
    assert.deepEqual(await reply, ['ok']);
    assert.deepEqual(s.got[0]!.source, [127, 0, 0, 1]);
    let c6: Socket | null = null;
    try {
      c6 = await bindClient('udp6', '::1');
    } catch {
      return; // no IPv6 loopback here: the IPv4 half is what could be checked
    }
    const reply6 = collect(c6, 1);
    c6.send('v6', s.socket.port, '::1');
    assert.deepEqual(await reply6, ['ok']);
    assert.deepEqual(s.got[1]!.source, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    c6.close();
  } finally {
    c4.close();
    await s.socket.close();
  }
});

test('close is idempotent, stops receiving and sends nothing after it', { skip, timeout: 30_000 }, async () => {
  const s = open();
  const c = await bindClient();
  try {
    const port = s.socket.port;
    await s.socket.close();
    await s.socket.close();
    s.socket.send(Buffer.from('x'), 1, new Uint8Array([127, 0, 0, 1]), 0, 4, c.address().port);
    c.send('after', port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.got.length, 0);
    // The port is free again: the fd was closed.
    const again = await bindClient('udp4');
    await new Promise<void>((resolve, reject) => {
      const probe = createSocket('udp4');
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    again.close();
  } finally {
    c.close();
  }
});

test('a thread that ends with its batched socket open closes the fd and does not take the process down', { skip, timeout: 30_000 }, async () => {
  const fdsBefore = readdirSync('/proc/self/fd').length;
  const url = new URL('../../../src/frontends/udp/batch-socket.js', import.meta.url).href;
  const loader = new URL('../../../src/frontends/udp/reuseport.js', import.meta.url).href;
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    Promise.all([import(${JSON.stringify(url)}), import(${JSON.stringify(loader)})]).then(([b, rp]) => {
      const fd = rp.openReusePortUdpSocket('127.0.0.1', 0, 'udp4', false);
      const s = new b.BatchSocket(rp.batchIoAddon(), fd, 256, () => {}, { udpRepliesDropped: 0 });
      parentPort.postMessage(s.port);
      process.exit(0); // the thread ends; the addon's cleanup hook must stop the poll and close the fd
    });`, { eval: true });
  const port = await new Promise<number>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  const code = await new Promise<number>((resolve) => worker.once('exit', resolve));
  assert.equal(code, 0);
  await until(() => readdirSync('/proc/self/fd').length <= fdsBefore, 'the fd to be closed');
  await new Promise<void>((resolve, reject) => {
    const probe = createSocket('udp4');
    probe.once('error', reject);
    probe.bind(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
});

test('a thread terminated with its batched socket open, or closing it from a batch and exiting, takes nothing down', { skip, timeout: 60_000 }, async () => {
  // libuv finishes closing the poll handle after Node has unloaded the addon of an ending thread: a
  // close callback inside the addon would crash the process (it did, before close_now used free()).
  const url = new URL('../../../src/frontends/udp/batch-socket.js', import.meta.url).href;
  const loader = new URL('../../../src/frontends/udp/reuseport.js', import.meta.url).href;
  for (const mode of ['terminate', 'close-and-exit']) {
    for (let i = 0; i < 5; i++) {
      const worker = new Worker(`
        const { parentPort } = require('node:worker_threads');
        Promise.all([import(${JSON.stringify(url)}), import(${JSON.stringify(loader)})]).then(([b, rp]) => {
          const fd = rp.openReusePortUdpSocket('127.0.0.1', 0, 'udp4', false);
          let s;
          s = new b.BatchSocket(rp.batchIoAddon(), fd, 256, () => { s.close(); process.exit(0); }, { udpRepliesDropped: 0 });
          parentPort.postMessage(s.port);
        });`, { eval: true });
      const port = await new Promise<number>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      if (mode === 'terminate') {
        await worker.terminate();
      } else {
        const c = await bindClient();
        c.send('x', port, '127.0.0.1');
        assert.equal(await exited, 0);
        c.close();
      }
    }
  }
});
