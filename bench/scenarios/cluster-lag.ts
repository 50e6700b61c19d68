// cluster-lag: replication lag of cluster mode under a bounded load. Two hayate instances on one
// redis-server the bench starts (A on the server CPUs; B, Redis and the bench on the load CPUs: each
// instance on a core of its own, as instances on their own machines would be), --cluster-rate (20,000)
// announces/s across the cluster for --cluster-sec (30) s, split evenly over A and B (UDP, paced, each
// announce a distinct peer: 10 per torrent, half of each torrent's peers announced to each instance).
// Measured:
// - lag as each instance records it (/stats cluster.lagMs: origin's apply -> hand-over to this instance's
//   owners; cumulative since the instance started, and the instances are fresh);
// - lag end to end from outside: marker peers announced over HTTP to one instance, polled on the other
//   (common/marker-probe.ts), alternating directions, one after another for the whole load; the table's
//   latency columns are these markers' lags;
// - Redis CPU (/proc/<pid>/stat of redis-server) per 1k changes published, over the load and its drain;
// - Redis memory per peer: INFO used_memory after the drain minus before the load, over the peers the
//   instances hold afterwards (each peer announced once: one change in the stream per peer).
import { cpuSnapshot, cpuUsage, selfCpuSec, type CpuUsage } from '../env/cpu-time.js';
import { othersCpuSec, othersSnapshot } from '../env/other-processes.js';
import type { Target } from '../env/targets.js';
import { newHistogram, percentileDistribution, recordMicros } from '../load/histogram.js';
import type { RunContext } from '../runner/context.js';
import { emptyResult, recordLatency, type ScenarioResult } from '../runner/result.js';
import { withTarget, type Scenario } from '../runner/scenario.js';
import type { SwarmFill } from '../workload/paths.js';
import {
  checkClusterPrereqs, clusterConfig, clusterFigures, freshPrefix, round1, round3, startBenchRedis, targetsOn, waitForFigures,
  type BenchRedis, type ClusterFigures,
} from './common/cluster-env.js';
import { percentile, probeMarkers, type MarkerSample } from './common/marker-probe.js';
import { runPacedUdp } from './common/paced-udp.js';

const PEERS_PER_TORRENT = 10;
/** After the load, every change must reach the other instance within this. */
const DRAIN_TIMEOUT_MS = 30_000;
/** Pause after a marker arrived before the next one (plus up to as much again, at random). */
const MARKER_GAP_MS = 50;
const MAX_MARKERS = 10_000;

export const clusterLag: Scenario = {
  name: 'cluster-lag',
  summary: 'two cluster instances + Redis, --cluster-rate announces/s across them: replication lag p50/p99 (/stats and end-to-end markers), Redis CPU per 1k changes and bytes per peer',
  standard: false,
  run: async (ctx) => {
    checkClusterPrereqs(ctx);
    const redis = await startBenchRedis(ctx.opts.loadCpus);
    const elsewhere = targetsOn(ctx, ctx.opts.loadCpus);
    try {
      const prefix = freshPrefix('lag');
      const cfg = clusterConfig(redis, prefix);
      return await withTarget(ctx, cfg, async (a) => {
        const b = await elsewhere.acquire(cfg);
        try {
          return await measureLag(ctx, a, b, redis, prefix);
        } finally {
          await elsewhere.release(b);
        }
      });
    } finally {
      elsewhere.close();
      await redis.stop();
    }
  },
};

async function measureLag(ctx: RunContext, a: Target, b: Target, redis: BenchRedis, prefix: string): Promise<ScenarioResult> {
  if (a.udpPort === null || b.udpPort === null) throw new Error(`a cluster instance has no UDP tracker: ${a.udpNote || b.udpNote}`);
  const rate = ctx.opts.clusterRate;
  const sec = ctx.opts.clusterSec;
  const total = Math.max(2, Math.round(rate * sec));
  const fill: SwarmFill = { salt: `cluster-lag:${prefix}`, torrents: Math.ceil(total / PEERS_PER_TORRENT), peersPerTorrent: PEERS_PER_TORRENT, numwant: 50 };
  const half = Math.floor(total / 2);

  const fa0 = await clusterFigures(a);
  const fb0 = await clusterFigures(b);
  const mem0 = await redis.usedMemory();
  const redisCpu0 = redis.cpuSec();
  const cpuA0 = cpuSnapshot(a.pid!);
  const cpuB0 = cpuSnapshot(b.pid!);
  const gen0 = selfCpuSec();
  const mine = new Set([process.pid, a.pid!, b.pid!, redis.pid]);
  const others0 = othersSnapshot(mine);
  const t0 = performance.now();

  ctx.log(`  cluster-lag: ${rate} announces/s for ${sec} s (${total} distinct peers), half to each instance; markers A<->B meanwhile`);
  const [load, markers] = await Promise.all([
    runPacedUdp({
      durationSec: sec, socketsPerTarget: 2,
      targets: [
        { host: a.udpHost, port: a.udpPort, ratePerSec: rate / 2, fill, first: 0, count: half },
        { host: b.udpHost, port: b.udpPort, ratePerSec: rate / 2, fill, first: half, count: total - half },
      ],
    }),
    probeMarkers(
      { label: 'A', host: a.host, httpPort: a.httpPort, apiBase: a.apiBase! },
      { label: 'B', host: b.host, httpPort: b.httpPort, apiBase: b.apiBase! },
      prefix, t0 + sec * 1000, MAX_MARKERS, MARKER_GAP_MS),
  ]);
  const loadWallSec = (performance.now() - t0) / 1000;

  // The drain: each instance has everything the other published.
  const d0 = performance.now();
  const caughtUp = async (): Promise<{ ok: boolean; fa: ClusterFigures; fb: ClusterFigures }> => {
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const [fa, fb] = await Promise.all([clusterFigures(a), clusterFigures(b)]);
      const ok = fa.outboxChanges === 0 && fb.outboxChanges === 0 &&
        fa.changesReceived - fa0.changesReceived >= fb.changesPublished - fb0.changesPublished &&
        fb.changesReceived - fb0.changesReceived >= fa.changesPublished - fa0.changesPublished;
      if (ok || performance.now() > deadline) return { ok, fa, fb };
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const drained = await caughtUp();
  const drainSec = (performance.now() - d0) / 1000;
  // The instances' peer counts follow their owners' apply, a moment after the hand-over.
  const sentTotal = load.targets[0]!.sent + load.targets[1]!.sent;
  await waitForFigures(a, (f) => f.peers - fa0.peers >= sentTotal, 5000);
  await waitForFigures(b, (f) => f.peers - fb0.peers >= sentTotal, 5000);
  const wallSec = (performance.now() - t0) / 1000;
  const fa = await clusterFigures(a);
  const fb = await clusterFigures(b);
  const mem1 = await redis.usedMemory();
  const redisCpu1 = redis.cpuSec();
  const cpuA = cpuA0 === null ? null : usage(a.pid!, cpuA0);
  const cpuB = cpuB0 === null ? null : usage(b.pid!, cpuB0);
  const genSec = selfCpuSec() - gen0;
  const others1 = othersSnapshot(mine);

  const r = emptyResult('ok', null);
  r.protocol = 'udp';
  r.generator = `paced node:dgram announces (2 sockets per instance), ${rate}/s across the cluster; HTTP marker announces`;
  r.durationSec = round3(load.elapsedSec);
  r.requests = load.targets[0]!.answered + load.targets[1]!.answered;
  r.reqPerSec = Math.round(sentTotal / Math.max(load.elapsedSec, 1e-9));
  r.failures = load.targets[0]!.errors + load.targets[1]!.errors;
  r.timeouts = sentTotal - r.requests - r.failures; // not answered (lost or late): counted, not timed
  const hist = newHistogram();
  for (const s of markers.samples) recordMicros(hist, s.lagMs * 1000);
  recordLatency(r, hist);
  r.histogramFile = ctx.histograms.write('cluster-lag', percentileDistribution(hist));
  r.serverCpu = cpuA;
  r.otherProcessesCpuSec = others0 === null || others1 === null ? null : othersCpuSec(others0, others1);
  r.generatorCpu = { cpuSec: round3(genSec), utilisation: round3(genSec / wallSec) };

  const published = (fa.changesPublished - fa0.changesPublished) + (fb.changesPublished - fb0.changesPublished);
  const peersHeld = fa.peers - fa0.peers;
  const lags = (from: string | null): number[] => markers.samples.filter((s) => from === null || s.from === from).map((s) => s.lagMs);
  const x = r.extra;
  x.redisVersion = redis.version;
  x.ratePerSecAsked = rate;
  x.ratePerSecSent = Math.round(sentTotal / Math.max(load.elapsedSec, 1e-9));
  x.announcesSent = sentTotal;
  x.announcesAnswered = r.requests;
  const perSec = Array.from({ length: Math.floor(load.elapsedSec) }, (_, i) => load.targets.reduce((acc, t) => acc + (t.sentPerSec[i] ?? 0), 0));
  x.sentPerSecMin = perSec.length === 0 ? null : Math.min(...perSec);
  x.sentPerSecMax = perSec.length === 0 ? null : Math.max(...perSec);
  x.changesPublished = published;
  x.changesDropped = (fa.changesDropped - fa0.changesDropped) + (fb.changesDropped - fb0.changesDropped);
  x.batchesPublished = (fa.batchesPublished - fa0.batchesPublished) + (fb.batchesPublished - fb0.batchesPublished);
  x.changesPerBatch = (x.batchesPublished as number) > 0 ? round1(published / (x.batchesPublished as number)) : null;
  x.drainSec = round3(drainSec);
  // Lag as the instances record it: B's is A -> B, A's is B -> A.
  x.statsLagP50MsAtoB = fb.lagP50Ms;
  x.statsLagP99MsAtoB = fb.lagP99Ms;
  x.statsLagP50MsBtoA = fa.lagP50Ms;
  x.statsLagP99MsBtoA = fa.lagP99Ms;
  // End to end, from outside.
  x.markers = markers.samples.length;
  x.markersMissed = markers.missed;
  x.markerPollMs = markers.pollMs;
  for (const [k, from] of [['', null], ['AtoB', 'A'], ['BtoA', 'B']] as const) {
    const xs = lags(from);
    x[`markerLagP50Ms${k}`] = percentile(xs, 50);
    x[`markerLagP90Ms${k}`] = percentile(xs, 90);
    x[`markerLagP99Ms${k}`] = percentile(xs, 99);
    x[`markerLagMaxMs${k}`] = xs.length === 0 ? null : Math.max(...xs);
  }
  x.markerAfterAnswerP50Ms = percentile(markers.samples.map((s) => s.afterAnswerMs), 50);
  x.markerAfterAnswerP99Ms = percentile(markers.samples.map((s) => s.afterAnswerMs), 99);
  // Redis.
  x.redisCpuSec = redisCpu0 === null || redisCpu1 === null ? null : round3(redisCpu1 - redisCpu0);
  x.redisCpuMsPer1kChanges = x.redisCpuSec === null || published === 0 ? null : round3(((x.redisCpuSec as number) * 1000) / (published / 1000));
  x.redisUsedMemoryBefore = mem0;
  x.redisUsedMemoryAfter = mem1;
  x.peersHeldA = peersHeld;
  x.peersHeldB = fb.peers - fb0.peers;
  x.redisBytesPerPeer = peersHeld > 0 ? round1((mem1 - mem0) / peersHeld) : null;
  x.redisBytesPerChange = published > 0 ? round1((mem1 - mem0) / published) : null;
  // Where the CPU went (load and drain).
  x.wallSec = round3(wallSec);
  x.loadWallSec = round3(loadWallSec);
  x.cpuSecA = cpuA?.cpuSec ?? null;
  x.cpuSecB = cpuB?.cpuSec ?? null;
  x.linkThreadCpuSecA = linkSec(cpuA, fa.threadId);
  x.linkThreadCpuSecB = linkSec(cpuB, fb.threadId);
  x.cpuMsPer1kAnnouncesA = cpuA === null ? null : round3((cpuA.cpuSec * 1000) / (sentTotal / 1000)); // its own announces and the other's changes
  x.serverCpusA = ctx.opts.serverCpus ?? 'any';
  x.cpusBAndRedis = ctx.opts.loadCpus ?? 'any';

  if (!drained.ok) r.notes.push(`not drained within ${DRAIN_TIMEOUT_MS / 1000} s: A received ${fa.changesReceived - fa0.changesReceived} of B's ${fb.changesPublished - fb0.changesPublished}, B ${fb.changesReceived - fb0.changesReceived} of A's ${fa.changesPublished - fa0.changesPublished}`);
  if ((x.changesDropped as number) > 0) r.notes.push(`${x.changesDropped} changes dropped (outbox or change ring full)`);
  if (markers.missed > 0) r.notes.push(`${markers.missed} markers never seen on the other instance within 10 s`);
  if (markers.refused > 0) r.notes.push(`${markers.refused} marker announces refused: ${markers.firstRefusal}`);
  if (peersHeld < sentTotal) r.notes.push(`A holds ${peersHeld} new peers of the ${sentTotal} announced across the cluster`);
  if (x.ratePerSecSent as number < 0.95 * rate) r.notes.push(`the pacer sent ${x.ratePerSecSent}/s of the ${rate}/s asked for (the bench's CPUs were short)`);
  r.notes.push(`lag p50/p99: /stats A->B ${fb.lagP50Ms}/${fb.lagP99Ms} ms, B->A ${fa.lagP50Ms}/${fa.lagP99Ms} ms; markers (end to end, ${markers.samples.length}, ` +
    `poll every ${markers.pollMs} ms) ${x.markerLagP50Ms}/${x.markerLagP99Ms} ms, max ${x.markerLagMaxMs} ms; the latency columns are the markers'`);
  r.notes.push(`redis: ${x.redisCpuMsPer1kChanges} ms CPU per 1k changes (${published} changes in ${x.batchesPublished} batches), ` +
    `${x.redisBytesPerPeer} bytes per peer (${peersHeld} peers); A ${x.cpuSecA} CPU-s (link thread ${x.linkThreadCpuSecA}), B ${x.cpuSecB} (link ${x.linkThreadCpuSecB})`);
  ctx.log(`  cluster-lag: ${r.notes.slice(-2).join('; ')}`);
  x.markerSamples = JSON.stringify(markers.samples.map((s: MarkerSample) => [s.atMs, s.from, s.lagMs]));
  return r;
}

function usage(pid: number, before: NonNullable<ReturnType<typeof cpuSnapshot>>): CpuUsage | null {
  const after = cpuSnapshot(pid);
  return after === null ? null : cpuUsage(pid, before, after);
}

function linkSec(u: CpuUsage | null, tid: number): number | null {
  if (u === null || tid <= 0) return null;
  return u.busiestThreads.find((t) => t.tid === tid)?.cpuSec ?? 0;
}
