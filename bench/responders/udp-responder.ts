// The trivial UDP responder the bench measures its generator against, answering every packet
// with fixed bytes of the right BEP 15 shape (connect: 16 bytes; announce: 20 + 10 compact peers;
// scrape: 8 + 12 per hash), copying only the transaction ID. Prints "PORT <n>"; stops on SIGTERM.
import dgram from 'node:dgram';
import { BatchSocket } from '../../src/frontends/udp/batch-socket.js';
import { batchIoAddon, openReusePortUdpSocket } from '../../src/frontends/udp/reuseport.js';

const connectReply = Buffer.alloc(16);
connectReply.writeUInt32BE(0, 0);
connectReply.write('hayatecb', 8, 'latin1');
const announceReply = Buffer.alloc(20 + 60);
announceReply.writeUInt32BE(1, 0);
announceReply.writeUInt32BE(1800, 8);
announceReply.writeUInt32BE(7, 12);
announceReply.writeUInt32BE(3, 16);
for (let i = 0; i < 10; i++) {
  announceReply.writeUInt32BE((10 << 24 | i) >>> 0, 20 + i * 6);
  announceReply.writeUInt16BE(6881 + i, 24 + i * 6);
}
const errorReply = Buffer.concat([Buffer.alloc(8), Buffer.from('unknown action')]);
errorReply.writeUInt32BE(3, 0);

// With hayate's native addon the responder reads and writes the way hayate does (BatchSocket:
// recvmmsg/sendmmsg, one JS call per batch), so it stays cheaper than the tracker and the ceiling
// measures the generator; without it, node:dgram, replies written into a ring of preallocated buffers
// (a buffer is reused only 4096 replies later, long after any send the kernel had to queue has gone).
const RING = 4096;
const SLOT = 8 + 12 * 74;
const ring = Buffer.alloc(RING * SLOT);
let next = 0;

/** Writes the reply to `msg` at ring slot `next`; returns [offset, length], or null for no reply. */
function reply(msg: Buffer): [number, number] | null {
  if (msg.length < 16) return null;
  const action = msg.readUInt32BE(8);
  const at = next * SLOT;
  next = (next + 1) % RING;
  let len: number;
  if (action === 0) len = connectReply.copy(ring, at);
  else if (action === 1) len = announceReply.copy(ring, at);
  else if (action === 2) {
    const n = Math.min(74, Math.max(1, Math.floor((msg.length - 16) / 20)));
    len = 8 + 12 * n;
    ring.fill(0, at, at + len);
    ring.writeUInt32BE(2, at);
  } else len = errorReply.copy(ring, at);
  msg.copy(ring, at + 4, 12, 16); // the transaction ID
  return [at, len];
}

const port = Number(process.argv[2] ?? 0);
const addon = batchIoAddon();
if (addon !== null) {
  const fd = openReusePortUdpSocket('127.0.0.1', port, 'udp4', false)!;
  const counters = { udpRepliesDropped: 0 };
  let sock: BatchSocket;
  const onDatagram = (msg: Buffer, source: Uint8Array, from: number): void => {
    const r = reply(msg);
    if (r !== null) sock.send(ring.subarray(r[0], r[0] + r[1]), r[1], source, 0, 4, from);
  };
  sock = new BatchSocket(addon, fd, 2048, onDatagram, counters);
  process.stdout.write(`PORT ${sock.port}\n`);
  process.once('SIGTERM', () => void sock.close().then(() => process.exit(0)));
} else {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const r = reply(msg);
    if (r !== null) sock.send(ring, r[0], r[1], rinfo.port, rinfo.address);
  });
  sock.bind(port, '127.0.0.1', () => {
    try {
      sock.setRecvBufferSize(4 << 20);
    } catch {
      // capped by the kernel
    }
    process.stdout.write(`PORT ${sock.address().port}\n`);
  });
  process.once('SIGTERM', () => sock.close(() => process.exit(0)));
}
