// JWT end to end (issue: Quay tokens): a local JWK-set server in Quay's shape, tokens minted as Quay
// mints them, announces over real HTTP and UDP (BEP 41), the key set failing and recovering.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { Log } from '../../src/util/log.js';
import { Tracker } from '../../src/tracker.js';
import { AUDIENCE, hashOf, hexOf, JwksServer, makeKey, mintQuay, TEST_HASH, waitFor, type TestKey } from '../helpers/jwt-fixtures.js';
import { announceUrl, failureOf, get, scrapeUrl, testConfig, THREAD_LAYOUTS } from '../helpers/tracker.js';

const QUAY_PEER_ID = Buffer.from('-QUAY00-6wfG2wk6wWLc');

interface Running { tracker: Tracker; http: string; api: string; udpPort: number; logs: string[] }

async function start(jwks: JwksServer, over: Partial<Config>): Promise<Running> {
  const logs: string[] = [];
  const config: Config = { ...testConfig({ udpListenAddr: '127.0.0.1:0' }), jwkSetURI: jwks.url, jwtAudience: AUDIENCE, ...over };
  const tracker = await Tracker.start(config, new Log(3, (line) => { logs.push(line); }));
  return { tracker, http: `http://127.0.0.1:${tracker.ports.http}`, api: `http://127.0.0.1:${tracker.ports.api}`, udpPort: tracker.ports.udp!, logs };
}

/** Quay's config validator request, exactly (docs/compatibility.md). */
function validatorUrl(r: Running, jwt?: string): string {
  const params: Record<string, string | number | Buffer> = {
    info_hash: Buffer.from(TEST_HASH), peer_id: QUAY_PEER_ID, port: 80, uploaded: 0, downloaded: 0, left: 0, numwant: 0,
  };
  if (jwt !== undefined) params.jwt = jwt;
  return announceUrl(r.http, params);
}

async function announceBody(url: string): Promise<string> {
  const res = await get(url);
  assert.equal(res.status, 200);
  return res.body.toString('latin1');
}

/** One BEP 15 connect + announce with the URL data split into chunks of at most `chunk` bytes. */
async function udpAnnounce(port: number, infoHash: Uint8Array, urlData: string, chunk = 255): Promise<Buffer> {
  const sock: Socket = createSocket('udp4');
  const exchange = (pkt: Buffer): Promise<Buffer> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP reply within 3 s')), 3000);
    sock.once('message', (m) => { clearTimeout(timer); resolve(m); });
    sock.send(pkt, port, '127.0.0.1');
  });
  try {
    const c = Buffer.alloc(16);
    c.writeUInt32BE(0x417, 0); c.writeUInt32BE(0x27101980, 4); c.writeUInt32BE(0, 8); c.writeUInt32BE(1, 12);
    const conn = await exchange(c);
    const opts: Buffer[] = [];
    const data = Buffer.from(urlData, 'latin1');
    for (let i = 0; i < data.length; i += chunk) {
      const part = data.subarray(i, i + chunk);
      opts.push(Buffer.from([2, part.length]), part);
    }
    opts.push(Buffer.from([0]));
    const a = Buffer.concat([Buffer.alloc(98), ...opts]);
    conn.copy(a, 0, 8, 16);
    a.writeUInt32BE(1, 8); a.writeUInt32BE(2, 12);
    Buffer.from(infoHash).copy(a, 16);
    Buffer.from('-QU0100-udpjwttest01').copy(a, 36);
    a.writeInt32BE(-1, 92); a.writeUInt16BE(6881, 96);
    return await exchange(a);
  } finally {
    sock.close();
  }
}

for (const { ioThreads, workers, label } of THREAD_LAYOUTS.filter((l) => !l.cluster)) {
  describe(`JWT over HTTP and UDP (${label})`, () => {
    let jwks: JwksServer;
    let key: TestKey;
    let r: Running;
    before(async () => {
      key = await makeKey('quay-1');
      jwks = await new JwksServer().listen();
      jwks.keys = [key.jwk];
      r = await start(jwks, { ioThreads, workers, torrentMapShards: 4 });
    });
    after(async () => {
      await r.tracker.stop();
      await jwks.close();
    });

    test("Quay's config validator request passes", async () => {
      const body = await announceBody(validatorUrl(r, await mintQuay(key)));
      for (const bad of ['failure reason', 'invalid jwt', 'go_goroutines']) assert.equal(body.includes(bad), false, body);
      assert.match(body, /^d8:completei1e/);
    });

    test('a re-announce with the same token is answered from the verdict cache', async () => {
      const token = await mintQuay(key);
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, token)), 'latin1')), null);
      // Every I/O thread's cache learns each verdict, whichever thread the next connection lands on.
      const hits = r.tracker.requestTotals().jwtCacheHits;
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, token)), 'latin1')), null);
      assert.equal(r.tracker.requestTotals().jwtCacheHits, hits + 1);
    });

    test('concurrent cold tokens for different torrents are each checked against their own infohash', async () => {
      const hashes = Array.from({ length: 12 }, (_, i) => hashOf(`concurrent-${i}`));
      const tokens = await Promise.all(hashes.map((h) => mintQuay(key, { infohash: hexOf(h) })));
      const bodies = await Promise.all(hashes.map((h, i) => announceBody(announceUrl(r.http, {
        info_hash: Buffer.from(h), peer_id: QUAY_PEER_ID, port: 80, uploaded: 0, downloaded: 0, left: 0, numwant: 0, jwt: tokens[i]!,
      }))));
      for (const b of bodies) assert.equal(failureOf(Buffer.from(b, 'latin1')), null, b);
    });

    test('missing, garbage, wrong infohash, wrong audience, foreign key: refused with the contract texts', async () => {
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r)), 'latin1')), 'unapproved request: missing jwt');
      const other = await makeKey('quay-1'); // same kid, another key: signature mismatch
      const cases = ['garbage', await mintQuay(key, { infohash: hexOf(hashOf('other')) }), await mintQuay(key, { aud: 'http://elsewhere/announce' }), await mintQuay(other)];
      for (const token of cases) {
        assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, token)), 'latin1')), 'unapproved request: invalid jwt');
      }
    });

    test('scrape needs no token', async () => {
      const res = await get(scrapeUrl(r.http, [Buffer.from(TEST_HASH)]));
      assert.equal(res.status, 200);
      assert.equal(failureOf(res.body), null);
      assert.match(res.body.toString('latin1'), /^d5:filesd20:/);
    });

    test('UDP: a token spread over several BEP 41 chunks is accepted; none is refused', async () => {
      const ih = hashOf('udp-jwt');
      const token = await mintQuay(key, { infohash: hexOf(ih) });
      const ok = await udpAnnounce(r.udpPort, ih, `/announce?jwt=${token}`, 200);
      assert.equal(ok.readUInt32BE(0), 1, `announce reply, got action ${ok.readUInt32BE(0)}: ${ok.subarray(8).toString()}`);
      const missing = await udpAnnounce(r.udpPort, ih, '/announce?x=1');
      assert.equal(missing.readUInt32BE(0), 3);
      assert.equal(missing.subarray(8).toString(), 'unapproved request: missing jwt');
      const wrong = await udpAnnounce(r.udpPort, ih, `/announce?jwt=${await mintQuay(key)}`);
      assert.equal(wrong.subarray(8).toString(), 'unapproved request: invalid jwt');
    });

    test('the log says which check failed and never prints a token', async () => {
      const token = await mintQuay(key, { aud: 'http://elsewhere/announce' });
      await announceBody(validatorUrl(r, token));
      await waitFor(() => r.logs.some((l) => l.includes('jwt')), 2000, 'a jwt log line');
      for (const line of r.logs) assert.equal(line.includes(token.split('.')[2]!), false, `token leaked: ${line}`);
      assert.ok(r.logs.some((l) => /aud/.test(l) && l.includes(hexOf(TEST_HASH))), r.logs.join(''));
    });
  });
}

describe('JWK set failing and recovering; key rotation', () => {
  test('served until jwkTTL, then refused with /check 503, then recovered; rotated keys follow the set', async () => {
    const k1 = await makeKey('k1');
    const k2 = await makeKey('k2');
    const jwks = await new JwksServer().listen();
    jwks.keys = [k1.jwk];
    const r = await start(jwks, { jwkUpdateIntervalMs: 100, jwkTTLMs: 300 });
    try {
      const t1 = await mintQuay(k1);
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, t1)), 'latin1')), null);
      assert.equal((await get(`${r.api}/check`)).body.toString(), 'STILL-ALIVE');

      jwks.mode = 'status500';
      const fresh = await mintQuay(k1, { claims: { n: 1 } });
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, fresh)), 'latin1')), null, 'still served within jwkTTL');
      let check = await get(`${r.api}/check`);
      for (let i = 0; i < 100 && check.status === 200; i++) {
        await new Promise((res) => setTimeout(res, 20));
        check = await get(`${r.api}/check`);
      }
      assert.equal(check.status, 503);
      assert.match(check.body.toString(), /jwk/i);
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, await mintQuay(k1, { claims: { n: 2 } }))), 'latin1')),
        'unapproved request: jwt keys unavailable');

      jwks.mode = 'ok';
      jwks.keys = [k2.jwk]; // rotation: k1 removed, k2 added
      for (let i = 0; i < 100 && check.status !== 200; i++) {
        await new Promise((res) => setTimeout(res, 20));
        check = await get(`${r.api}/check`);
      }
      assert.equal(check.status, 200);
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, await mintQuay(k2))), 'latin1')), null, 'the new key verifies');
      assert.equal(failureOf(Buffer.from(await announceBody(validatorUrl(r, t1)), 'latin1')), 'unapproved request: invalid jwt', 'the removed key no longer does');
    } finally {
      await r.tracker.stop();
      await jwks.close();
    }
  });
});
