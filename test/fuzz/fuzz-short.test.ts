// A short run of the fuzzers (npm run fuzz runs the long ones): 20,000 UDP datagrams and 3,000 HTTP
// requests of fuzzed input against a real `node dist/main.js` with the default config, and not one
// violation: no crash, no 5xx or "internal error", every tracker answer well-formed bencode or BEP 15,
// no amplification, RSS bounded. The seed is fixed so a failure here is reproducible with
// `npm run fuzz -- --seed 20261201 --configs defaults --udp-count 20000 --http-count 3000`.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { formatTallies } from '../../fuzz/assertions.js';
import { CONFIGS } from '../../fuzz/configs.js';
import { fuzzConfig } from '../../fuzz/run.js';
import { assertBuilt, killAll } from '../helpers/process.js';
import { canBind } from '../helpers/udp-client.js';

const SEED = 20261201;

after(() => killAll());

test('fuzz (short): 20,000 UDP datagrams and 3,000 HTTP requests against dist/main.js (defaults): no violation', { timeout: 180_000 }, async (t) => {
  assertBuilt();
  const config = CONFIGS.find((c) => c.name === 'defaults')!;
  const r = await fuzzConfig(config, {
    seed: SEED, udpCount: 20_000, httpCount: 3_000, budgetSec: 150, strictHttp10: false, rssBoundMiB: 200, ipv6: await canBind('::1'),
  });
  t.diagnostic(`udp: ${r.udp?.sent} datagrams, ${r.udp?.replies} replies; http: ${r.http?.requests} requests, ${r.http?.responses} responses; ` +
    `rss max +${Math.round(((r.monitor?.maxKiB ?? 0) - (r.monitor?.startKiB ?? 0)) / 1024)} MiB; ${(r.runtimeMs / 1000).toFixed(1)} s`);
  // the fuzzers really ran, and the tracker answered (a harness that sends nothing cannot fail)
  assert.equal(r.udp?.sent, 20_000, `udp stopped by ${r.udp?.stoppedBy}`);
  assert.ok((r.http?.requests ?? 0) >= 3_000, `http stopped by ${r.http?.stoppedBy}`);
  assert.ok((r.udp?.repliesByAction.announce ?? 0) > 1_000, 'announces were served over UDP');
  assert.ok((r.http?.announcesServed ?? 0) > 300, 'announces were served over HTTP');
  assert.equal(r.findings.violationCount, 0, formatTallies('violations', r.findings.violations));
});
