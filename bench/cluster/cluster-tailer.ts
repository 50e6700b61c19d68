// A tailing instance against Redis Cluster, forked by cluster-check.js. In cluster mode one XREAD can
// only name streams of one slot, so a tailer of G group streams either keeps G blocking connections
// (mode `block`: one XREAD BLOCK per group, each on its own connection to the group's master), or polls
// (mode `poll`: every `pollMs`, one non-blocking XREAD per group, pipelined on one connection per master).
// In mode `block`, pollMs > 0 is a read gap: after a non-empty reply a group waits that long before its
// next XREAD, so reads carry several entries (less CPU per change, up to pollMs more lag).
// Arguments: <block|poll> <pollMs> <instanceIdHex> <groups JSON: [{key, port}]>. Protocol with the
// parent as stream-tailer.js: {ready} up, {stop, expected} down, {result} up.
import { createClient } from 'redis';
import { LagRecorder } from './lag-recorder.js';
import { BINARY_REPLIES, forEachStream } from '../../src/cluster/stream-reply.js';

const [mode, pollArg, idHex, groupsJson] = process.argv.slice(2);
const pollMs = Number(pollArg);
const groups = JSON.parse(groupsJson ?? '[]') as { key: string; port: number }[];
const recorder = new LagRecorder(Buffer.from(idHex ?? '', 'hex'));
const ids: (string | Buffer)[] = groups.map(() => '0');
let xreads = 0;
let cpuAtReady = process.cpuUsage();
const ready = (): void => { cpuAtReady = process.cpuUsage(); process.send?.({ ready: true }); };

let expected = Infinity;
let deadline = Infinity;
process.on('message', (m: { stop?: boolean; expected?: number }) => {
  if (m.stop === true) { expected = m.expected ?? 0; deadline = Date.now() + 5000; }
});
const running = (): boolean => recorder.changes < expected && Date.now() < deadline;

const newClient = (port: number) => createClient({ socket: { host: '127.0.0.1', port } });
type Client = ReturnType<typeof newClient>;
const connect = async (port: number): Promise<Client> => {
  const c = newClient(port);
  c.on('error', (e: Error) => process.stderr.write(`cluster tailer: ${e.message}\n`));
  await c.connect();
  return c;
};

function take(g: number, reply: unknown): void {
  forEachStream(reply, (key, entries) => {
    if (key !== groups[g]!.key) throw new Error(`XREAD of ${groups[g]!.key} answered for ${key}`);
    for (const e of entries) ids[g] = recorder.entry(e);
  });
}

const clients: Client[] = [];
if (mode === 'block') {
  for (const g of groups) clients.push(await connect(g.port));
  ready();
  await Promise.all(groups.map(async (grp, g) => {
    while (running()) {
      xreads++;
      const reply = await clients[g]!.sendCommand(['XREAD', 'COUNT', '1000', 'BLOCK', '1000', 'STREAMS', grp.key, ids[g]!], BINARY_REPLIES);
      take(g, reply);
      if (pollMs > 0 && reply !== null) await new Promise((r) => setTimeout(r, pollMs)); // the read gap
    }
  }));
} else if (mode === 'poll') {
  const byPort = new Map<number, Client>();
  for (const g of groups) if (!byPort.has(g.port)) byPort.set(g.port, await connect(g.port));
  clients.push(...byPort.values());
  ready();
  const t0 = performance.now();
  for (let round = 1; running(); round++) {
    const replies = await Promise.all(groups.map((grp, g) => {
      xreads++;
      return byPort.get(grp.port)!.sendCommand(['XREAD', 'COUNT', '1000', 'STREAMS', grp.key, ids[g]!], BINARY_REPLIES);
    }));
    replies.forEach((r, g) => take(g, r));
    const wait = t0 + round * pollMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
} else {
  throw new Error(`cluster tailer mode must be block or poll, got ${mode}`);
}

const cpu = process.cpuUsage(cpuAtReady);
process.send?.({ result: { ...recorder.figures(), xreads, cpuSec: (cpu.user + cpu.system) / 1e6 } }, () => { for (const c of clients) c.destroy(); process.exit(0); });
