// A trivial UDP responder on 1 or 2 worker threads, for scripts/measure/udp-threads.mjs. Every datagram of
// 16 bytes or more gets a 16-byte BEP 15 connect reply (action 0, the request's transaction id, a fixed
// connection id) from a preallocated ring: no allocation per packet, so the figures show the socket
// arrangement, not a tracker.
//
//   node scripts/measure/udp-threads-server.mjs one|shared|reuseport PORT
//     one        1 I/O thread, 1 socket
//     shared     2 I/O threads, 1 socket: the first binds it, the second adopts its fd (bind({ fd }))
//     reuseport  2 I/O threads, 1 SO_REUSEPORT socket each (native addon, build/native/reuseport.node)
// Prints "READY <tid>,<tid>" (the threads' kernel ids, for /proc/<pid>/task/<tid>/stat). Commands on stdin:
// "COUNTS" prints "COUNTS <n>,<n> FLOWS <f>,<f>" (datagrams answered per thread so far, and distinct
// client source ports each thread has answered since the previous COUNTS); "EXIT" closes and exits.
// The main thread only coordinates. Needs `npm run build` (dist/) first.
import dgram from 'node:dgram';
import { readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const RECV_BUFFER_BYTES = 4 << 20;
const RING = 4096;

if (isMainThread) {
  const [mode, portText] = process.argv.slice(2);
  if (!['one', 'shared', 'reuseport'].includes(mode ?? '') || !/^\d+$/.test(portText ?? '')) {
    console.error('usage: udp-threads-server.mjs one|shared|reuseport PORT');
    process.exit(2);
  }
  const port = Number(portText);
  const start = (role, fd) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { mode, role, port, fd } });
    const ready = new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    return { w, ready };
  };
  const a = start('first', undefined);
  const ra = await a.ready;
  const workers = [a.w];
  const tids = [ra.tid];
  if (mode !== 'one') {
    const b = start('second', mode === 'shared' ? ra.fd : undefined);
    tids.push((await b.ready).tid);
    workers.push(b.w);
  }
  process.stdout.write(`READY ${tids.join(',')}\n`);
  const ask = (w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage('count'); });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'COUNTS') {
      const answers = [];
      for (const w of workers) answers.push(await ask(w));
      process.stdout.write(`COUNTS ${answers.map((a) => a.count).join(',')} FLOWS ${answers.map((a) => a.flows).join(',')}\n`);
    } else if (line === 'EXIT') break;
  }
  for (const w of workers) await w.terminate();
  process.exit(0);
} else {
  const { mode, role, port, fd } = workerData;
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  const sock = dgram.createSocket('udp4');
  if (mode === 'reuseport') {
    const rp = await import('../../dist/frontends/udp/reuseport.js');
    const support = rp.reusePortSupport();
    if (!support.ok) throw new Error(support.reason);
    // dgram adopts the addon's SO_REUSEPORT socket (this script compares socket layouts on node:dgram)
    const own = rp.openReusePortUdpSocket('127.0.0.1', port, 'udp4');
    await new Promise((resolve) => sock.bind({ fd: own }, resolve));
  } else if (role === 'second') {
    await new Promise((resolve) => sock.bind({ fd }, resolve));
  } else {
    await new Promise((resolve, reject) => { sock.once('error', reject); sock.bind(port, '127.0.0.1', resolve); });
  }
  try {
    sock.setRecvBufferSize(RECV_BUFFER_BYTES);
  } catch {
    // capped by the kernel's rmem_max
  }
  const ring = Buffer.alloc(RING * 16);
  for (let i = 0; i < RING; i++) ring.write('hayatecb', i * 16 + 8, 'latin1');
  let next = 0;
  let count = 0;
  // Source ports this thread has answered (all clients are on 127.0.0.1): how the flows spread.
  const seen = new Uint8Array(65536);
  let flows = 0;
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 16) return;
    if (seen[rinfo.port] === 0) { seen[rinfo.port] = 1; flows++; }
    const at = next * 16;
    next = (next + 1) % RING;
    msg.copy(ring, at + 4, 12, 16);
    sock.send(ring, at, 16, rinfo.port, rinfo.address);
    count++;
  });
  parentPort.on('message', () => {
    parentPort.postMessage({ count, flows });
    seen.fill(0); // flows are counted from one COUNTS to the next
    flows = 0;
  });
  // dgram keeps its fd on a private handle; the second thread of "shared" adopts it. (No public API.)
  const state = Object.getOwnPropertySymbols(sock).find((s) => s.description === 'state symbol');
  parentPort.postMessage({ tid, fd: state === undefined ? -1 : sock[state].handle.fd });
}
