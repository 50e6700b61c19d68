// The jwt-flood bench scenario end to end, tiny (--smoke: 1 s of baseline, 1 s of flood, 10 new clients a
// second): attackers on 127.0.0.2..5 and new clients on 127.1.x.y reach a hayate the bench starts, and
// the results carry the figures the scenario promises. Checks shape, never speed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BENCH_TIMEOUT_MS, runBench } from '../helpers/bench-cli.js';
import { canBind } from '../helpers/udp-client.js';

const loopbackRange = (await Promise.all(['127.0.0.2', '127.0.0.5', '127.1.0.1'].map(canBind))).every((ok) => ok);

test('bench --scenarios jwt-flood --smoke: the share of new clients accepted, their latency, the attackers and the counters',
  { timeout: BENCH_TIMEOUT_MS + 10_000, skip: loopbackRange ? false : 'cannot bind 127.0.0.2 / 127.1.0.1 (loopback is not 127.0.0.0/8)' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-jwt-flood-'));
    try {
      const r = await runBench(['--scenarios', 'jwt-flood', '--smoke', '--out', dir]);
      assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
      const json = readdirSync(dir).filter((f) => f.endsWith('.json'));
      assert.equal(json.length, 1);
      const s = JSON.parse(readFileSync(join(dir, json[0]!), 'utf8')).scenarios['jwt-flood'];
      assert.equal(s.status, 'ok', s.reason);
      const e = s.extra;
      assert.equal(e.newClients, 10);
      for (const k of ['acceptedShare', 'baselineAcceptedShare', 'p99Ms', 'baselineP99Ms', 'attackerRequestsPerSec', 'verificationsPerSec']) {
        assert.equal(typeof e[k], 'number', `${k} = ${e[k]}`);
      }
      assert.equal(typeof e.goalMet, 'boolean');
      assert.equal(e.baselineAcceptedShare, 1, 'without a flood every new client is accepted');
      assert.ok(e.attackerRequestsPerSec > 0, 'the attackers were answered');
      assert.ok(e['flood.jwt.verifications'] >= 10, 'the new clients\' tokens, and forged ones, were verified');
      assert.equal(e['flood.requestsErrored'], 0, 'refusals are not errors');
      assert.equal(e['flood.jwt.busy'], e['flood.requestsRefusedBusy']);
      for (const a of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) assert.match(e[`attacker.${a}`], /answered/);
      assert.ok(s.latencyUs.count > 0 && s.latencyUs.p50 <= s.latencyUs.p99);
      assert.ok(s.notes.some((n: string) => n.startsWith('during the flood:')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
