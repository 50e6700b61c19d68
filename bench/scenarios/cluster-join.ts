// cluster-join: how long a new instance takes to load the cluster's swarms. Loads --memory-peers
// (1,000,000) peers into a cluster of one hayate (A, server CPUs) on a redis-server the bench starts
// (load CPUs): 100,000 torrents x 10 peers announced to A over UDP once each, as fast as A takes them
// (numwant 0), so A publishes them through its own path; then waits until all of them are in Redis.
// Then --join-runs times: starts a new instance (server CPUs; A is idle meanwhile) and times from the
// spawn to its /check saying 200 (joined: the streams were read and handed to its owners) and to its
// /stats showing every peer; and, for reference, a standalone hayate's start-up (spawn to /check 200) on
// the same CPUs. Also Redis memory per peer at that size (INFO used_memory after minus before, over the
// peers) and Redis and the new instance's CPU during each join.
import { cpuSnapshot, ticksPerSecond } from '../env/cpu-time.js';
import { othersCpuSec, othersSnapshot } from '../env/other-processes.js';
import type { Target } from '../env/targets.js';
import type { RunContext } from '../runner/context.js';
import { emptyResult, type ScenarioResult } from '../runner/result.js';
import { withTarget, type Scenario } from '../runner/scenario.js';
import type { SwarmFill } from '../workload/paths.js';
import {
  checkClusterPrereqs, checkStatus, clusterConfig, clusterFigures, freshPrefix, median, round1, round3, spawnInstance, startBenchRedis,
  waitForFigures, type BenchRedis,
} from './common/cluster-env.js';

const PEERS_PER_TORRENT = 10;
/** Publishing what A took may trail its announces by this much at most. */
const PUBLISH_TIMEOUT_MS = 120_000;
/** A join (spawn to every peer there) must end within this. */
const JOIN_TIMEOUT_MS = 180_000;
const CHECK_POLL_MS = 10;
const STATS_POLL_MS = 25;

interface JoinRun {
  run: number;
  checkOkMs: number | null;       // spawn -> /check 200
  allPeersMs: number | null;      // spawn -> /stats peers >= loaded
  linkJoinMs: number;             // the link thread's own figure: its start -> synced
  joinChanges: number;
  peersSeen: number;
  instanceCpuSec: number | null;  // the new instance's process, spawn -> all peers
  redisCpuSec: number | null;
  standaloneCheckOkMs: number | null;
  otherProcessesCpuSec: number | null;
}

export const clusterJoin: Scenario = {
  name: 'cluster-join',
  summary: 'load --memory-peers peers into a cluster (announced to instance A), then time new instances from start to /check 200 and to every peer; Redis bytes per peer',
  standard: false,
  run: async (ctx) => {
    checkClusterPrereqs(ctx);
    const redis = await startBenchRedis(ctx.opts.loadCpus);
    try {
      const prefix = freshPrefix('join');
      const cfg = clusterConfig(redis, prefix);
      return await withTarget(ctx, cfg, (a) => join(ctx, a, redis, cfg));
    } finally {
      await redis.stop();
    }
  },
};

async function join(ctx: RunContext, a: Target, redis: BenchRedis, cfg: Record<string, unknown>): Promise<ScenarioResult> {
  if (a.udpPort === null) throw new Error(`hayate in cluster mode: no UDP tracker (${a.udpNote})`);
  const peers = ctx.opts.memoryPeers;
  const fill: SwarmFill = { salt: `cluster-join:${String(cfg.redisKeyPrefix)}`, torrents: Math.ceil(peers / PEERS_PER_TORRENT), peersPerTorrent: PEERS_PER_TORRENT, numwant: 0 };
  const f0 = await clusterFigures(a);
  const mem0 = await redis.usedMemory();
  const redisCpu0 = redis.cpuSec();

  // Load: every peer announced to A once, then everything A took published.
  const t0 = performance.now();
  const load = await ctx.preloadUdp({
    host: a.udpHost, port: a.udpPort, threads: ctx.opts.udpThreads, sockets: ctx.opts.udpSockets, window: ctx.opts.udpWindow,
    timeoutMs: ctx.opts.udpTimeoutMs, durationSec: Math.max(120, peers / 2000), action: 'announce', fill, count: peers, once: true, hashesPerScrape: 1,
  }, `cluster-join: ${peers} peers announced to A`, peers);
  const announceSec = (performance.now() - t0) / 1000;
  const published = await waitForFigures(a, (f) => f.outboxChanges === 0 && f.changesPublished - f0.changesPublished >= f.peers - f0.peers &&
    f.peers - f0.peers >= load.requests * 0.999, PUBLISH_TIMEOUT_MS, 100);
  const loadSec = (performance.now() - t0) / 1000;
  const fa = published.figures;
  const loaded = fa.peers - f0.peers;
  const mem1 = await redis.usedMemory();
  const redisCpu1 = redis.cpuSec();
  const streamEntries = await streamLength(redis, String(cfg.redisKeyPrefix));
  ctx.log(`  cluster-join: A took ${load.requests} announces in ${announceSec.toFixed(1)} s (${Math.round(load.requests / announceSec)}/s), ` +
    `holds ${loaded} peers, published ${fa.changesPublished - f0.changesPublished} changes (${fa.changesDropped - f0.changesDropped} dropped, ` +
    `${fa.republishes - f0.republishes} republishes) in ${loadSec.toFixed(1)} s; redis used_memory +${mem1 - mem0} B = ` +
    `${((mem1 - mem0) / Math.max(1, loaded)).toFixed(1)} B/peer`);
  if (!published.ok) throw new Error(`A did not publish everything within ${PUBLISH_TIMEOUT_MS / 1000} s: ${JSON.stringify(fa)}`);

  // Joins: a new instance against the loaded cluster, and a standalone start for reference.
  const runs: JoinRun[] = [];
  for (let i = 1; i <= ctx.opts.joinRuns; i++) runs.push(await oneJoin(ctx, i, cfg, loaded, redis, a));

  const r = emptyResult('ok', null);
  r.protocol = 'udp';
  r.generator = load.generator;
  r.durationSec = round3(load.elapsedSec);
  r.requests = load.requests;
  r.reqPerSec = Math.round(load.reqPerSec);
  r.errors = load.errors;
  r.timeouts = load.timeouts;
  r.failures = load.failures;
  const x = r.extra;
  x.redisVersion = redis.version;
  x.loadedVia = 'udp announces to instance A (native generator, once each, numwant 0)';
  x.peersAsked = peers;
  x.peersLoaded = loaded;
  x.announceSec = round3(announceSec);
  x.loadAndPublishSec = round3(loadSec);
  x.changesPublished = fa.changesPublished - f0.changesPublished;
  x.batchesPublished = fa.batchesPublished - f0.batchesPublished;
  x.changesDropped = fa.changesDropped - f0.changesDropped;
  x.republishes = fa.republishes - f0.republishes;
  x.streamEntries = streamEntries;
  x.redisUsedMemoryBefore = mem0;
  x.redisUsedMemoryAfter = mem1;
  x.redisBytesPerPeer = loaded > 0 ? round1((mem1 - mem0) / loaded) : null;
  x.redisBytesPerChange = (x.changesPublished as number) > 0 ? round1((mem1 - mem0) / (x.changesPublished as number)) : null;
  x.redisCpuSecLoad = redisCpu0 === null || redisCpu1 === null ? null : round3(redisCpu1 - redisCpu0);
  x.joinRuns = runs.length;
  const med = (f: (j: JoinRun) => number | null): number | null => {
    const m = median(runs.map(f).filter((v): v is number => v !== null));
    return m === null ? null : round3(m);
  };
  x.joinCheckOkMsMedian = med((j) => j.checkOkMs);
  x.joinAllPeersMsMedian = med((j) => j.allPeersMs);
  x.joinLinkMsMedian = med((j) => j.linkJoinMs);
  x.joinInstanceCpuSecMedian = med((j) => j.instanceCpuSec);
  x.joinRedisCpuSecMedian = med((j) => j.redisCpuSec);
  x.standaloneCheckOkMsMedian = med((j) => j.standaloneCheckOkMs);
  x.joinRunsJson = JSON.stringify(runs);
  x.serverCpus = ctx.opts.serverCpus ?? 'any';
  x.redisCpus = ctx.opts.loadCpus ?? 'any';
  for (const j of runs) {
    if (j.allPeersMs === null) r.notes.push(`join ${j.run}: the new instance showed ${j.peersSeen} of ${loaded} peers within ${JOIN_TIMEOUT_MS / 1000} s`);
  }
  if ((x.changesDropped as number) > 0) r.notes.push(`A dropped ${x.changesDropped} changes while loading (and republished ${x.republishes} times): the stream holds more than one change per peer`);
  r.notes.push(`join of ${loaded} peers (median of ${runs.length}): /check 200 ${x.joinCheckOkMsMedian} ms after the spawn, every peer in /stats ` +
    `${x.joinAllPeersMsMedian} ms (link thread: ${x.joinLinkMsMedian} ms); a standalone start takes ${x.standaloneCheckOkMsMedian} ms; ` +
    `${x.joinInstanceCpuSecMedian} CPU-s of the new instance, ${x.joinRedisCpuSecMedian} of Redis; Redis ${x.redisBytesPerPeer} bytes per peer`);
  ctx.log(`  cluster-join: ${r.notes[r.notes.length - 1]}`);
  return r;
}

async function oneJoin(ctx: RunContext, i: number, cfg: Record<string, unknown>, loaded: number, redis: BenchRedis, a: Target): Promise<JoinRun> {
  // The reference first: how long a hayate takes to start when it has nothing to load.
  const standalone = await timeToCheck(ctx, {}, 30_000);
  const mine = new Set([process.pid, a.pid!, redis.pid]);
  const others0 = othersSnapshot(mine);
  const redisCpu0 = redis.cpuSec();
  const inst = await spawnInstance(ctx, ctx.opts.serverCpus, cfg);
  try {
    const deadline = inst.spawnedAt + JOIN_TIMEOUT_MS;
    let checkOkMs: number | null = null;
    while (performance.now() < deadline) {
      if (!inst.child.running) throw new Error(`the joining instance exited: ${inst.child.output().slice(-1000)}`);
      if (await checkStatus(inst.apiBase) === 200) {
        checkOkMs = performance.now() - inst.spawnedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, CHECK_POLL_MS));
    }
    let allPeersMs: number | null = null;
    let peersSeen = 0;
    while (checkOkMs !== null && performance.now() < deadline) {
      const f = await clusterFigures({ apiBase: inst.apiBase });
      peersSeen = f.peers;
      if (f.peers >= loaded) {
        allPeersMs = performance.now() - inst.spawnedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, STATS_POLL_MS));
    }
    const cpu = cpuSnapshot(inst.child.pid!);
    const redisCpu1 = redis.cpuSec();
    const others1 = othersSnapshot(new Set([...mine, inst.child.pid!]));
    const f = await clusterFigures({ apiBase: inst.apiBase });
    const run: JoinRun = {
      run: i,
      checkOkMs: checkOkMs === null ? null : Math.round(checkOkMs),
      allPeersMs: allPeersMs === null ? null : Math.round(allPeersMs),
      linkJoinMs: f.joinMs, joinChanges: f.joinChanges, peersSeen,
      instanceCpuSec: cpu === null ? null : round3(cpu.ticks / ticksPerSecond()),
      redisCpuSec: redisCpu0 === null || redisCpu1 === null ? null : round3(redisCpu1 - redisCpu0),
      standaloneCheckOkMs: standalone,
      otherProcessesCpuSec: others0 === null || others1 === null ? null : othersCpuSec(others0, others1),
    };
    ctx.log(`  join ${i}: /check 200 after ${run.checkOkMs} ms, all ${loaded} peers after ${run.allPeersMs} ms (link thread ${run.linkJoinMs} ms, ` +
      `${run.joinChanges} changes); new instance ${run.instanceCpuSec} CPU-s, redis ${run.redisCpuSec}; standalone start ${standalone} ms; ` +
      `others ${run.otherProcessesCpuSec} CPU-s`);
    return run;
  } finally {
    await inst.stop();
  }
}

/** Spawn -> /check 200 of a hayate with `overrides` on the server CPUs; null when it never came. */
async function timeToCheck(ctx: RunContext, overrides: Record<string, unknown>, timeoutMs: number): Promise<number | null> {
  const inst = await spawnInstance(ctx, ctx.opts.serverCpus, overrides);
  try {
    while (performance.now() - inst.spawnedAt < timeoutMs && inst.child.running) {
      if (await checkStatus(inst.apiBase) === 200) return Math.round(performance.now() - inst.spawnedAt);
      await new Promise((r) => setTimeout(r, CHECK_POLL_MS));
    }
    return null;
  } finally {
    await inst.stop();
  }
}

/** Entries in every group stream under `prefix` (batches held in Redis). */
async function streamLength(redis: BenchRedis, prefix: string): Promise<number | null> {
  try {
    const keys = (await redis.cli(['--scan', '--pattern', `${prefix}:*:changes`])).split('\n').filter((k) => k !== '');
    let n = 0;
    for (const k of keys) n += Number((await redis.cli(['XLEN', k])).trim());
    return n;
  } catch {
    return null;
  }
}
