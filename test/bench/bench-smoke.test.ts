// The bench machinery end to end: `node build/bench/runner/cli.js --smoke` starts hayate, runs the standard suite
// with tiny load, and writes a well-formed results file. Checks shape, never speed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BENCH_TIMEOUT_MS, runBench } from '../helpers/bench-cli.js';


const SUITE = [
  'http-announce', 'http-announce-new-conn', 'http-scrape', 'udp-connect', 'udp-announce', 'udp-scrape',
  'uniform', 'zipf', 'heavy-swarm', 'jwt-warm', 'jwt-cold', 'udp-duel', 'jwt-duel',
];


const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

test('bench --help lists every scenario', async () => {
  const r = await runBench(['--help']);
  assert.equal(r.code, 0);
  for (const s of [...SUITE, 'memory']) assert.match(r.stdout, new RegExp(`\\b${s}\\b`));
});

test('bench rejects an unknown option with exit code 2', async () => {
  const r = await runBench(['--no-such-option']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option/);
});

test('bench --smoke runs the suite and writes well-formed results', { timeout: BENCH_TIMEOUT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-smoke-'));
  try {
    const r = await runBench(['--smoke', '--out', dir]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
    const files = readdirSync(dir);
    const json = files.filter((f) => f.endsWith('.json'));
    assert.equal(json.length, 1, `one results file expected, got ${files.join(', ')}`);
    assert.ok(files.some((f) => f.endsWith('.md')), 'a .md summary');
    const html = files.filter((f) => f.endsWith('.html'));
    assert.equal(html.length, 1, `one HTML report expected, got ${files.join(', ')}`);
    assert.ok(r.stdout.includes(join(dir, html[0]!)), 'the summary says where the report is');
    assert.match(readFileSync(join(dir, html[0]!), 'utf8'), /<svg class="chart percentile-chart"/);
    const report = JSON.parse(readFileSync(join(dir, json[0]!), 'utf8')) as Record<string, any>;

    assert.equal(report.schema, 'hayate-bench/1');
    assert.ok(typeof report.machine.cpuModel === 'string' && report.machine.cpuModel.length > 0);
    assert.ok(isNum(report.machine.cores) && isNum(report.machine.memoryBytes));
    assert.match(report.machine.node, /^v\d+/);
    assert.equal(typeof report.git.commit, 'string');
    assert.equal(typeof report.trackerConfig, 'object');
    assert.ok(isNum(report.wallSec));

    assert.deepEqual(Object.keys(report.scenarios).sort(), [...SUITE].sort());
    for (const [name, s] of Object.entries<any>(report.scenarios)) {
      assert.ok(['ok', 'skipped', 'error'].includes(s.status), `${name}: status ${s.status}`);
      if (s.status !== 'ok') {
        assert.equal(typeof s.reason, 'string', `${name}: a reason`);
        continue;
      }
      for (const k of ['requests', 'reqPerSec', 'durationSec', 'errors', 'timeouts', 'non2xx', 'failures', 'connections']) {
        assert.ok(isNum(s[k]), `${name}.${k} = ${s[k]}`);
      }
      for (const k of ['count', 'mean', 'p50', 'p90', 'p99', 'p999', 'max']) assert.ok(isNum(s.latencyUs[k]), `${name}.latencyUs.${k}`);
      assert.ok(s.latencyUs.p50 <= s.latencyUs.p99 && s.latencyUs.p99 <= s.latencyUs.max, `${name}: percentiles in order`);
      // The report's curve: HdrHistogram's percentile levels, ending at 100% on the maximum.
      const c = s.latencyCurve;
      assert.equal(c.count, s.latencyUs.count, `${name}: curve count`);
      assert.equal(c.percentiles.length, c.valuesUs.length);
      // At the max: the highest value of its bucket (3 significant digits), as HdrHistogram reports it.
      assert.ok(c.percentiles.length >= 2 && c.percentiles.at(-1) === 100 && c.valuesUs.at(-1) >= s.latencyUs.max &&
        c.valuesUs.at(-1) <= s.latencyUs.max * 1.001 + 1, `${name}: curve ends at the max (${c.valuesUs.at(-1)} vs ${s.latencyUs.max})`);
      for (let i = 1; i < c.percentiles.length; i++) assert.ok(c.percentiles[i] > c.percentiles[i - 1] && c.valuesUs[i] >= c.valuesUs[i - 1], `${name}: curve ascends at ${i}`);
      assert.ok(typeof s.histogramFile === 'string' && files.includes(s.histogramFile), `${name}: histogram file`);
      assert.match(readFileSync(join(dir, s.histogramFile), 'utf8'), /Percentile/);
      if (s.ceiling !== null) assert.ok(isNum(s.ceiling.reqPerSec) && Array.isArray(s.ceiling.latencyCurve.percentiles), `${name}: ceiling and its curve`);
      assert.equal(typeof s.generatorBound === 'boolean' || s.generatorBound === null, true);
      if (s.serverCpu !== null) assert.ok(isNum(s.serverCpu.cpuSec) && isNum(s.serverCpu.mainThreadSec));
    }
    // The core path must work end to end (the others may be skipped where a tracker lacks them).
    const ha = report.scenarios['http-announce'];
    assert.equal(ha.status, 'ok', `http-announce: ${ha.reason}`);
    assert.ok(ha.requests > 0 && ha.reqPerSec > 0);
    assert.ok(Object.keys(report.ceilings).length > 0, 'generator ceilings recorded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
