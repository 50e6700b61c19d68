// A tailing instance for the replication-lag measurement, run as a forked child of redis-stream-proto.js
// so that its event loop and CPU are its own: XREAD BLOCK over every group stream, skip its own batches,
// decode each change, and record announce-to-apply lag. The parent sends {stop, expected} once it has
// published everything; the tailer then finishes what is still in flight (at most 5 s) and sends its
// figures back. Arguments: <port> <groups> <instanceIdHex> <blockMs> <readGapMs>; a read gap > 0 waits
// that long after each non-empty reply before the next XREAD, so one read carries more entries (less CPU
// per change, more lag).
import { createClient } from 'redis';
import { OFF_FLAGS, OFF_PORT } from '../../src/protocol/announce-request.js';
import { changeOffset, readBatchHeader } from './change-codec.js';
import { groupKey } from './synthetic-peers.js';
import { BINARY_REPLIES, entryIdMs, fieldValue, forEachStream } from './stream-reply.js';

export interface TailerResult {
  changes: number;
  batches: number;
  ownSkipped: number;
  lagMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  redisIdLagMs: { p50: number; p99: number; max: number };
  checksum: number;
}

const [portArg, groupsArg, idHex, blockArg, gapArg] = process.argv.slice(2);
const port = Number(portArg);
const groups = Number(groupsArg);
const ownId = Buffer.from(idHex ?? '', 'hex');
const blockMs = Number(blockArg ?? 1000);
const readGapMs = Number(gapArg ?? 0);
const keys = Array.from({ length: groups }, (_, g) => groupKey(g));
const keyIndex = new Map(keys.map((k, i) => [k, i]));
const ids: (string | Buffer)[] = keys.map(() => '0');

let expected = Infinity;
let deadline = Infinity;
process.on('message', (m: { stop?: boolean; expected?: number }) => {
  if (m.stop === true) { expected = m.expected ?? 0; deadline = Date.now() + 5000; }
});

const client = createClient({ socket: { host: '127.0.0.1', port } });
client.on('error', (e: Error) => process.stderr.write(`tailer: ${e.message}\n`));
await client.connect();
process.send?.({ ready: true });

let lags = new Float64Array(1 << 18);
let lagCount = 0;
const idLags: number[] = [];
let changes = 0;
let batches = 0;
let ownSkipped = 0;
let checksum = 0;
const wallNow = (): number => performance.timeOrigin + performance.now();

while (changes < expected && Date.now() < deadline) {
  const reply = await client.sendCommand(['XREAD', 'COUNT', '1000', 'BLOCK', String(blockMs), 'STREAMS', ...keys, ...ids], BINARY_REPLIES);
  forEachStream(reply, (key, entries) => {
    const k = keyIndex.get(key);
    if (k === undefined) throw new Error(`XREAD answered for a stream not asked for: ${key}`);
    for (const [id, fields] of entries) {
      ids[k] = id;
      const blob = fieldValue(fields, 'd');
      if (blob === undefined) throw new Error(`stream entry ${id.toString()} has no d field`);
      const h = readBatchHeader(blob);
      if (h.instanceId.equals(ownId)) { ownSkipped++; continue; }
      for (let i = 0; i < h.count; i++) {
        const o = changeOffset(i);
        checksum = (checksum + blob.readUInt16BE(o + OFF_PORT) + blob[o + OFF_FLAGS]!) | 0; // stands in for the apply
      }
      const applied = wallNow();
      const step = h.count > 1 ? h.spanMs / (h.count - 1) : 0;
      if (lagCount + h.count > lags.length) { const n = new Float64Array(lags.length * 2 + h.count); n.set(lags); lags = n; }
      for (let i = 0; i < h.count; i++) lags[lagCount++] = applied - (h.firstChangeMs + step * i);
      idLags.push(applied - entryIdMs(id));
      changes += h.count;
      batches++;
    }
  });
  if (readGapMs > 0 && reply !== null) await new Promise((r) => setTimeout(r, readGapMs));
}

const sorted = lags.subarray(0, lagCount).sort();
const pick = (a: ArrayLike<number>, q: number): number => (a.length === 0 ? NaN : Math.round(a[Math.min(a.length - 1, Math.floor(q * a.length))]! * 100) / 100);
const idSorted = Float64Array.from(idLags).sort();
const result: TailerResult = {
  changes, batches, ownSkipped,
  lagMs: { p50: pick(sorted, 0.5), p90: pick(sorted, 0.9), p99: pick(sorted, 0.99), p999: pick(sorted, 0.999), max: pick(sorted, 1) },
  redisIdLagMs: { p50: pick(idSorted, 0.5), p99: pick(idSorted, 0.99), max: pick(idSorted, 1) },
  checksum,
};
process.send?.({ result }, () => { client.destroy(); process.exit(0); });
