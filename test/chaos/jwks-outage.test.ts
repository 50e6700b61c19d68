// Chaos: Quay's JWK-set endpoint dies, comes back, stalls, comes back, under an announce load whose
// every announce carries its torrent's token (HTTP `?jwt=`, UDP BEP 41 URL data). The contract
// (docs/compatibility.md section 5): the last good set stays usable until jwkUpdateInterval + jwkTTL
// after the last good fetch, announces keep verifying meanwhile; then every announce fails closed with
// `unapproved request: jwt keys unavailable` and GET /check answers 503; the first fetch after the
// server heals (retries come at most one interval apart; a stalled fetch ends at its deadline,
// min(10 s, max(1 s, interval))) brings announces back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnnouncePool } from '../../bench/load/paced/announce-pool.js';
import { AUDIENCE, JwksServer, makeKey, mintQuay } from '../helpers/jwt-fixtures.js';
import { get, sleep, startTestTracker, waitFor, type TestTracker } from '../helpers/tracker.js';
import { assertNoPeerLost, assertNoWrongAnswer, ChaosLoad, chaosPool, unexpectedFailures, warmUp, type Incident } from './chaos-load.js';

const INTERVAL_MS = 1_000;
const TTL_MS = 2_000;
const USABLE_MS = INTERVAL_MS + TTL_MS;
/** Clocks: the tracker's coarse clocks lag up to 50 ms, the key set's state is republished every 250 ms. */
const EARLY_MS = 250;
const LATE_MS = 1_000;
const UNAVAILABLE = 'unapproved request: jwt keys unavailable';

/**
 * One outage, in ms since the load started: when it began, the tracker's last good fetch (its key set's
 * usable-until time minus interval + TTL, read once the set has expired: no fetch can be good after the
 * outage began), the server's last good answer, /check going 503, the server healing, /check 200 again.
 */
interface Outage { kind: 'dies' | 'stalls'; startMs: number; lastGoodMs: number; serverLastOkMs: number; check503Ms: number; healMs: number; check200Ms: number }

describe('chaos: the JWK-set server dies, stalls and comes back, under announce load', { timeout: 90_000 }, () => {
  const jwks = new JwksServer();
  let t: TestTracker | null = null;
  before(async () => {
    const key = await makeKey('quay-chaos');
    jwks.keys = [key.jwk];
    await jwks.listen();
  });
  after(async () => {
    await t?.stop();
    await jwks.close();
  });

  it(`keys stay usable for interval + TTL, then \`${UNAVAILABLE}\` and /check 503, then recovery within one interval of healing (HTTP and UDP)`, async () => {
    const key = await makeKey('quay-chaos');
    jwks.keys = [key.jwk];
    const base = chaosPool('jwks-outage', { torrents: 400 });
    const hashes = new AnnouncePool(base);
    const tokens: string[] = [];
    for (let i = 0; i < base.torrents; i++) tokens.push(await mintQuay(key, { infohash: hashes.infoHash(i).toString('hex') }));
    const pool = { ...base, jwtOf: (torrent: number) => tokens[torrent]! };
    t = await startTestTracker({
      ioThreads: 2, workers: 0, udpListenAddr: '127.0.0.1:0',
      jwkSetURI: jwks.url, jwtAudience: AUDIENCE, jwkUpdateIntervalMs: INTERVAL_MS, jwkTTLMs: TTL_MS,
    });
    const target = { host: '127.0.0.1', httpPort: t.httpPort, udpPort: t.tracker.ports.udp };
    await warmUp(target, pool);
    const load = new ChaosLoad(target, pool, { httpRate: 1_500, udpRate: 500, durationMs: 60_000 }, true);
    const check = async (): Promise<{ status: number; body: string }> => {
      const r = await get(`${t!.apiUrl}/check`);
      return { status: r.status, body: r.body.toString() };
    };
    const outages: Outage[] = [];
    let stale = '';
    for (const kind of ['dies', 'stalls'] as const) {
      await sleep(1_500);
      const startMs = load.now();
      if (kind === 'dies') await jwks.close();
      else jwks.mode = 'stall';
      await waitFor('/check 503', async () => (await check()).status === 503, USABLE_MS + 3_000, 20);
      const check503Ms = load.now();
      const lastGoodMs = t.tracker.jwt!.source.usableUntilMs - USABLE_MS - load.startedAt;
      const serverLastOkMs = jwks.lastOkAt - load.startedAt;
      stale = (await check()).body;
      await sleep(1_000); // a second of failing closed
      if (kind === 'dies') await jwks.listen(jwks.port);
      jwks.mode = 'ok';
      const healMs = load.now();
      await waitFor('/check 200', async () => (await check()).status === 200, INTERVAL_MS + 3_000, 20);
      outages.push({ kind, startMs, lastGoodMs, serverLastOkMs, check503Ms, healMs, check200Ms: load.now() });
    }
    await sleep(1_000);
    const stopMs = load.now();
    await load.stop();
    const incidents = load.incidents;
    const firstAfter = (ms: number, pred: (i: Incident) => boolean): Incident | undefined => incidents.find((i) => i.atMs >= ms && pred(i));
    const report = outages.map((o) => {
      const first = firstAfter(o.lastGoodMs, (i) => i.what === UNAVAILABLE);
      return `${o.kind} at ${o.startMs} ms: last good fetch ${o.lastGoodMs} ms (the server's last good answer ${o.serverLastOkMs} ms), ` +
        `first refusal ${first?.atMs ?? '-'} ms (+${first === undefined ? '-' : first.atMs - o.lastGoodMs}), ` +
        `/check 503 at +${o.check503Ms - o.lastGoodMs}; healed ${o.healMs} ms, /check 200 after ${o.check200Ms - o.healMs} ms, ` +
        `first peer list after ${load.firstOkAfter(o.healMs) - o.healMs} ms`;
    });
    console.log(`${report.join('\n')}\n/check while stale: ${stale}\n${load.summary()}`);

    const totals = load.tally.totals();
    assert.deepEqual(totals.http.lost, { timeout: 0, reset: 0, 'bad-reply': 0 }, 'every HTTP announce answered');
    assert.deepEqual(totals.udp.lost, { timeout: 0, reset: 0, 'bad-reply': 0 }, 'every UDP announce answered');
    assert.deepEqual(unexpectedFailures(load, [UNAVAILABLE]), {}, `no failure text but \`${UNAVAILABLE}\``);
    assertNoWrongAnswer(load);
    assert.match(stale, /^jwk set stale: last good fetch \S+ ago \(last error: .+\)$/);
    for (const o of outages) {
      const expiry = o.lastGoodMs + USABLE_MS;
      const early = incidents.filter((i) => i.atMs >= o.startMs && i.atMs < expiry - EARLY_MS);
      assert.deepEqual(early, [], `${o.kind}: announces keep verifying with the last good set until interval + TTL`);
      const first = firstAfter(o.startMs, (i) => i.what === UNAVAILABLE);
      assert.ok(first !== undefined && first.atMs <= expiry + LATE_MS, `${o.kind}: fails closed by interval + TTL (first refusal at ${first?.atMs} ms, expiry ${expiry} ms)`);
      for (const p of ['http', 'udp'] as const) {
        assert.ok(firstAfter(o.startMs, (i) => i.what === UNAVAILABLE && i.proto === p) !== undefined, `${o.kind}: ${p} announces refused too`);
      }
      assert.ok(o.check503Ms >= expiry - EARLY_MS && o.check503Ms <= expiry + LATE_MS, `${o.kind}: /check 503 at expiry (${o.check503Ms} ms, expiry ${expiry} ms)`);
      assert.equal(load.okBetween(first!.atMs + 300, o.healMs), 0, `${o.kind}: no announce admitted while the set is expired`);
      assert.ok(o.check200Ms - o.healMs <= INTERVAL_MS + 500, `${o.kind}: /check 200 within one interval of healing (${o.check200Ms - o.healMs} ms)`);
      assert.ok(load.firstOkAfter(o.healMs) - o.healMs <= INTERVAL_MS + 500, `${o.kind}: announces admitted again within one interval of healing`);
    }
    assert.ok(load.okBetween(outages[1]!.check200Ms + 200, stopMs) > 0, 'announces admitted at the end');
    await assertNoPeerLost(t.httpUrl, pool);
  });
});
