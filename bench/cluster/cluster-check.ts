// Cluster-mode prototype against a local 3-master Redis Cluster (scripts/redis-cluster.sh, started and
// stopped here): node-redis createCluster with XADD / XRANGE / XREAD on hash-tagged group streams, what
// XREAD over several groups does in cluster mode, what a blocking XREAD on the shared cluster client does
// to other commands, and the cost of tailing G group streams with G blocking connections vs polling.
//
//   npx tsc -p tsconfig.json && npx tsc -p tsconfig.test.json
//   node build/bench/cluster/cluster-check.js [--repeats 2] [--rows 0,5] [--out FILE.json]
//
// Bounded: every load runs a fixed time; the whole run stops itself after MAX_RUN_MS.
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCluster } from 'redis';
import { othersCpuSec, othersSnapshot } from '../env/other-processes.js';
import { CpuMeter } from '../env/process-cpu.js';
import { BatchKind, batchBytes, writeBatchHeader } from '../../src/cluster/change-batch.js';
import { keySlot } from '../../src/cluster/key-slot.js';
import type { LagFigures } from './lag-recorder.js';
import { BINARY_REPLIES } from '../../src/cluster/stream-reply.js';
import { groupKey, makePeerPool } from './synthetic-peers.js';
import { TickPublisher } from './tick-publisher.js';

const MAX_RUN_MS = 10 * 60_000;
const PEER_LIFETIME_MS = 15 * 60_000 * 1.25;
const INSTANCE = randomBytes(8);
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : dflt;
};
const REPEATS = Number(opt('repeats', '2'));
const OUT = opt('out', '');
const script = fileURLToPath(new URL('../../../scripts/redis-cluster.sh', import.meta.url));
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), node: process.version };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

interface LocalCluster { dir: string; ports: number[]; pids: number[] }

function startCluster(): LocalCluster {
  const out = execFileSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 60_000 });
  const dir = /^dir=(.+)$/m.exec(out)?.[1];
  const ports = /^ports=(.+)$/m.exec(out)?.[1]?.split(' ').map(Number);
  if (dir === undefined || ports === undefined || ports.length !== 3) throw new Error(`redis-cluster.sh start said: ${out}`);
  const pids = ports.map((p) => Number(readFileSync(`${dir}/redis-${p}.pid`, 'utf8').trim()));
  process.on('exit', () => { if (!stopped) stopCluster(dir); });
  return { dir, ports, pids };
}

let stopped = false;
function stopCluster(dir: string): void {
  stopped = true;
  execFileSync('bash', [script, 'stop', dir], { timeout: 30_000, stdio: 'ignore' });
}

function blob(count: number): Buffer {
  const b = Buffer.alloc(batchBytes(count));
  writeBatchHeader(b, BatchKind.Live, count, 0, INSTANCE, Date.now(), Date.now());
  return b;
}

async function main(): Promise<void> {
  setTimeout(() => { console.error(`cluster-check: over ${MAX_RUN_MS} ms, giving up`); process.exit(2); }, MAX_RUN_MS).unref();
  const lc = startCluster();
  console.log(`cluster: masters on ${lc.ports.join(' ')} (pids ${lc.pids.join(' ')}), dir ${lc.dir}`);
  const cluster = createCluster({ rootNodes: lc.ports.map((port) => ({ socket: { host: '127.0.0.1', port } })) });
  cluster.on('error', (e: Error) => console.error(`cluster client: ${e.message}`));
  await cluster.connect();
  const portOfSlot = (slot: number): number => Number(cluster.getSlotMaster(slot).port);
  try {
    // 1. Where the group streams live, and plain XADD / XRANGE / XREAD through createCluster.
    const G = 16;
    const groups = Array.from({ length: G }, (_, g) => {
      const key = groupKey(g);
      return { key, slot: keySlot(key), port: portOfSlot(keySlot(key)) };
    });
    for (const g of groups) {
      const serverSlot = await cluster.sendCommand<number>(g.key, true, ['CLUSTER', 'KEYSLOT', g.key]);
      if (serverSlot !== g.slot) throw new Error(`slot of ${g.key}: ours ${g.slot}, the server's ${serverSlot}`);
    }
    const perMaster = lc.ports.map((p) => groups.filter((g) => g.port === p).length);
    console.log(`1: ${G} group streams over the masters: ${lc.ports.map((p, i) => `${p}: ${perMaster[i]}`).join(', ')} ` +
      `(slots ${groups.map((g) => g.slot).join(' ')})`);
    for (const g of groups) {
      await cluster.sendCommand(g.key, false, ['XADD', g.key, 'MINID', '~', String(Date.now() - PEER_LIFETIME_MS), '*', 'd', blob(3)]);
    }
    let readBack = 0;
    for (const g of groups) {
      const r = await cluster.sendCommand<[Buffer, Buffer[]][]>(g.key, true, ['XRANGE', g.key, '-', '+'], BINARY_REPLIES);
      readBack += r.length;
      const x = await cluster.sendCommand<unknown>(g.key, true, ['XREAD', 'COUNT', '10', 'STREAMS', g.key, '0'], BINARY_REPLIES);
      if (x === null) throw new Error(`XREAD of ${g.key} returned nothing`);
    }
    console.log(`1: XADD + XRANGE + XREAD through createCluster on all ${G} groups: ${readBack} entries read back (expected ${G})`);
    results.layout = { groups: G, perMaster, ports: lc.ports, slots: groups.map((g) => g.slot), readBack };

    // 2. XREAD naming two groups: first two on the same master, then two on different masters.
    const sameNode = groups.filter((g) => g.port === groups[0]!.port).slice(0, 2);
    const otherNode = groups.find((g) => g.port !== groups[0]!.port)!;
    const tryRead = async (a: string, b: string): Promise<string> => {
      try {
        await cluster.sendCommand(a, true, ['XREAD', 'COUNT', '1', 'STREAMS', a, b, '0', '0'], BINARY_REPLIES);
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const crossSame = sameNode.length === 2 ? await tryRead(sameNode[0]!.key, sameNode[1]!.key) : 'n/a (one group on the first master)';
    const crossOther = await tryRead(groups[0]!.key, otherNode.key);
    const sameTag = await tryRead(groups[0]!.key, groups[0]!.key.replace(':changes', ':other'));
    console.log(`2: XREAD of two groups on the same master -> ${crossSame}; on different masters -> ${crossOther}; two keys with the same hash tag -> ${sameTag}`);
    results.multiKeyXread = { sameMaster: crossSame, differentMasters: crossOther, sameHashTag: sameTag };

    // 3. A blocking XREAD on the shared cluster client: what it does to a command for the same master.
    const blocked = cluster.sendCommand(sameNode[0]!.key, true, ['XREAD', 'BLOCK', '1500', 'STREAMS', sameNode[0]!.key, '$']);
    await sleep(50);
    const t0 = performance.now();
    await cluster.sendCommand(sameNode[sameNode.length - 1]!.key, false, ['XADD', sameNode[sameNode.length - 1]!.key.replace(':changes', ':probe'), '*', 'd', 'x']);
    const sameMasterMs = performance.now() - t0;
    const t1 = performance.now();
    await cluster.sendCommand(otherNode.key, false, ['XADD', otherNode.key.replace(':changes', ':probe'), '*', 'd', 'x']);
    const otherMasterMs = performance.now() - t1;
    await blocked;
    console.log(`3: while XREAD BLOCK 1500 waits on the shared cluster client: XADD to the same master took ${sameMasterMs.toFixed(1)} ms, to another master ${otherMasterMs.toFixed(1)} ms`);
    results.blockingOnSharedClient = { blockMs: 1500, xaddSameMasterMs: r3(sameMasterMs), xaddOtherMasterMs: r3(otherMasterMs) };

    // 4. Tailing strategies under load: publisher (this process, through createCluster) at 20k changes/s
    //    in 10 ms ticks; one forked tailer; idle cost measured first (5 s with no traffic).
    //    In block mode pollMs > 0 is a read gap: after a non-empty reply, wait that long before the next
    //    XREAD of that group, so one read carries several entries.
    const allStrategies: { mode: 'block' | 'poll'; pollMs: number; groups: number; tickMs: number }[] = [
      { mode: 'block', pollMs: 0, groups: 16, tickMs: 10 },
      { mode: 'poll', pollMs: 10, groups: 16, tickMs: 10 },
      { mode: 'poll', pollMs: 50, groups: 16, tickMs: 10 },
      { mode: 'block', pollMs: 0, groups: 64, tickMs: 10 },
      { mode: 'poll', pollMs: 10, groups: 64, tickMs: 10 },
      { mode: 'block', pollMs: 0, groups: 16, tickMs: 50 },
      { mode: 'block', pollMs: 50, groups: 16, tickMs: 10 },
    ];
    const rowsOpt = opt('rows', '');
    const strategies = rowsOpt === '' ? allStrategies : rowsOpt.split(',').map((i) => allStrategies[Number(i)]!);
    const pools = new Map<number, ReturnType<typeof makePeerPool>>();
    const rows: Record<string, unknown>[] = [];
    for (const s of strategies) {
      if (!pools.has(s.groups)) pools.set(s.groups, makePeerPool(250_000, 10_000, s.groups));
      const pool = pools.get(s.groups)!;
      const map = Array.from({ length: s.groups }, (_, g) => ({ key: groupKey(g), port: portOfSlot(keySlot(groupKey(g))) }));
      for (let rep = 0; rep < REPEATS; rep++) {
        for (const m of cluster.masters) await (await cluster.nodeClient(m)).sendCommand(['FLUSHALL']);
        const child = fork(fileURLToPath(new URL('./cluster-tailer.js', import.meta.url)),
          [s.mode, String(s.pollMs), randomBytes(8).toString('hex'), JSON.stringify(map)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        const result = new Promise<LagFigures & { xreads: number; cpuSec: number }>((resolve, reject) => {
          child.on('message', (m: { result?: LagFigures & { xreads: number; cpuSec: number } }) => { if (m.result !== undefined) resolve(m.result); });
          child.once('exit', (code) => reject(new Error(`cluster tailer exited with ${code} before reporting`)));
        });
        await new Promise<void>((resolve) => child.on('message', (m: { ready?: boolean }) => { if (m.ready === true) resolve(); }));
        const idleTailer = new CpuMeter(child.pid ?? null);
        const idleRedis = lc.pids.map((p) => new CpuMeter(p));
        await sleep(5000);
        const idleTailerCpu = idleTailer.read()?.cpuSec ?? NaN;
        const idleRedisCpu = idleRedis.reduce((sum, m) => sum + (m.read()?.cpuSec ?? NaN), 0);
        const pubCpu = new CpuMeter(process.pid);
        const redisCpu = lc.pids.map((p) => new CpuMeter(p));
        const others0 = othersSnapshot(new Set([process.pid, ...lc.pids]));
        const publisher = new TickPublisher(pool, s.groups, INSTANCE, (g, b, nowMs) =>
          cluster.sendCommand(map[g]!.key, false, ['XADD', map[g]!.key, 'MINID', '~', String(nowMs - PEER_LIFETIME_MS), '*', 'd', b]));
        const sec = await publisher.run(20_000, s.tickMs, 10_000);
        child.send({ stop: true, expected: publisher.published });
        const tail = await result;
        const k = publisher.published / 1000;
        const others1 = othersSnapshot(new Set([process.pid, ...lc.pids]));
        const row = {
          ...s, rep, seconds: r3(sec), published: publisher.published, dropped: publisher.dropped, errors: publisher.errors,
          entries: publisher.entries, applied: tail.changes, lagMs: tail.lagMs, redisIdLagMs: tail.redisIdLagMs,
          xreadsPerSec: Math.round(tail.xreads / sec),
          // The tailer reports its CPU since ready (it may be gone before /proc can be read); less the idle part.
          tailerCpuMsPer1k: r3(((tail.cpuSec - idleTailerCpu) * 1000) / k),
          publisherCpuMsPer1k: r3(((pubCpu.read()?.cpuSec ?? NaN) * 1000) / k),
          redisCpuMsPer1k: r3((redisCpu.reduce((sum, m) => sum + (m.read()?.cpuSec ?? NaN), 0) * 1000) / k),
          idleTailerCpuMsPerSec: r3((idleTailerCpu * 1000) / 5), idleRedisCpuMsPerSec: r3((idleRedisCpu * 1000) / 5),
          othersCpuSec: others0 === null || others1 === null ? NaN : Math.round(othersCpuSec(others0, others1) * 10) / 10,
        };
        rows.push(row);
        console.log(`4: ${s.mode}${s.mode === 'poll' ? ` every ${s.pollMs} ms` : s.pollMs > 0 ? ` with ${s.pollMs} ms read gap` : ''}, ${s.groups} groups, ` +
          `${s.tickMs} ms ticks: published ${row.published} ` +
          `(${(row.published / row.entries).toFixed(1)}/entry, dropped ${row.dropped}, errors ${row.errors}), applied ${row.applied}; ` +
          `lag p50 ${row.lagMs.p50} p99 ${row.lagMs.p99} max ${row.lagMs.max} ms; ${row.xreadsPerSec} XREAD/s; CPU ms/1k changes: ` +
          `tailer ${row.tailerCpuMsPer1k}, publisher ${row.publisherCpuMsPer1k}, redis (3 masters) ${row.redisCpuMsPer1k}; ` +
          `idle CPU ms/s: tailer ${row.idleTailerCpuMsPerSec}, redis ${row.idleRedisCpuMsPerSec}; other processes ${row.othersCpuSec} CPU s`);
      }
    }
    results.tailing = rows;
  } finally {
    cluster.destroy();
    stopCluster(lc.dir);
  }
  results.finishedAt = new Date().toISOString();
  if (OUT !== '') writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
  console.log(JSON.stringify(results));
}

await main();
