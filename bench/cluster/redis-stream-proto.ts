// Cluster-mode prototype: measures the "one Redis stream per shard group" design against a redis-server it
// starts itself (free loopback port, no persistence) and stops at the end. Not wired into the tracker.
//
//   npx tsc -p tsconfig.json && npx tsc -p tsconfig.test.json
//   node build/bench/cluster/redis-stream-proto.js [--parts a,b,c,d,e] [--repeats 3] [--out FILE.json]
//
// Parts (see docs/cluster-design-notes.md for what each figure means):
//   a  publish throughput: XADD of packed batches (10/100/500/2000 changes per entry), pipelined, with
//      CPU of this process and of redis-server per 1k changes (/proc)
//   b  replication lag: a publisher at 20k changes/s in 10 ms batches, 1 and 3 tailers (forked) on
//      XREAD BLOCK; announce-to-apply lag percentiles
//   c  Redis memory per peer at 1,000,000 peers: streams by batch size, against hashes per swarm,
//      hashes + sorted set for expiry, and a key per peer with a TTL
//   d  join: XRANGE of every group stream in COUNT pages, decoded in Node; and the same applied to the
//      tracker's real SwarmEngine tables
//   e  MINID trimming with a 5 s window: used_memory while publishing, after publishing stops, after a
//      trimming sweep; and PEXPIRE on the stream key
// Every loop is bounded in time and count; the whole run stops itself after MAX_RUN_MS.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createClient } from 'redis';
import { ANNOUNCE_RECORD_BYTES, OFF_NUM_WANT, OFF_REPLY_KIND, ReplyKind } from '../../src/core/announce-record.js';
import { peerCounter, PeerCounter } from '../../src/swarm/counters.js';
import { Shard } from '../../src/swarm/shard.js';
import { SwarmEngine } from '../../src/swarm/swarm-engine.js';
import type { SwarmSettings } from '../../src/swarm/settings.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { othersCpuSec, othersSnapshot, stealSec } from '../env/other-processes.js';
import { CpuMeter } from '../env/process-cpu.js';
import { BatchKind, batchBytes, BATCH_HEADER_BYTES, CHANGE_BYTES, changeOffset, readBatchHeader, writeBatchHeader } from '../../src/cluster/change-batch.js';
import { TickPublisher } from './tick-publisher.js';
import { startRedisServer, usedMemory, type RedisServer } from './redis-server-process.js';
import { BINARY_REPLIES, fieldValue } from '../../src/cluster/stream-reply.js';
import { groupKey, infoHashOf, makePeerPool, type PeerPool } from './synthetic-peers.js';
import type { LagFigures } from './lag-recorder.js';

type TailerResult = LagFigures & { cpuSec: number };

const newClient = (port: number) => createClient({ socket: { host: '127.0.0.1', port } });
type Client = ReturnType<typeof newClient>;

const MAX_RUN_MS = 30 * 60_000;
const GROUPS = 16;
const PEERS = 1_000_000;
const SWARMS = 10_000;
const PEER_LIFETIME_MS = 15 * 60_000 * 1.25; // minAnnounce x reapRatio: the stream window
const IN_FLIGHT_CHANGES = 20_000;            // pipelining depth of the bulk publishers, in changes
const INSTANCE = randomBytes(8);

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : dflt;
};
const PARTS = new Set(opt('parts', 'a,b,c,d,e').split(','));
const REPEATS = Number(opt('repeats', '3'));
const OUT = opt('out', '');

const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(), node: process.version, groups: GROUPS, peers: PEERS, swarms: SWARMS,
  changeBytes: CHANGE_BYTES, batchHeaderBytes: BATCH_HEADER_BYTES,
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]!; };
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const keys = Array.from({ length: GROUPS }, (_, g) => groupKey(g));

function othersCpu(before: Map<number, number> | null): number {
  const after = othersSnapshot(new Set([process.pid]));
  return before === null || after === null ? NaN : r1(othersCpuSec(before, after));
}

async function used(c: Client): Promise<number> {
  return usedMemory(await c.sendCommand<string>(['INFO', 'memory']));
}

/** A fresh batch of `n` changes copied from `rows` starting at change `start`. */
function makeBatch(rows: Buffer, start: number, n: number, seq: number, firstMs: number, lastMs: number, kind = BatchKind.Live): Buffer {
  const blob = Buffer.allocUnsafe(batchBytes(n));
  rows.copy(blob, BATCH_HEADER_BYTES, start * CHANGE_BYTES, (start + n) * CHANGE_BYTES);
  writeBatchHeader(blob, kind, n, seq, INSTANCE, firstMs, lastMs);
  return blob;
}

function xaddArgs(g: number, blob: Buffer, nowMs: number, windowMs: number | null): (string | Buffer)[] {
  return windowMs === null
    ? ['XADD', keys[g]!, '*', 'd', blob]
    : ['XADD', keys[g]!, 'MINID', '~', String(nowMs - windowMs), '*', 'd', blob];
}

// ---- a: publish throughput -------------------------------------------------------------------------

async function publishThroughput(c: Client, server: RedisServer, pool: PeerPool, batch: number, trim: boolean,
  durationMs: number): Promise<Record<string, number>> {
  await c.sendCommand(['FLUSHALL']);
  const depth = Math.max(1, Math.round(IN_FLIGHT_CHANGES / batch));
  const cursors = new Array<number>(GROUPS).fill(0);
  const nodeCpu = new CpuMeter(process.pid);
  const redisCpu = new CpuMeter(server.pid);
  const others0 = othersSnapshot(new Set([process.pid]));
  const t0 = performance.now();
  let changes = 0;
  let entries = 0;
  let g = 0;
  let seq = 0;
  while (performance.now() - t0 < durationMs && changes < 20_000_000) {
    const pending: Promise<unknown>[] = [];
    for (let k = 0; k < depth; k++) {
      const rows = pool.byGroup[g]!;
      let start = cursors[g]!;
      if ((start + batch) * CHANGE_BYTES > rows.length) start = 0;
      cursors[g] = start + batch;
      const now = Date.now();
      pending.push(c.sendCommand(xaddArgs(g, makeBatch(rows, start, batch, seq++, now, now), now, trim ? PEER_LIFETIME_MS : null)));
      changes += batch;
      entries++;
      g = (g + 1) % GROUPS;
    }
    await Promise.all(pending);
  }
  const sec = (performance.now() - t0) / 1000;
  const n = nodeCpu.read();
  const r = redisCpu.read();
  return {
    batch, trim: trim ? 1 : 0, seconds: r3(sec), changes, entries,
    changesPerSec: Math.round(changes / sec), entriesPerSec: Math.round(entries / sec),
    nodeCpuMsPer1k: r3(((n?.cpuSec ?? NaN) * 1000) / (changes / 1000)),
    redisCpuMsPer1k: r3(((r?.cpuSec ?? NaN) * 1000) / (changes / 1000)),
    nodeCpuUtil: n?.utilisation ?? NaN, redisCpuUtil: r?.utilisation ?? NaN, othersCpuSec: othersCpu(others0),
  };
}

async function partA(c: Client, server: RedisServer, pool: PeerPool): Promise<void> {
  const variants: [number, boolean][] = [[10, true], [100, true], [500, true], [2000, true], [100, false]];
  const out: Record<string, unknown>[] = [];
  for (const [batch, trim] of variants) {
    const runs: Record<string, number>[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await publishThroughput(c, server, pool, batch, trim, 3000));
    const med = (k: string): number => median(runs.map((x) => x[k]!));
    const row = {
      batch, minidTrim: trim, repeats: REPEATS,
      changesPerSec: med('changesPerSec'), changesPerSecAll: runs.map((x) => x.changesPerSec),
      entriesPerSec: med('entriesPerSec'),
      nodeCpuMsPer1k: med('nodeCpuMsPer1k'), redisCpuMsPer1k: med('redisCpuMsPer1k'),
      nodeCpuUtil: med('nodeCpuUtil'), redisCpuUtil: med('redisCpuUtil'), othersCpuSecAll: runs.map((x) => x.othersCpuSec),
    };
    out.push(row);
    console.log(`a: batch ${batch}${trim ? ' MINID~' : ' no trim'}: ${row.changesPerSec} changes/s (${row.entriesPerSec} entries/s), ` +
      `node ${row.nodeCpuMsPer1k} ms CPU/1k changes (util ${row.nodeCpuUtil}), redis ${row.redisCpuMsPer1k} ms/1k (util ${row.redisCpuUtil}); runs ${row.changesPerSecAll.join(' ')}; ` +
      `other processes' CPU s per run ${row.othersCpuSecAll.join(' ')}`);
  }
  await c.sendCommand(['FLUSHALL']);
  results.publishThroughput = out;
}

// ---- b: replication lag ------------------------------------------------------------------------------

interface LagRun { rateHz: number; tickMs: number; tailers: number; readGapMs: number; durationMs: number }

async function replicationLag(c: Client, server: RedisServer, pool: PeerPool, run: LagRun): Promise<Record<string, unknown>> {
  await c.sendCommand(['FLUSHALL']);
  const tailerPath = new URL('./stream-tailer.js', import.meta.url).pathname;
  const children = Array.from({ length: run.tailers }, () =>
    fork(tailerPath, [String(server.port), String(GROUPS), randomBytes(8).toString('hex'), '1000', String(run.readGapMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const resultsOf = children.map((ch) => new Promise<TailerResult>((resolve, reject) => {
    ch.on('message', (m: { result?: TailerResult }) => { if (m.result !== undefined) resolve(m.result); });
    ch.once('exit', (code) => reject(new Error(`tailer exited with ${code} before reporting`)));
  }));
  await Promise.all(children.map((ch) => new Promise<void>((resolve) => ch.on('message', (m: { ready?: boolean }) => { if (m.ready === true) resolve(); }))));
  const nodeCpu = new CpuMeter(process.pid);
  const redisCpu = new CpuMeter(server.pid);
  const others0 = othersSnapshot(new Set([process.pid]));
  const steal0 = stealSec();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();

  const publisher = new TickPublisher(pool, GROUPS, INSTANCE, (g, blob, nowMs) => c.sendCommand(xaddArgs(g, blob, nowMs, PEER_LIFETIME_MS)));
  const sec = await publisher.run(run.rateHz, run.tickMs, run.durationMs);
  const sent = publisher.published + publisher.dropped;
  const { dropped, entries } = publisher;
  for (const ch of children) ch.send({ stop: true, expected: sent - dropped });
  loopDelay.disable();
  const steal1 = stealSec();
  const tailerResults = await Promise.all(resultsOf);
  const n = nodeCpu.read();
  const r = redisCpu.read();
  const k = sent / 1000;
  return {
    ...run, seconds: r3(sec), published: sent, dropped, entries, changesPerEntry: r1(sent / entries),
    publisherCpuMsPer1k: r3(((n?.cpuSec ?? NaN) * 1000) / k), redisCpuMsPer1k: r3(((r?.cpuSec ?? NaN) * 1000) / k),
    tailerCpuMsPer1k: tailerResults.map((t) => r3((t.cpuSec * 1000) / k)),
    publisherLoopDelayMs: { p50: r1(loopDelay.percentile(50) / 1e6), p99: r1(loopDelay.percentile(99) / 1e6), max: r1(loopDelay.max / 1e6) },
    stealSec: steal0 === null || steal1 === null ? NaN : r3(steal1 - steal0),
    othersCpuSec: othersCpu(others0), tailers: tailerResults,
  };
}

async function partB(c: Client, server: RedisServer, pool: PeerPool): Promise<void> {
  const runs: LagRun[] = [
    { rateHz: 20_000, tickMs: 10, tailers: 1, readGapMs: 0, durationMs: 10_000 },
    { rateHz: 20_000, tickMs: 10, tailers: 3, readGapMs: 0, durationMs: 10_000 },
    { rateHz: 20_000, tickMs: 50, tailers: 1, readGapMs: 0, durationMs: 10_000 },
    { rateHz: 20_000, tickMs: 10, tailers: 1, readGapMs: 20, durationMs: 10_000 },
  ];
  const out: Record<string, unknown>[] = [];
  for (const run of runs) {
    const reps: Record<string, unknown>[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const res = await replicationLag(c, server, pool, run);
      reps.push(res);
      const ts = res.tailers as TailerResult[];
      console.log(`b: ${run.rateHz}/s, ${run.tickMs} ms ticks, ${run.tailers} tailer(s), read gap ${run.readGapMs} ms: published ${String(res.published)} in ${String(res.entries)} entries ` +
        `(${String(res.changesPerEntry)}/entry), dropped ${String(res.dropped)}; lag ms ` +
        ts.map((t) => `[applied ${t.changes}: p50 ${t.lagMs.p50} p90 ${t.lagMs.p90} p99 ${t.lagMs.p99} p99.9 ${t.lagMs.p999} max ${t.lagMs.max}; redis-id lag p50 ${t.redisIdLagMs.p50} p99 ${t.redisIdLagMs.p99}]`).join(' ') +
        `; CPU ms/1k changes: publisher ${String(res.publisherCpuMsPer1k)}, redis ${String(res.redisCpuMsPer1k)}, tailers ${(res.tailerCpuMsPer1k as number[]).join(' ')}` +
        `; other processes ${String(res.othersCpuSec)} CPU s in ${String(res.seconds)} s, steal ${String(res.stealSec)} s` +
        `; publisher event-loop delay ms ${JSON.stringify(res.publisherLoopDelayMs)}`);
    }
    out.push({ run, repeats: reps });
  }
  await c.sendCommand(['FLUSHALL']);
  results.replicationLag = out;
}

// ---- c + d: memory per peer and join -----------------------------------------------------------------

async function loadStreams(c: Client, pool: PeerPool, batch: number): Promise<void> {
  let seq = 0;
  for (let g = 0; g < GROUPS; g++) {
    const rows = pool.byGroup[g]!;
    const total = rows.length / CHANGE_BYTES;
    let pending: Promise<unknown>[] = [];
    for (let start = 0; start < total; start += batch) {
      const n = Math.min(batch, total - start);
      const now = Date.now();
      pending.push(c.sendCommand(xaddArgs(g, makeBatch(rows, start, n, seq++, now, now), now, PEER_LIFETIME_MS)));
      if (pending.length * batch >= IN_FLIGHT_CHANGES) { await Promise.all(pending); pending = []; }
    }
    await Promise.all(pending);
  }
}

/** Reads every group stream from the start in COUNT pages; `apply` sees each batch. Returns changes read. */
async function joinRead(c: Client, pageEntries: number, apply: (blob: Buffer) => void): Promise<{ changes: number; pages: number }> {
  let changes = 0;
  let pages = 0;
  await Promise.all(keys.map(async (key) => {
    let start: string | Buffer = '-';
    for (;;) {
      const page = await c.sendCommand<[Buffer, Buffer[]][]>(['XRANGE', key, start, '+', 'COUNT', String(pageEntries)], BINARY_REPLIES);
      pages++;
      for (const [, fields] of page) {
        const blob = fieldValue(fields, 'd');
        if (blob === undefined) throw new Error(`an entry of ${key} has no d field`);
        changes += readBatchHeader(blob).count;
        apply(blob);
      }
      if (page.length < pageEntries) break;
      start = Buffer.concat([Buffer.from('('), page[page.length - 1]![0]]);
    }
  }));
  return { changes, pages };
}

function makeEngine(): SwarmEngine {
  const settings: SwarmSettings = {
    intervalSec: 1800, minIntervalSec: 900, createOnAnnounce: true, purgeInactiveTorrents: true, respectAF: false,
    maxNumWant: 50, maxIdleMs: PEER_LIFETIME_MS, reapIntervalMs: 60_000, torrentMapShards: 8, maxPeersPerShard: 1 << 18,
  };
  return new SwarmEngine(settings, Array.from({ length: settings.torrentMapShards }, () => Shard.allocate(settings.maxPeersPerShard)));
}

async function partCD(c: Client, server: RedisServer, pool: PeerPool): Promise<void> {
  const streamRows: Record<string, unknown>[] = [];
  for (const batch of [10, 100, 500, 2000]) {
    const mems: number[] = [];
    let entriesTotal = 0;
    let loadSec = 0;
    const joins: Record<string, number>[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      await c.sendCommand(['FLUSHALL']);
      await sleep(200);
      const before = await used(c);
      const t0 = performance.now();
      await loadStreams(c, pool, batch);
      loadSec = (performance.now() - t0) / 1000;
      const after = await used(c);
      mems.push((after - before) / PEERS);
      entriesTotal = 0;
      for (const k of keys) entriesTotal += await c.sendCommand<number>(['XLEN', k]);
      if (PARTS.has('d')) {
        // d: join by XRANGE pages of ~640 KB, decode only; then again applying into the real tables.
        const pageEntries = Math.max(1, Math.floor(10_000 / batch));
        let sum = 0;
        const others0 = othersSnapshot(new Set([process.pid]));
        const redisCpu = new CpuMeter(server.pid);
        const cpu = new CpuMeter(process.pid);
        const j0 = performance.now();
        const read = await joinRead(c, pageEntries, (blob) => {
          const n = blob.readUInt16LE(2);
          for (let i = 0; i < n; i++) sum = (sum + blob.readUInt16BE(changeOffset(i) + 60)) | 0;
        });
        const decodeMs = performance.now() - j0;
        const decodeCpu = cpu.read();
        const decodeRedisCpu = redisCpu.read();
        if (read.changes !== PEERS) throw new Error(`join read ${read.changes} changes, expected ${PEERS}`);
        const engine = makeEngine();
        const rec = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
        rec.writeUInt32LE(0, OFF_NUM_WANT);
        rec[OFF_REPLY_KIND] = ReplyKind.HttpCompact;
        const cpu2 = new CpuMeter(process.pid);
        const redisCpu2 = new CpuMeter(server.pid);
        const j1 = performance.now();
        const nowMs = Date.now();
        await joinRead(c, pageEntries, (blob) => {
          const n = blob.readUInt16LE(2);
          for (let i = 0; i < n; i++) {
            blob.copy(rec, 0, changeOffset(i), changeOffset(i) + CHANGE_BYTES);
            engine.announce(rec, nowMs);
          }
        });
        const applyMs = performance.now() - j1;
        const applyCpu = cpu2.read();
        const applyRedisCpu = redisCpu2.read();
        const othersSec = othersCpu(others0);
        let peersInTables = 0;
        for (const s of engine.shards) peersInTables += s?.counters[peerCounter(0, PeerCounter.PeersCurrent)] ?? 0;
        if (peersInTables !== PEERS) throw new Error(`tables hold ${peersInTables} peers after the join, expected ${PEERS}`);
        joins.push({
          pageEntries, pages: read.pages, decodeMs: Math.round(decodeMs), decodeCpuSec: decodeCpu?.cpuSec ?? NaN,
          applyToSwarmEngineMs: Math.round(applyMs), applyCpuSec: applyCpu?.cpuSec ?? NaN, checksum: sum,
          decodeRedisCpuSec: decodeRedisCpu?.cpuSec ?? NaN, applyRedisCpuSec: applyRedisCpu?.cpuSec ?? NaN, othersCpuSec: othersSec,
        });
        console.log(`d: join of ${PEERS} peers in batches of ${batch}: XRANGE COUNT ${pageEntries} (${read.pages} pages) + decode ${Math.round(decodeMs)} ms ` +
          `(node CPU ${decodeCpu?.cpuSec} s, redis CPU ${decodeRedisCpu?.cpuSec} s); XRANGE + apply into SwarmEngine ${Math.round(applyMs)} ms ` +
          `(node CPU ${applyCpu?.cpuSec} s, redis CPU ${applyRedisCpu?.cpuSec} s), tables hold ${peersInTables} peers; other processes ${othersSec} CPU s meanwhile`);
      }
    }
    const joinMed = joins.length === 0 ? undefined : {
      pageEntries: joins[0]!.pageEntries, pages: joins[0]!.pages,
      decodeMs: median(joins.map((j) => j.decodeMs!)), decodeMsAll: joins.map((j) => j.decodeMs!),
      decodeCpuSec: median(joins.map((j) => j.decodeCpuSec!)),
      applyToSwarmEngineMs: median(joins.map((j) => j.applyToSwarmEngineMs!)), applyMsAll: joins.map((j) => j.applyToSwarmEngineMs!),
      applyCpuSec: median(joins.map((j) => j.applyCpuSec!)),
      decodeRedisCpuSec: median(joins.map((j) => j.decodeRedisCpuSec!)), applyRedisCpuSec: median(joins.map((j) => j.applyRedisCpuSec!)),
      othersCpuSecAll: joins.map((j) => j.othersCpuSec!),
    };
    const row = { batch, bytesPerPeer: r1(median(mems)), bytesPerPeerAll: mems.map(r1), entries: entriesTotal, publishSec: r3(loadSec), join: joinMed };
    streamRows.push(row);
    console.log(`c: stream, batch ${batch}: ${row.bytesPerPeer} bytes/peer (runs ${row.bytesPerPeerAll.join(' ')}), ${entriesTotal} entries, loaded in ${row.publishSec} s`);
  }
  results.memoryStreams = streamRows;
  results.memoryOthers = await otherLayouts(c);
  await c.sendCommand(['FLUSHALL']);
}

/** The layouts a hashes-with-TTL design would use (Redis 7.0 has no per-field TTL). */
async function otherLayouts(c: Client): Promise<Record<string, unknown>[]> {
  const layouts: { name: string; swarms: number; zset: boolean; perPeerKeys: boolean; peers?: number }[] = [
    { name: 'hash per swarm, 10k swarms x 100 peers (listpack)', swarms: 10_000, zset: false, perPeerKeys: false },
    { name: 'hash per swarm, 1k swarms x 1000 peers (hashtable)', swarms: 1_000, zset: false, perPeerKeys: false },
    { name: 'hash + sorted set (last seen) per swarm, 10k x 100', swarms: 10_000, zset: true, perPeerKeys: false },
    { name: 'hash + sorted set (last seen) per swarm, 1k x 1000', swarms: 1_000, zset: true, perPeerKeys: false },
    // 250k keys only (one SET each is slow to send); bytes per peer do not depend on the count.
    { name: 'key per peer with PX TTL (250k keys)', swarms: 2_500, zset: false, perPeerKeys: true, peers: 250_000 },
  ];
  const out: Record<string, unknown>[] = [];
  for (const l of layouts) {
    const mems: number[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      await c.sendCommand(['FLUSHALL']);
      await sleep(200);
      const before = await used(c);
      const peers = l.peers ?? PEERS;
      const per = peers / l.swarms;
      const value = Buffer.alloc(8);
      let pending: Promise<unknown>[] = [];
      const now = Date.now();
      for (let s = 0; s < l.swarms; s++) {
        const ih = infoHashOf(s);
        const g = String(s % GROUPS).padStart(2, '0');
        const hkey = Buffer.concat([Buffer.from(`hayate:{g${g}}:peers:`), ih]);
        const zkey = Buffer.concat([Buffer.from(`hayate:{g${g}}:seen:`), ih]);
        let hset: (string | Buffer)[] = ['HSET', hkey];
        let zadd: (string | Buffer)[] = ['ZADD', zkey];
        for (let p = 0; p < per; p++) {
          const i = s * per + p;
          const peerId = Buffer.from(`-qB4650-${i.toString(16).padStart(12, '0')}`, 'latin1');
          value.writeUInt32BE((10 << 24) | (i & 0xffffff), 0);
          value.writeUInt16BE(6881 + (i % 1000), 4);
          value.writeUInt16BE(i % 3 === 0 ? 1 : 0, 6);
          if (l.perPeerKeys) {
            pending.push(c.sendCommand(['SET', Buffer.concat([Buffer.from(`hayate:{g${g}}:p:`), ih, peerId]), Buffer.from(value), 'PX', String(PEER_LIFETIME_MS)]));
          } else {
            hset.push(peerId, Buffer.from(value));
            if (l.zset) zadd.push(String(now + (i % 1000)), peerId);
            if (hset.length >= 2 + 200) {
              pending.push(c.sendCommand(hset));
              hset = ['HSET', hkey];
              if (l.zset) { pending.push(c.sendCommand(zadd)); zadd = ['ZADD', zkey]; }
            }
          }
          if (pending.length >= 2000) { await Promise.all(pending); pending = []; }
        }
        if (hset.length > 2) pending.push(c.sendCommand(hset));
        if (zadd.length > 2) pending.push(c.sendCommand(zadd));
      }
      await Promise.all(pending);
      const after = await used(c);
      mems.push((after - before) / peers);
    }
    const row = { layout: l.name, bytesPerPeer: r1(median(mems)), bytesPerPeerAll: mems.map(r1) };
    out.push(row);
    console.log(`c: ${l.name}: ${row.bytesPerPeer} bytes/peer (runs ${row.bytesPerPeerAll.join(' ')})`);
  }
  return out;
}

// ---- e: MINID trimming -----------------------------------------------------------------------------

async function partE(c: Client, pool: PeerPool): Promise<void> {
  const windowMs = 5000;
  const rateHz = 20_000;
  const tickMs = 10;
  await c.sendCommand(['FLUSHALL']);
  await sleep(200);
  const base = await used(c);
  const samples: { atSec: number; phase: string; usedMemoryDelta: number; entries: number }[] = [];
  const t0 = performance.now();
  const sample = async (phase: string): Promise<void> => {
    let entries = 0;
    for (const k of keys) entries += await c.sendCommand<number>(['XLEN', k]);
    samples.push({ atSec: r1((performance.now() - t0) / 1000), phase, usedMemoryDelta: (await used(c)) - base, entries });
  };
  // Phase 1: publish 20k changes/s for 12 s with MINID ~ now - 5 s (the window fills, then holds).
  let cursor = 0;
  let nextSample = 0;
  const publish = async (durationMs: number, expireKey: boolean): Promise<void> => {
    const p0 = performance.now();
    let sent = 0;
    for (let tick = 1; ; tick++) {
      const wait = p0 + tick * tickMs - performance.now();
      if (wait > 0) await sleep(wait);
      const elapsed = performance.now() - p0;
      if (elapsed > durationMs) break;
      const due = Math.floor((rateHz * tick * tickMs) / 1000) - sent;
      const now = Date.now();
      // One batch per group per tick, like the publisher of part b, from consecutive pool changes.
      const per = Math.max(1, Math.floor(due / GROUPS));
      const pending: Promise<unknown>[] = [];
      for (let g = 0; g < GROUPS; g++) {
        const rows = pool.byGroup[g]!;
        if ((cursor + per) * CHANGE_BYTES > rows.length) cursor = 0;
        pending.push(c.sendCommand(xaddArgs(g, makeBatch(rows, cursor, per, tick, now, now), now, windowMs)));
        if (expireKey) pending.push(c.sendCommand(['PEXPIRE', keys[g]!, String(windowMs)]));
      }
      cursor += per;
      sent += per * GROUPS;
      void Promise.all(pending);
      if (performance.now() - t0 >= nextSample) { nextSample += 1000; await sample(expireKey ? 'publishing+PEXPIRE' : 'publishing'); }
    }
  };
  await publish(12_000, false);
  // Phase 2: no more XADD for 7 s: MINID trims only on XADD, so nothing is freed.
  for (let i = 0; i < 7; i++) { await sleep(1000); await sample('idle'); }
  // Phase 3: a trimming sweep (XTRIM MINID ~ now - window on every group) frees the window.
  const now = Date.now();
  for (const k of keys) await c.sendCommand(['XTRIM', k, 'MINID', '~', String(now - windowMs)]);
  await sample('after XTRIM sweep');
  // Phase 4: publish 6 s with PEXPIRE window on each key, then idle: the keys vanish on their own.
  nextSample = performance.now() - t0;
  await publish(6000, true);
  for (let i = 0; i < 7; i++) { await sleep(1000); await sample('idle after PEXPIRE'); }
  for (const s of samples) console.log(`e: t=${s.atSec}s ${s.phase}: used_memory +${(s.usedMemoryDelta / 1e6).toFixed(2)} MB, ${s.entries} entries`);
  results.trimming = { windowMs, rateHz, tickMs, groups: GROUPS, samples };
  await c.sendCommand(['FLUSHALL']);
}

// ---- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const watchdog = setTimeout(() => { console.error(`redis-stream-proto: over ${MAX_RUN_MS} ms, giving up`); process.exit(2); }, MAX_RUN_MS);
  watchdog.unref();
  const server = await startRedisServer();
  console.log(`redis-server ${server.port} pid ${server.pid}; building ${PEERS} synthetic peers over ${SWARMS} swarms in ${GROUPS} groups`);
  const c = newClient(server.port);
  c.on('error', (e: Error) => console.error(`redis client: ${e.message}`));
  await c.connect();
  try {
    const pool = makePeerPool(PEERS, SWARMS, GROUPS);
    results.redisVersion = /redis_version:(\S+)/.exec(await c.sendCommand<string>(['INFO', 'server']))?.[1];
    // Results are written after each part, so a run cut short still leaves what it measured.
    const save = (): void => { if (OUT !== '') writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n'); };
    if (PARTS.has('a')) { await partA(c, server, pool); save(); }
    if (PARTS.has('b')) { await partB(c, server, pool); save(); }
    if (PARTS.has('c') || PARTS.has('d')) { await partCD(c, server, pool); save(); }
    if (PARTS.has('e')) { await partE(c, pool); save(); }
  } finally {
    c.destroy();
    await server.stop();
  }
  results.finishedAt = new Date().toISOString();
  if (OUT !== '') writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
  console.log(JSON.stringify(results));
}

await main();
