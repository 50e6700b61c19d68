// The bench's view of hayate's threads, end to end with --smoke loads: a sweep over ioThreads x workers
// for HTTP and UDP announces (the tracker must run the layout each cell asks for, and each result carries
// server CPU per answered request by thread and each I/O thread's share of the load), and the duels
// against a previous build (--baseline DIR; here this very checkout stands in for it). Checks shape and
// bookkeeping, never speed.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { BENCH_TIMEOUT_MS, runBench } from '../helpers/bench-cli.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url)); // build/test/bench/ -> repository root
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function readRun(dir: string): { report: Record<string, any>; md: string; files: string[] } {
  const files = readdirSync(dir);
  const json = files.find((f) => f.endsWith('.json'));
  assert.ok(json !== undefined, `a results file: ${files.join(', ')}`);
  return {
    report: JSON.parse(readFileSync(join(dir, json), 'utf8')) as Record<string, any>,
    md: readFileSync(join(dir, json.replace(/\.json$/, '.md')), 'utf8'),
    files,
  };
}

/**
 * A result's per-thread CPU: named by role, adding up to the total within the clock's resolution: /proc
 * counts in ticks of 10 ms (USER_HZ), the process total and each thread are read at slightly different
 * moments, and a thread that ended between the two reads counts in the total only.
 */
function checkCpuPerRequest(label: string, c: any, roles: string[], requests: number): void {
  assert.ok(c !== null && c !== undefined, `${label}: cpuPerRequestUs`);
  assert.ok(isNum(c.totalUs) && c.totalUs > 0, `${label}: totalUs ${c.totalUs}`);
  for (const role of roles) assert.ok(isNum(c.threadsUs[role]), `${label}: a figure for ${role} in ${JSON.stringify(c.threadsUs)}`);
  for (const role of Object.keys(c.threadsUs)) assert.match(role, /^(main|other|io-\d\d|swarm-\d\d|jwt-\d\d|cluster-01)$/, `${label}: role ${role}`);
  const sum = Object.values<number>(c.threadsUs).reduce((a, b) => a + b, 0);
  const tickUs = 10_000 / requests;
  const slack = (Object.keys(c.threadsUs).length + 2) * tickUs;
  assert.ok(sum <= c.totalUs + slack && sum >= c.totalUs * 0.8 - slack, `${label}: threads sum ${sum} vs total ${c.totalUs} (a tick is ${tickUs.toFixed(1)} µs per request)`);
}

for (const scenario of ['http-announce', 'udp-announce']) {
  test(`--sweep ioThreads=1,2 workers=0,1 of ${scenario}: each cell runs its layout and reports CPU per request by thread and the I/O threads' shares`,
    { timeout: BENCH_TIMEOUT_MS + 10_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-threads-'));
      try {
        const r = await runBench(['--smoke', '--sweep', 'ioThreads=1,2', 'workers=0,1', '--sweep-scenario', scenario, '--no-ceiling', '--out', dir]);
        assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
        const { report, md } = readRun(dir);
        assert.deepEqual(report.sweep.dimensions, { ioThreads: ['1', '2'], workers: ['0', '1'] });
        assert.equal(report.sweep.cells.length, 4);
        for (const cell of report.sweep.cells) {
          const io = Number(cell.settings.ioThreads);
          const workers = Number(cell.settings.workers);
          assert.deepEqual(cell.config, { ioThreads: io, workers }, 'config keys passed as numbers');
          const s = report.scenarios[cell.key];
          if (scenario === 'udp-announce' && s.status === 'skipped') continue; // a hayate without a UDP frontend
          assert.equal(s.status, 'ok', `${cell.key}: ${s.reason}`);
          assert.equal(s.extra.ioThreads, io, `${cell.key}: the tracker reports ${s.extra.ioThreads} I/O threads`);
          assert.equal(s.extra.swarmWorkers, workers, `${cell.key}: ${s.extra.swarmWorkers} swarm workers seen`);
          assert.ok(!s.notes.some((n: string) => n.startsWith('LAYOUT')), `${cell.key}: ${s.notes.join('; ')}`);
          const ioRoles = Array.from({ length: io }, (_, i) => `io-0${i + 1}`);
          checkCpuPerRequest(cell.key, s.cpuPerRequestUs, [...ioRoles, ...(workers > 0 ? ['swarm-01'] : [])], s.requests);
          assert.equal(cell.cpuPerRequestUs.totalUs, s.cpuPerRequestUs.totalUs, `${cell.key}: the sweep cell carries the figure`);
          // The I/O threads' shares: one per thread, of the protocol's own counter, adding up to 1.
          const spread = s.ioThreads;
          assert.equal(spread.counter, scenario === 'udp-announce' ? 'udpPackets' : 'requestsHandled');
          assert.deepEqual(Object.keys(spread.threads), ioRoles);
          const shares = Object.values<any>(spread.threads).map((t) => t.share as number);
          assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 0.01, `${cell.key}: shares ${shares.join(', ')}`);
          assert.equal(spread.maxShare, Math.max(...shares));
          const handled = Object.values<any>(spread.threads).reduce((a, t) => a + t.trackerAnnounces, 0);
          assert.ok(handled >= s.requests, `${cell.key}: the threads counted ${handled} announces, the generator got ${s.requests} answers`);
          assert.deepEqual(cell.ioShares, Object.fromEntries(Object.entries<any>(spread.threads).map(([n, t]) => [n, t.share])));
        }
        assert.match(r.stdout, /server CPU per answered request/);
        assert.match(r.stdout, /ioThreads=2 workers=1: CPU\/req [\d.]+ µs = .*io-02/);
        assert.match(md, /- ioThreads=2 workers=1: CPU\/req/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}

test('udp-baseline-duel and http-baseline-duel against a --baseline checkout (this one): both sides answer, the ratio and per-thread CPU are there',
  { timeout: BENCH_TIMEOUT_MS + 10_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-baseline-'));
    try {
      const names = ['udp-baseline-duel', 'http-baseline-duel'];
      const r = await runBench(['--smoke', '--scenarios', names.join(','), '--baseline', REPO, '--duel-rounds', '2', '--duel-sec', '1', '--out', dir]);
      assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
      const { report, md } = readRun(dir);
      for (const name of names) {
        const s = report.scenarios[name];
        if (name === 'udp-baseline-duel' && s.status === 'skipped') continue;
        assert.equal(s.status, 'ok', `${name}: ${s.reason}\n${(s.notes ?? []).join('\n')}`);
        assert.equal(s.duel.rounds.length, 2);
        for (const round of s.duel.rounds) {
          assert.ok(round.a.requests > 0 && round.b.requests > 0, `${name} round ${round.round}: both sides answered`);
          assert.ok(isNum(round.ratio) && round.ratio > 0);
        }
        assert.match(s.duel.a.label, /^baseline hayate \(/);
        assert.equal(s.duel.b.label, 'hayate');
        assert.ok(isNum(s.extra.ratioToBaseline) && s.extra.ratioToBaseline === s.duel.ratioMedian, `${name}: ratioToBaseline`);
        assert.ok(isNum(s.extra.baselineReqPerCpuSec) && s.extra.baselineReqPerCpuSec > 0);
        assert.equal(typeof s.extra.baselineCommit, 'string');
        assert.equal(s.extra.baselineDir, REPO.replace(/\/$/, ''));
        const sideRequests = (k: 'a' | 'b'): number => s.duel.rounds.reduce((acc: number, x: any) => acc + x[k].requests, 0);
        checkCpuPerRequest(`${name} A`, s.duel.a.cpuPerRequestUs, ['io-01'], sideRequests('a'));
        checkCpuPerRequest(`${name} B`, s.duel.b.cpuPerRequestUs, ['io-01'], sideRequests('b'));
        assert.deepEqual(s.cpuPerRequestUs, s.duel.b.cpuPerRequestUs, `${name}: the row's figure is B's`);
        assert.ok(md.includes(`ratioToBaseline=${s.extra.ratioToBaseline}`), `${name}: the ratio in the .md`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

test('--baseline-config without --baseline: a duel of two configs of this build (ioThreads 1 as A, 2 as B)', { timeout: BENCH_TIMEOUT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-baseline-'));
  try {
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ ioThreads: 1, workers: 0 }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ioThreads: 2, workers: 0 }));
    const out = join(dir, 'out');
    mkdirSync(out);
    const r = await runBench(['--smoke', '--scenarios', 'http-baseline-duel', '--tracker-config', join(dir, 'b.json'),
      '--baseline-config', join(dir, 'a.json'), '--duel-rounds', '2', '--duel-sec', '1', '--out', out]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
    const s = readRun(out).report.scenarios['http-baseline-duel'];
    assert.equal(s.status, 'ok', `${s.reason}\n${(s.notes ?? []).join('\n')}`);
    assert.equal(s.duel.a.label, 'hayate (ioThreads=1)');
    assert.equal(s.extra.baselineCommit, null);
    assert.equal(s.extra.baselineConfig, 'ioThreads=1');
    const requests = (k: 'a' | 'b'): number => s.duel.rounds.reduce((acc: number, x: any) => acc + x[k].requests, 0);
    checkCpuPerRequest('A', s.duel.a.cpuPerRequestUs, ['io-01'], requests('a'));
    checkCpuPerRequest('B', s.duel.b.cpuPerRequestUs, ['io-01', 'io-02'], requests('b'));
    assert.equal(s.duel.a.cpuPerRequestUs.threadsUs['io-02'], undefined, 'side A runs one I/O thread');
    assert.ok(isNum(s.extra.ratioToBaseline) && s.extra.ratioToBaseline > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--baseline DIR without a built dist/ is a usage error; the baseline duels without --baseline are skipped, saying why', async () => {
  const missing = await runBench(['--scenarios', 'udp-baseline-duel', '--baseline', '/nonexistent-hayate-checkout']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--baseline \/nonexistent-hayate-checkout: .*dist\/main\.js does not exist/);
  const help = await runBench(['--help']);
  for (const s of ['udp-baseline-duel', 'http-baseline-duel', '--baseline']) assert.ok(help.stdout.includes(s), `--help mentions ${s}`);
  const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-baseline-'));
  try {
    const r = await runBench(['--smoke', '--scenarios', 'http-baseline-duel', '--out', dir]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const s = readRun(dir).report.scenarios['http-baseline-duel'];
    assert.equal(s.status, 'skipped');
    assert.match(s.reason, /needs --baseline DIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
