// The cluster scenarios end to end, small: `node build/bench/runner/cli.js --smoke --scenarios
// cluster-udp-duel,cluster-http-duel,cluster-lag,cluster-join` starts a redis-server and hayate instances
// in cluster mode, runs a 2 x 1 s duel per protocol, 2 s of paced announces with markers, and a join of
// 20,000 peers. Checks that the figures are there and agree with each other (every change published
// reached the other instance, every announced peer is held by both, the new instance loaded them all),
// never speed. Skips without redis-server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BENCH_TIMEOUT_MS, runBench } from '../helpers/bench-cli.js';

const SCENARIOS = ['cluster-udp-duel', 'cluster-http-duel', 'cluster-lag', 'cluster-join'];
const noRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 ? false
  : 'redis-server is not installed (Debian: apt-get install redis-server)';

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

test('bench --help lists the cluster scenarios and their options', async () => {
  const r = await runBench(['--help']);
  assert.equal(r.code, 0);
  for (const s of [...SCENARIOS, '--cluster-rate', '--cluster-sec', '--join-runs']) assert.ok(r.stdout.includes(s), `--help mentions ${s}`);
});

test('bench --join-runs is bounded', async () => {
  const r = await runBench(['--join-runs', '21']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--join-runs: at most 20/);
});

test('cluster scenarios: duels, lag and join record consistent figures', { skip: noRedis, timeout: BENCH_TIMEOUT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-cluster-'));
  try {
    const r = await runBench(['--smoke', '--scenarios', SCENARIOS.join(','), '--duel-rounds', '2', '--duel-sec', '1',
      '--cluster-rate', '2000', '--cluster-sec', '2', '--memory-peers', '20000', '--join-runs', '1', '--out', dir]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
    const json = readdirSync(dir).find((f) => f.endsWith('.json'));
    assert.ok(json !== undefined, 'a results file');
    const report = JSON.parse(readFileSync(join(dir, json), 'utf8')) as Record<string, any>;
    const s = (name: string): Record<string, any> => {
      const x = report.scenarios[name];
      assert.ok(x !== undefined, `${name} in the results`);
      assert.equal(x.status, 'ok', `${name}: ${x.reason}\n${(x.notes ?? []).join('\n')}`);
      return x;
    };

    for (const name of ['cluster-udp-duel', 'cluster-http-duel']) {
      const d = s(name);
      assert.equal(d.duel.rounds.length, 2, `${name}: two rounds`);
      for (const round of d.duel.rounds) {
        for (const side of ['a', 'b']) assert.ok(round[side].requests > 0 && round[side].cpuSec > 0, `${name} round ${round.round} side ${side} answered and used CPU`);
        assert.ok(isNum(round.ratio) && round.ratio > 0, `${name} round ${round.round}: ratio ${round.ratio}`);
      }
      assert.equal(d.duel.a.label, 'hayate standalone');
      assert.equal(d.duel.b.label, 'hayate in cluster mode');
      assert.ok(isNum(d.extra.ratioToStandalone) && d.extra.ratioToStandalone > 0, `${name}: ratioToStandalone ${d.extra.ratioToStandalone}`);
      // B published every announce it applied (warm-ups included), and the other instance got them all.
      assert.ok(d.extra.changesPublished >= d.requests, `${name}: ${d.extra.changesPublished} changes published for ${d.requests} answers in the rounds`);
      assert.equal(d.extra.changesReceivedByOther, d.extra.changesPublished, `${name}: the other instance received every change`);
      assert.equal(d.extra.changesDropped, 0);
      assert.ok(d.extra.bLinkThreadCpuSec > 0 && d.extra.bLinkThreadCpuSec < d.extra.bCpuSecWholeDuel, `${name}: the link thread's CPU is part of B's`);
      assert.ok(d.serverCpu.busiestThreads.some((t: { name: string }) => t.name === 'cluster-01'), `${name}: the link thread is named in B's threads`);
      assert.ok(d.extra.redisCpuSec > 0 && d.extra.otherInstanceCpuSec > 0, `${name}: Redis and the other instance used CPU`);
    }

    const lag = s('cluster-lag');
    const x = lag.extra;
    // 2000/s for 2 s: the pacer stops at the deadline, behind if the machine starved it (its rate says so).
    assert.ok(x.announcesSent > 0 && x.announcesSent <= 4000, `cluster-lag: ${x.announcesSent} announces sent`);
    assert.ok(isNum(x.ratePerSecSent) && x.ratePerSecSent > 0 && x.ratePerSecSent <= 2000 * 1.05, `cluster-lag: ${x.ratePerSecSent}/s`);
    assert.ok(x.announcesAnswered >= x.announcesSent * 0.99, `cluster-lag: answered ${x.announcesAnswered} of ${x.announcesSent}`);
    assert.ok(x.markers >= 2 && x.markersMissed === 0, `cluster-lag: ${x.markers} markers, ${x.markersMissed} missed`);
    assert.ok(x.peersHeldA >= x.announcesSent && x.peersHeldB >= x.announcesSent, `cluster-lag: both instances hold every peer (A ${x.peersHeldA}, B ${x.peersHeldB})`);
    assert.ok(x.changesPublished >= x.announcesSent && x.changesDropped === 0, 'cluster-lag: every announce published');
    for (const k of ['statsLagP50MsAtoB', 'statsLagP99MsAtoB', 'statsLagP50MsBtoA', 'statsLagP99MsBtoA', 'markerLagP50Ms', 'markerLagP99Ms', 'redisCpuMsPer1kChanges']) {
      assert.ok(isNum(x[k]) && x[k] > 0, `cluster-lag: ${k} = ${x[k]}`);
    }
    assert.ok(x.markerLagP50Ms <= x.markerLagP99Ms && x.statsLagP50MsAtoB <= x.statsLagP99MsAtoB);
    assert.ok(isNum(x.redisBytesPerPeer) && x.redisBytesPerPeer > 10 && x.redisBytesPerPeer < 1000, `cluster-lag: ${x.redisBytesPerPeer} Redis bytes per peer`);
    assert.equal(lag.latencyUs.count, x.markers, 'cluster-lag: the latency columns are the markers');

    const joined = s('cluster-join');
    const j = joined.extra;
    assert.equal(j.peersLoaded, 20_000);
    assert.ok(j.changesPublished >= 20_000);
    const runs = JSON.parse(j.joinRunsJson) as { checkOkMs: number; allPeersMs: number; joinChanges: number; peersSeen: number; standaloneCheckOkMs: number }[];
    assert.equal(runs.length, 1);
    assert.ok(runs[0]!.checkOkMs > 0 && runs[0]!.allPeersMs >= runs[0]!.checkOkMs, `join: ${JSON.stringify(runs[0])}`);
    assert.equal(runs[0]!.peersSeen, 20_000, 'join: the new instance holds every peer');
    assert.ok(runs[0]!.joinChanges >= 20_000, 'join: it loaded every change');
    assert.ok(runs[0]!.standaloneCheckOkMs > 0);
    assert.ok(isNum(j.redisBytesPerPeer) && j.redisBytesPerPeer > 10 && j.redisBytesPerPeer < 1000, `join: ${j.redisBytesPerPeer} Redis bytes per peer`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
