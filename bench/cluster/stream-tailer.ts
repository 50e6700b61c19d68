// A tailing instance for the replication-lag measurement, run as a forked child of redis-stream-proto.js
// so that its event loop and CPU are its own: XREAD BLOCK over every group stream, skip its own batches,
// decode each change, and record announce-to-apply lag. The parent sends {stop, expected} once it has
// published everything; the tailer then finishes what is still in flight (at most 5 s) and sends its
// figures back. Arguments: <port> <groups> <instanceIdHex> <blockMs> <readGapMs>; a read gap > 0 waits
// that long after each non-empty reply before the next XREAD, so one read carries more entries (less CPU
// per change, more lag).
import { createClient } from 'redis';
import { LagRecorder } from './lag-recorder.js';
import { groupKey } from './synthetic-peers.js';
import { BINARY_REPLIES, forEachStream } from '../../src/cluster/stream-reply.js';

const [portArg, groupsArg, idHex, blockArg, gapArg] = process.argv.slice(2);
const port = Number(portArg);
const groups = Number(groupsArg);
const blockMs = Number(blockArg ?? 1000);
const readGapMs = Number(gapArg ?? 0);
const keys = Array.from({ length: groups }, (_, g) => groupKey(g));
const keyIndex = new Map(keys.map((k, i) => [k, i]));
const ids: (string | Buffer)[] = keys.map(() => '0');
const recorder = new LagRecorder(Buffer.from(idHex ?? '', 'hex'));

let expected = Infinity;
let deadline = Infinity;
process.on('message', (m: { stop?: boolean; expected?: number }) => {
  if (m.stop === true) { expected = m.expected ?? 0; deadline = Date.now() + 5000; }
});

const client = createClient({ socket: { host: '127.0.0.1', port } });
client.on('error', (e: Error) => process.stderr.write(`tailer: ${e.message}\n`));
await client.connect();
process.send?.({ ready: true });
const cpuAtReady = process.cpuUsage();

while (recorder.changes < expected && Date.now() < deadline) {
  const reply = await client.sendCommand(['XREAD', 'COUNT', '1000', 'BLOCK', String(blockMs), 'STREAMS', ...keys, ...ids], BINARY_REPLIES);
  forEachStream(reply, (key, entries) => {
    const k = keyIndex.get(key);
    if (k === undefined) throw new Error(`XREAD answered for a stream not asked for: ${key}`);
    for (const e of entries) ids[k] = recorder.entry(e);
  });
  if (readGapMs > 0 && reply !== null) await new Promise((r) => setTimeout(r, readGapMs));
}

const cpu = process.cpuUsage(cpuAtReady);
process.send?.({ result: { ...recorder.figures(), cpuSec: (cpu.user + cpu.system) / 1e6 } }, () => { client.destroy(); process.exit(0); });
