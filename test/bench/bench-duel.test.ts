// The duel scenarios end to end: `node build/bench/runner/cli.js --smoke --scenarios udp-duel,http-duel` starts
// hayate and a trivial responder, loads both at once for 2 rounds of 1 s (tiny pools), and records every
// round. Checks that both sides answered and the figures are there and sane, never speed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BENCH_TIMEOUT_MS, runBench } from '../helpers/bench-cli.js';

const DUELS = ['udp-duel', 'http-duel'];

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

test('bench --help lists the duel scenarios and options', async () => {
  const r = await runBench(['--help']);
  assert.equal(r.code, 0);
  for (const s of [...DUELS, 'jwt-duel', '--duel-rounds', '--duel-sec']) assert.ok(r.stdout.includes(s), `--help mentions ${s}`);
});

test('bench --duel-rounds is bounded', async () => {
  const r = await runBench(['--duel-rounds', '1000']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--duel-rounds: at most 100/);
});

test('udp-duel and http-duel: both sides answer, every round is recorded, the ratio is finite', { timeout: BENCH_TIMEOUT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-duel-'));
  try {
    const r = await runBench(['--smoke', '--scenarios', DUELS.join(','), '--duel-rounds', '2', '--duel-sec', '1', '--out', dir]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
    const files = readdirSync(dir);
    const json = files.find((f) => f.endsWith('.json'));
    assert.ok(json !== undefined, `a results file: ${files.join(', ')}`);
    const report = JSON.parse(readFileSync(join(dir, json), 'utf8')) as Record<string, any>;
    const md = readFileSync(join(dir, json.replace(/\.json$/, '.md')), 'utf8');
    for (const name of DUELS) {
      const s = report.scenarios[name];
      assert.ok(s !== undefined, `${name} in the results`);
      if (name === 'udp-duel' && s.status === 'skipped') continue; // a hayate without a UDP frontend
      assert.equal(s.status, 'ok', `${name}: ${s.reason}\n${(s.notes ?? []).join('\n')}`);
      const d = s.duel;
      assert.equal(d.rounds.length, 2, `${name}: two rounds`);
      assert.equal(d.roundSec, 1);
      for (const round of d.rounds) {
        for (const side of ['a', 'b']) {
          const x = round[side];
          assert.ok(x.requests > 0, `${name} round ${round.round} side ${side}: answered (${x.requests})`);
          for (const k of ['cpuSec', 'cpuShare', 'reqPerSec', 'errors', 'timeouts', 'non2xx', 'failures', 'p50Us', 'p99Us']) {
            assert.ok(isNum(x[k]), `${name} round ${round.round} ${side}.${k} = ${x[k]}`);
          }
          assert.ok(x.cpuSec > 0 && isNum(x.reqPerCpuSec) && x.reqPerCpuSec > 0, `${name} round ${round.round} ${side}: CPU figures`);
        }
        assert.ok(isNum(round.ratio) && round.ratio > 0, `${name} round ${round.round}: ratio ${round.ratio}`);
        assert.ok(isNum(round.wallSec) && isNum(round.generatorCpuShare));
      }
      const ratio = s.extra.ratioToTrivial;
      assert.ok(isNum(ratio) && ratio > 0, `${name}: ratioToTrivial ${ratio}`);
      assert.equal(ratio, d.ratioMedian);
      assert.ok(d.ratioMin <= ratio && ratio <= d.ratioMax, `${name}: median within its range`);
      assert.match(String(s.extra.ratioRange), /^\d+\.\d{3}-\d+\.\d{3}$/);
      assert.equal(d.solo.length, 2, `${name}: the responder alone before and after`);
      assert.ok(isNum(s.extra.projectedReqPerSec) && s.extra.projectedReqPerSec > 0, `${name}: projectedReqPerSec`);
      assert.ok(s.requests > 0 && isNum(s.reqPerCpuSec), `${name}: hayate's row`);
      assert.ok(typeof s.histogramFile === 'string' && files.includes(s.histogramFile), `${name}: histogram file`);
      assert.ok(md.includes(`ratioToTrivial=${ratio}`), `${name}: the ratio in the .md notes column`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
