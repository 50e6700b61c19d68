// The duel of cluster-udp-duel and cluster-http-duel: hayate standalone (A) against hayate in cluster mode
// (B), both on the server CPUs and loaded at once by their own generators (runner/duel/duel.ts), for the
// issue's target: cluster mode at >= 0.85x standalone's requests per server CPU-second on the same core.
// B publishes for real: a redis-server the bench starts and a second cluster instance (C, which tails
// B's changes and applies them) run on the load CPUs (unpinned when none are given), off B's core. B's
// CPU is its process's (utime + stime of every thread, so its link thread cluster-01 counts); the link
// thread's own share is read from /proc/<pid>/task/<tid> (its tid from B's /stats cluster.threadId).
// After the rounds: B's changes must all have reached C (else the ratio flatters B) and none dropped.
import { cpuSnapshot, cpuUsage, ticksPerSecond } from '../../env/cpu-time.js';
import { othersCpuSec, othersSnapshot } from '../../env/other-processes.js';
import type { Target } from '../../env/targets.js';
import { sampleHttp } from '../../runner/checks.js';
import type { RunContext } from '../../runner/context.js';
import { runDuel, type DuelSide } from '../../runner/duel/duel.js';
import { duelResult } from '../../runner/duel/duel-result.js';
import type { ScenarioResult } from '../../runner/result.js';
import { withTarget, type Scenario } from '../../runner/scenario.js';
import {
  checkClusterPrereqs, clusterConfig, clusterFigures, freshPrefix, round3, startBenchRedis, targetsOn, waitForFigures,
} from './cluster-env.js';
import { httpSide, udpSide } from './duel-sides.js';

/** How long B's last changes may take to reach C after the rounds (a tick, Redis, C's apply). */
const DRAIN_TIMEOUT_MS = 30_000;

export function clusterDuel(kind: 'udp' | 'http', name: string, summary: string): Scenario {
  return {
    name,
    summary,
    standard: false, // needs redis-server, and takes a minute
    run: async (ctx) => {
      checkClusterPrereqs(ctx);
      const redis = await startBenchRedis(ctx.opts.loadCpus);
      const elsewhere = targetsOn(ctx, ctx.opts.loadCpus);
      try {
        const cfg = clusterConfig(redis, freshPrefix(name));
        return await withTarget(ctx, cfg, async (b): Promise<ScenarioResult> => {
          if (kind === 'udp' && b.udpPort === null) throw new Error(`hayate in cluster mode: no UDP tracker (${b.udpNote})`);
          const a = await ctx.targets.acquire({});
          const c = await elsewhere.acquire(cfg);
          try {
            return await duel(ctx, kind, name, a, b, c, redis);
          } finally {
            await elsewhere.release(c);
            await ctx.targets.release(a);
          }
        });
      } finally {
        elsewhere.close();
        await redis.stop();
      }
    },
  };
}

async function duel(ctx: RunContext, kind: 'udp' | 'http', name: string, a: Target, b: Target, c: Target,
  redis: Awaited<ReturnType<typeof startBenchRedis>>): Promise<ScenarioResult> {
  const paths = ctx.standardAnnounces();
  const side = (label: string, t: Target): DuelSide => (kind === 'udp' ? udpSide(ctx, label, t) : httpSide(ctx, label, t, paths));
  const bBefore = await clusterFigures(b);
  const cBefore = await clusterFigures(c);
  const linkTid = bBefore.threadId;
  const redisCpu0 = redis.cpuSec();
  const cCpu0 = cpuSnapshot(c.pid!);
  const bCpu0 = cpuSnapshot(b.pid!);
  const mine = new Set([process.pid, a.pid!, b.pid!, c.pid!, redis.pid]);
  const others0 = othersSnapshot(mine);
  const t0 = performance.now();

  const run = await runDuel(ctx, {
    name, a: side('hayate standalone', a), b: side('hayate in cluster mode', b),
    rounds: ctx.opts.duelRounds, roundSec: ctx.opts.duelSec, soloSec: 0,
  });

  // Everything B published (warm-ups included) must reach C before the figures are read. B may still
  // be publishing the rounds' last changes (a tick later) when C has caught up with an earlier count:
  // wait until B's count stands still and C has it.
  let bAfter = await clusterFigures(b);
  const drain0 = performance.now();
  let drained;
  for (;;) {
    const target = bAfter.changesPublished - bBefore.changesPublished;
    drained = await waitForFigures(c, (f) => f.changesReceived - cBefore.changesReceived >= target,
      Math.max(1, DRAIN_TIMEOUT_MS - (performance.now() - drain0)));
    bAfter = await clusterFigures(b);
    if (!drained.ok || bAfter.changesPublished - bBefore.changesPublished === target) break;
  }
  const wallSec = (performance.now() - t0) / 1000;
  const cAfter = drained.figures;
  const redisCpu1 = redis.cpuSec();
  const cCpu1 = cpuSnapshot(c.pid!);
  const bCpu1 = cpuSnapshot(b.pid!);
  const others1 = othersSnapshot(mine);

  const r = duelResult(ctx, name, run, b, {
    ratioKey: 'ratioToStandalone', aReqPerCpuSecKey: 'standaloneReqPerCpuSec', protocol: kind,
    connections: kind === 'udp' ? ctx.opts.udpThreads * ctx.opts.udpSockets * ctx.opts.udpWindow : ctx.opts.connections,
  });
  if (kind === 'http') r.sample = await sampleHttp(b, paths, 'announce');

  const published = bAfter.changesPublished - bBefore.changesPublished;
  const received = cAfter.changesReceived - cBefore.changesReceived;
  const dropped = bAfter.changesDropped - bBefore.changesDropped;
  r.extra.poolPeers = ctx.opts.poolTorrents * ctx.opts.poolPeers;
  r.extra.redisVersion = redis.version;
  r.extra.changesPublished = published;
  r.extra.batchesPublished = bAfter.batchesPublished - bBefore.batchesPublished;
  const batches = bAfter.batchesPublished - bBefore.batchesPublished;
  r.extra.changesPerBatch = batches > 0 ? round3(published / batches) : null;
  r.extra.changesReceivedByOther = received;
  r.extra.changesDropped = dropped;
  r.extra.republishes = bAfter.republishes - bBefore.republishes;
  r.extra.drainSec = drained.ok ? round3((performance.now() - drain0) / 1000) : null;
  if (!drained.ok) r.notes.push(`the other instance received ${received} of the ${published} changes B published within ${DRAIN_TIMEOUT_MS / 1000} s after the rounds`);
  if (dropped > 0) r.notes.push(`B dropped ${dropped} changes (outbox or change ring full): it did not publish everything it applied`);
  if (bAfter.link !== 'up') r.notes.push(`B's link to Redis is ${bAfter.link} after the rounds`);

  // Over the whole duel (warm-ups, rounds, drain): where B's CPU went, and what Redis and C spent.
  const hz = ticksPerSecond();
  if (bCpu0 !== null && bCpu1 !== null) {
    const u = cpuUsage(b.pid!, bCpu0, bCpu1);
    const linkTicks = (bCpu1.threads.get(linkTid)?.ticks ?? 0) - (bCpu0.threads.get(linkTid)?.ticks ?? 0);
    r.extra.bCpuSecWholeDuel = u.cpuSec;
    r.extra.bLinkThreadCpuSec = linkTid > 0 && bCpu1.threads.has(linkTid) ? round3(linkTicks / hz) : null;
    r.extra.bLinkThreadShare = linkTid > 0 && u.cpuSec > 0 ? round3(linkTicks / hz / u.cpuSec) : null;
    r.extra.bLinkThreadUsPerChange = linkTid > 0 && published > 0 ? round3((linkTicks / hz) * 1e6 / published) : null;
  }
  // Where each side's CPU went in the rounds, per request: the I/O thread (the busiest one other than
  // the link thread: it serves and applies), B's link thread, the main thread, and the rest (V8's
  // helper threads: GC, compilers). The link thread is named (Node names every thread "node").
  if (r.serverCpu !== null && linkTid > 0) for (const t of r.serverCpu.busiestThreads) if (t.tid === linkTid) t.name = 'cluster-01';
  const aRequests = run.record.rounds.reduce((acc, x) => acc + x.a.requests, 0);
  for (const [k, cpu, requests] of [['a', run.a.cpu, aRequests], ['b', run.b.cpu, r.requests]] as const) {
    if (cpu === null || requests === 0) continue;
    const link = k === 'b' ? cpu.busiestThreads.find((t) => t.tid === linkTid)?.cpuSec ?? 0 : 0;
    const io = cpu.busiestThreads.find((t) => t.tid !== linkTid)?.cpuSec ?? 0;
    const us = (sec: number): number => round3((sec * 1e6) / requests);
    r.extra[`${k}UsPerRequest`] = us(cpu.cpuSec);
    r.extra[`${k}IoThreadUsPerRequest`] = us(io);
    if (k === 'b') r.extra.bLinkThreadUsPerRequest = us(link);
    r.extra[`${k}MainThreadUsPerRequest`] = us(cpu.mainThreadSec);
    r.extra[`${k}OtherThreadsUsPerRequest`] = us(cpu.cpuSec - cpu.mainThreadSec - io - link);
  }
  if (redisCpu0 !== null && redisCpu1 !== null) {
    r.extra.redisCpuSec = round3(redisCpu1 - redisCpu0);
    r.extra.redisCpuMsPer1kChanges = published > 0 ? round3(((redisCpu1 - redisCpu0) * 1000) / (published / 1000)) : null;
  }
  if (cCpu0 !== null && cCpu1 !== null) {
    const u = cpuUsage(c.pid!, cCpu0, cCpu1);
    r.extra.otherInstanceCpuSec = u.cpuSec;
    r.extra.otherInstanceCpuMsPer1kChanges = received > 0 ? round3((u.cpuSec * 1000) / (received / 1000)) : null;
  }
  r.extra.wholeDuelWallSec = round3(wallSec);
  if (others0 !== null && others1 !== null) r.extra.otherProcessesCpuSecWholeDuel = othersCpuSec(others0, others1);
  r.extra.otherInstanceCpus = ctx.opts.loadCpus ?? 'any';
  r.extra.redisCpus = ctx.opts.loadCpus ?? 'any';
  ctx.log(`  ${name}: B published ${published} changes in ${r.extra.batchesPublished} batches (${r.extra.changesPerBatch}/batch), ` +
    `the other instance received ${received}; dropped ${dropped}; B's link thread ${r.extra.bLinkThreadCpuSec ?? '?'} CPU-s ` +
    `(${r.extra.bLinkThreadUsPerChange ?? '?'} µs/change) of ${r.extra.bCpuSecWholeDuel ?? '?'}; redis ${r.extra.redisCpuSec ?? '?'} CPU-s ` +
    `(${r.extra.redisCpuMsPer1kChanges ?? '?'} ms/1k changes); other instance ${r.extra.otherInstanceCpuSec ?? '?'} CPU-s; ` +
    `µs of CPU per request in the rounds: A ${r.extra.aUsPerRequest ?? '?'} (I/O thread ${r.extra.aIoThreadUsPerRequest ?? '?'}, ` +
    `other threads ${r.extra.aOtherThreadsUsPerRequest ?? '?'}), B ${r.extra.bUsPerRequest ?? '?'} (I/O thread ${r.extra.bIoThreadUsPerRequest ?? '?'}, ` +
    `link ${r.extra.bLinkThreadUsPerRequest ?? '?'}, other threads ${r.extra.bOtherThreadsUsPerRequest ?? '?'})`);
  return r;
}
