// End-to-end JwtAuthorizer tests: a real piscina pool, a local JWK-set server in Quay's shape, tokens
// minted the way Quay mints them (RS256, kid, iss/aud/infohash, no exp).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, type KeyObject } from 'node:crypto';
import {
  JWT_BUSY, JWT_INVALID, JWT_MISSING, JWT_OK, JWT_PENDING, JWT_UNAVAILABLE, jwtFailureReason,
} from '../../../src/auth/jwt/index.js';
import {
  AUDIENCE, Harness, hashOf, hexOf, JwksServer, makeKey, mintQuay, TEST_HEX, waitFor, type TestKey,
} from '../../helpers/jwt-fixtures.js';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('JwtAuthorizer with a Quay-shaped key set', () => {
  let server: JwksServer;
  let h: Harness;
  let k1: TestKey; // published
  let k2: TestKey; // published
  let rogue: TestKey; // never published
  const tokens: string[] = [];
  const mint = async (key: TestKey, opts?: Parameters<typeof mintQuay>[1]): Promise<string> => {
    const t = await mintQuay(key, opts);
    tokens.push(t);
    return t;
  };

  before(async () => {
    [k1, k2, rogue] = await Promise.all([makeKey('k1'), makeKey('k2'), makeKey('rogue')]);
    server = await new JwksServer().listen();
    server.keys = [k1.jwk, k2.jwk];
    h = new Harness({ jwkSetURI: server.url });
    await h.auth.start();
  });

  after(async () => {
    await h.auth.close();
    await server.close();
    // Whatever was refused or accepted, no log line may carry a token (or its signature).
    for (const t of tokens) {
      const sig = t.split('.')[2]!;
      for (const line of h.logs) {
        assert.ok(!line.includes(t) && (sig.length < 16 || !line.includes(sig)), `token leaked into log: ${line}`);
      }
    }
  });

  test('failure texts are the ones Quay looks for', () => {
    assert.equal(jwtFailureReason(JWT_MISSING), 'unapproved request: missing jwt');
    assert.equal(jwtFailureReason(JWT_INVALID), 'unapproved request: invalid jwt');
    assert.match(jwtFailureReason(JWT_UNAVAILABLE), /^unapproved request: /);
    assert.match(jwtFailureReason(JWT_BUSY), /busy/);
    assert.equal(jwtFailureReason(JWT_OK), '');
  });

  test('a valid Quay token is accepted, then answered synchronously from the cache', async () => {
    const t = await mint(k1);
    const first = h.send(t);
    assert.equal(first.code, JWT_PENDING);
    assert.equal(await first.verdict, JWT_OK);
    const before = h.auth.counters.verifications;
    assert.equal(h.send(t).code, JWT_OK);
    assert.equal(h.auth.counters.verifications, before, 'no second verification');
  });

  test('the same token for another infohash is refused (screened when cold, cached once verified)', async () => {
    const t = await mint(k1, { infohash: hexOf(hashOf('torrent A')) });
    const verifications = h.auth.counters.verifications;
    // Cold, for B: its claim names A, so no signature can make it admit B: refused without RSA work.
    assert.equal(h.send(t, hashOf('torrent B')).code, JWT_INVALID);
    assert.equal(h.auth.counters.verifications, verifications, 'screened: no verification');
    assert.equal(await h.ask(t, hashOf('torrent A')), JWT_OK); // cold for A: verified
    assert.equal(h.send(t, hashOf('torrent A')).code, JWT_OK); // the verdict was cached for A
    assert.equal(h.send(t, hashOf('torrent B')).code, JWT_INVALID); // and B stays refused
    assert.ok(h.logs.some((l) => l.includes(hexOf(hashOf('torrent B'))) && l.includes('infohash')));
  });

  test('missing jwt', async () => {
    assert.equal(h.send(null).code, JWT_MISSING);
    assert.equal(h.send('').code, JWT_MISSING);
  });

  test('garbage is refused without a worker; well-formed garbage by the worker', async () => {
    assert.equal(h.send('not a jwt').code, JWT_INVALID);
    assert.equal(h.send('a.b').code, JWT_INVALID);
    assert.equal(h.send('a.b.c.d').code, JWT_INVALID);
    assert.equal(await h.ask('eyJhbGciOiJSUzI1NiJ9.e30.AAAA'), JWT_INVALID); // header without kid, bad sig
    assert.equal(await h.ask('Zm9v.YmFy.YmF6'), JWT_INVALID); // not JSON
  });

  test('an altered signature is refused', async () => {
    const t = await mint(k1, { infohash: hexOf(hashOf('altered')) });
    const [hd, pl, sig] = t.split('.') as [string, string, string];
    const mid = sig.length >> 1;
    const flipped = sig.slice(0, mid) + (sig[mid] === 'A' ? 'B' : 'A') + sig.slice(mid + 1);
    assert.equal(await h.ask(`${hd}.${pl}.${flipped}`, hashOf('altered')), JWT_INVALID);
    assert.ok(h.logs.at(-1)!.includes('signature'));
    // and the payload swapped under a valid signature
    const other = `${hd}.${b64({ iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX })}.${sig}`;
    assert.equal(await h.ask(other), JWT_INVALID);
  });

  test('signed by another key under a published kid is refused', async () => {
    const t = await mint(rogue, { kid: 'k1' });
    assert.equal(await h.ask(t), JWT_INVALID);
    assert.match(h.logs.at(-1)!, /signature/);
  });

  test('an unknown kid is refused', async () => {
    const t = await mint(rogue);
    assert.equal(await h.ask(t), JWT_INVALID);
    assert.match(h.logs.at(-1)!, /: kid \(kid "rogue" is not in the key set\)/);
    assert.match(h.logs.at(-1)!, new RegExp(TEST_HEX));
  });

  test('no kid: each key is tried', async () => {
    assert.equal(await h.ask(await mint(k2, { kid: null, infohash: hexOf(hashOf('nokid')) }), hashOf('nokid')), JWT_OK);
    assert.equal(await h.ask(await mint(rogue, { kid: null, infohash: hexOf(hashOf('nokid2')) }), hashOf('nokid2')), JWT_INVALID);
  });

  test('audience: wrong is refused, an array containing it is accepted, absent is refused', async () => {
    assert.equal(await h.ask(await mint(k1, { aud: 'http://elsewhere/announce' })), JWT_INVALID);
    assert.match(h.logs.at(-1)!, /: aud/);
    assert.equal(await h.ask(await mint(k1, { aud: ['x', AUDIENCE] })), JWT_OK);
    assert.equal(await h.ask(await mint(k1, { aud: ['x', 'y'] })), JWT_INVALID);
    assert.equal(await h.ask(await mint(k1, { aud: 7 })), JWT_INVALID);
  });

  test('infohash claim forms: uppercase hex, raw bytes, URL-escaped bytes', async () => {
    const ih = hashOf('forms');
    assert.equal(await h.ask(await mint(k1, { infohash: hexOf(ih).toUpperCase() }), ih), JWT_OK);
    assert.equal(await h.ask(await mint(k1, { infohash: Buffer.from(ih).toString('latin1') }), ih), JWT_OK);
    let escaped = '';
    for (const b of ih) escaped += '%' + b.toString(16).padStart(2, '0');
    assert.equal(await h.ask(await mint(k1, { infohash: escaped }), ih), JWT_OK);
    assert.equal(await h.ask(await mint(k1, { infohash: 'nothex'.repeat(5) }), ih), JWT_INVALID);
    assert.equal(await h.ask(await mint(k1, { claims: { infohash: undefined } }), ih), JWT_INVALID);
  });

  test('exp and nbf are honoured when present (30 s tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal(await h.ask(await mint(k1, { claims: { exp: now - 3600 } })), JWT_INVALID);
    assert.match(h.logs.at(-1)!, /: exp/);
    assert.equal(await h.ask(await mint(k1, { claims: { exp: now - 5 } })), JWT_OK); // within tolerance
    assert.equal(await h.ask(await mint(k1, { claims: { exp: now + 3600 } })), JWT_OK);
    assert.equal(await h.ask(await mint(k1, { claims: { nbf: now + 3600 } })), JWT_INVALID);
    assert.match(h.logs.at(-1)!, /: nbf/);
    assert.equal(await h.ask(await mint(k1, { claims: { nbf: now + 5 } })), JWT_OK);
    assert.equal(await h.ask(await mint(k1, { claims: { exp: 'tomorrow' } })), JWT_INVALID);
  });

  test('a cached positive verdict expires at the token exp', async () => {
    const exp = Math.floor(Date.now() / 1000) - 29; // valid for ~1 s more within the 30 s tolerance
    const t = await mint(k1, { infohash: hexOf(hashOf('short')), claims: { exp } });
    assert.equal(await h.ask(t, hashOf('short')), JWT_OK);
    // + 100 ms: the authorizer's default clock is coarse (50 ms resolution).
    await waitFor(() => Date.now() >= (exp + 30) * 1000 + 100, 3000, 'exp + tolerance');
    const r = h.send(t, hashOf('short'));
    assert.equal(r.code, JWT_PENDING, 'entry expired, so the token is verified again');
    assert.equal(await r.verdict, JWT_INVALID);
  });

  test('alg none is refused', async () => {
    const none = `${b64({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${b64({ iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX })}.`;
    assert.equal(await h.ask(none), JWT_INVALID);
    assert.match(h.logs.at(-1)!, /: alg/);
    const noneNoKid = `${b64({ alg: 'none' })}.${b64({ iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX })}.`;
    assert.equal(await h.ask(noneNoKid), JWT_INVALID);
  });

  test('HS256 keyed with the public key (PEM or JWK bytes) is refused', async () => {
    const signingInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64({ iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX })}`;
    const pem = (k1.publicKey as KeyObject).export({ type: 'spki', format: 'pem' });
    for (const secret of [pem, JSON.stringify(k1.jwk), k1.jwk.n!]) {
      const sig = createHmac('sha256', secret).update(signingInput).digest('base64url');
      assert.equal(await h.ask(`${signingInput}.${sig}`), JWT_INVALID);
      assert.match(h.logs.at(-1)!, /: alg \(alg "HS256" is not accepted\)/);
    }
  });

  test('an algorithm the key does not allow is refused (RS512 with an alg-less key = RS256 only)', async () => {
    const { SignJWT } = await import('jose');
    const t = await new SignJWT({ iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX })
      .setProtectedHeader({ alg: 'RS512', kid: 'k1' }).sign(k1.privateKey);
    tokens.push(t);
    assert.equal(await h.ask(t), JWT_INVALID);
    assert.match(h.logs.at(-1)!, /: alg/);
  });

  test('identical concurrent cold tokens share one verification', async () => {
    const ih = hashOf('coalesce');
    const t = await mint(k1, { infohash: hexOf(ih) });
    const before = h.auth.counters.verifications;
    const sent = [h.send(t, ih), h.send(t, ih), h.send(t, hashOf('other')), h.send(t, ih)];
    // The one for another torrent is screened at once (its claim names `ih`); the rest share one.
    assert.deepEqual(sent.map((s) => s.code), [JWT_PENDING, JWT_PENDING, JWT_INVALID, JWT_PENDING]);
    const verdicts = await Promise.all([0, 1, 3].map((i) => sent[i]!.verdict!));
    assert.deepEqual(verdicts, [JWT_OK, JWT_OK, JWT_OK]);
    assert.equal(h.auth.counters.verifications, before + 1);
  });

  test('new tokens of one event-loop turn travel to the worker in one batch', async () => {
    const hashes = Array.from({ length: 10 }, (_, i) => hashOf(`batch ${i}`));
    const toks = await Promise.all(hashes.map((ih) => mint(k1, { infohash: hexOf(ih) })));
    const batches = h.auth.counters.batches;
    const sent = toks.map((t, i) => h.send(t, hashes[i]));
    assert.ok(sent.every((s) => s.code === JWT_PENDING));
    assert.deepEqual(await Promise.all(sent.map((s) => s.verdict!)), toks.map(() => JWT_OK));
    assert.equal(h.auth.counters.batches, batches + 1);
  });

  test('a refused token is cached briefly: a flood costs no further verification', async () => {
    const t = await mint(rogue, { kid: 'k2' });
    assert.equal(await h.ask(t), JWT_INVALID);
    const before = h.auth.counters.verifications;
    for (let i = 0; i < 100; i++) assert.equal(h.send(t).code, JWT_INVALID);
    assert.equal(h.auth.counters.verifications, before);
  });

  test('health is ok while the key set is fresh', () => {
    assert.deepEqual(h.auth.health(Date.now()), { ok: true });
    assert.equal(h.auth.keySetVersion, 1);
  });
});

describe('JwtAuthorizer issuer rules', () => {
  test('iss is checked against the JWK set `issuer`, and jwtIssuer overrides it', async () => {
    const key = await makeKey('iss-key');
    const server = await new JwksServer().listen();
    server.keys = [key.jwk];
    server.issuer = 'quay';
    const fromSet = new Harness({ jwkSetURI: server.url });
    const configured = new Harness({ jwkSetURI: server.url, jwtIssuer: 'registry' });
    try {
      await Promise.all([fromSet.auth.start(), configured.auth.start()]);
      const quay = await mintQuay(key);
      const other = await mintQuay(key, { iss: 'someone-else' });
      const registry = await mintQuay(key, { iss: 'registry' });
      assert.equal(await fromSet.ask(quay), JWT_OK);
      assert.equal(await fromSet.ask(other), JWT_INVALID);
      assert.match(fromSet.logs.at(-1)!, /: iss/);
      assert.equal(await configured.ask(quay), JWT_INVALID);
      assert.equal(await configured.ask(registry), JWT_OK);
    } finally {
      await Promise.all([fromSet.auth.close(), configured.auth.close()]);
      await server.close();
    }
  });

  test('without issuer anywhere, any iss is accepted (Quay publishes no issuer)', async () => {
    const key = await makeKey('noiss');
    const server = await new JwksServer().listen();
    server.keys = [key.jwk];
    const h = new Harness({ jwkSetURI: server.url });
    try {
      await h.auth.start();
      assert.equal(await h.ask(await mintQuay(key, { iss: 'anything' })), JWT_OK);
    } finally {
      await h.auth.close();
      await server.close();
    }
  });
});

describe('JwtAuthorizer key rotation and outages', () => {
  test('a new key is accepted after a refresh; a removed key is refused', async () => {
    const [oldKey, newKey] = await Promise.all([makeKey('2024-old'), makeKey('2024-new')]);
    const server = await new JwksServer().listen();
    server.keys = [oldKey.jwk];
    const h = new Harness({ jwkSetURI: server.url, jwkUpdateIntervalMs: 40, jwkTTLMs: 1000, jwkOnDemandGapMs: 60_000 });
    try {
      await h.auth.start();
      const oldTok = await mintQuay(oldKey);
      const newTok = await mintQuay(newKey);
      assert.equal(await h.ask(oldTok), JWT_OK);
      assert.equal(await h.ask(newTok), JWT_INVALID); // not published yet

      server.keys = [oldKey.jwk, newKey.jwk];
      await waitFor(() => h.auth.keySetVersion === 2, 2000, 'key set version 2');
      assert.equal(await h.ask(newTok), JWT_OK, 'the negative verdict was dropped with the old key set');
      assert.equal(h.send(oldTok).code, JWT_PENDING, 'cache dropped on version change');

      server.keys = [newKey.jwk];
      await waitFor(() => h.auth.keySetVersion === 3, 2000, 'key set version 3');
      assert.equal(await h.ask(oldTok), JWT_INVALID, 'removed key no longer verifies');
      assert.equal(await h.ask(newTok), JWT_OK);
    } finally {
      await h.auth.close();
      await server.close();
    }
  });

  test('an unknown kid triggers an early (rate-limited) refresh', async () => {
    const [a, b] = await Promise.all([makeKey('a'), makeKey('b')]);
    const server = await new JwksServer().listen();
    server.keys = [a.jwk];
    const h = new Harness({ jwkSetURI: server.url, jwkUpdateIntervalMs: 60_000, jwkOnDemandGapMs: 0 });
    try {
      await h.auth.start();
      server.keys = [a.jwk, b.jwk];
      const tok = await mintQuay(b);
      assert.equal(await h.ask(tok), JWT_INVALID); // unknown now, but asks for a refresh
      await waitFor(() => h.auth.keySetVersion === 2, 2000, 'early refresh');
      assert.equal(await h.ask(tok), JWT_OK);
    } finally {
      await h.auth.close();
      await server.close();
    }
  });

  test('key-set server down: served until jwkTTL, then fail closed, then recovery', async () => {
    const key = await makeKey('k');
    const server = await new JwksServer().listen();
    server.keys = [key.jwk];
    const intervalMs = 30;
    const ttlMs = 150;
    const h = new Harness({ jwkSetURI: server.url, jwkUpdateIntervalMs: intervalMs, jwkTTLMs: ttlMs, jwkRetryMinMs: 10 });
    try {
      await h.auth.start();
      const tok = await mintQuay(key);
      assert.equal(await h.ask(tok), JWT_OK);

      server.mode = 'reset';
      const downAt = Date.now();
      const seen = server.requests;
      await waitFor(() => server.requests > seen + 1, 2000, 'failed refreshes');
      assert.equal(h.send(tok).code, JWT_OK, 'last good set still served');
      assert.deepEqual(h.auth.health(Date.now()), { ok: true });

      await waitFor(() => h.send(tok).code === JWT_UNAVAILABLE, 3000, 'fail closed');
      // The default clock has 50 ms resolution, so "at least jwkTTL" holds to within that.
      assert.ok(Date.now() - downAt >= ttlMs - 60, `served for about jwkTTL at least (${Date.now() - downAt} ms)`);
      assert.equal(jwtFailureReason(JWT_UNAVAILABLE), 'unapproved request: jwt keys unavailable');
      const health = h.auth.health(Date.now());
      assert.equal(health.ok, false);
      assert.match((health as { reason: string }).reason, /^jwk set stale: last good fetch \S+ ago/);
      assert.equal(h.send(null).code, JWT_MISSING, 'missing is still reported as missing');

      server.mode = 'ok';
      await waitFor(() => h.auth.health(Date.now()).ok, 2000, 'recovery');
      assert.equal(h.send(tok).code, JWT_OK, 'same key set: cached verdict survives');
    } finally {
      await h.auth.close();
      await server.close();
    }
  });

  test('never fetched: every announce fails closed and health says why', async () => {
    const server = await new JwksServer().listen();
    server.mode = 'status500';
    const key = await makeKey('k');
    const h = new Harness({ jwkSetURI: server.url, jwkUpdateIntervalMs: 1000, jwkRetryMinMs: 20 });
    try {
      await h.auth.start();
      assert.equal(h.send(await mintQuay(key)).code, JWT_UNAVAILABLE);
      const health = h.auth.health(Date.now());
      assert.equal(health.ok, false);
      assert.match((health as { reason: string }).reason, /^jwk set never fetched \(last error: HTTP status 500\)/);
      server.keys = [key.jwk];
      server.mode = 'ok';
      await waitFor(() => h.auth.health(Date.now()).ok, 2000, 'first good fetch after retries');
      assert.equal(await h.ask(await mintQuay(key)), JWT_OK);
    } finally {
      await h.auth.close();
      await server.close();
    }
  });
});

describe('JwtAuthorizer back-pressure', () => {
  test('a full verification queue answers JWT_BUSY instead of growing', async () => {
    const key = await makeKey('k');
    const server = await new JwksServer().listen();
    server.keys = [key.jwk];
    const h = new Harness({ jwkSetURI: server.url, jwtWorkers: 1, maxQueue: 1 });
    try {
      await h.auth.start();
      const hashes = [0, 1, 2, 3, 4].map((i) => hashOf(`busy ${i}`));
      const toks = await Promise.all(hashes.map((ih) => mintQuay(key, { infohash: hexOf(ih) })));
      const sent = toks.map((t, i) => h.send(t, hashes[i]));
      assert.deepEqual(sent.map((s) => s.code), [JWT_PENDING, JWT_PENDING, JWT_BUSY, JWT_BUSY, JWT_BUSY]);
      assert.deepEqual(await Promise.all([sent[0]!.verdict, sent[1]!.verdict]), [JWT_OK, JWT_OK]);
      assert.equal(h.auth.counters.busy, 3);
      // Capacity is back once they finish.
      assert.equal(await h.ask(toks[2]!, hashes[2]), JWT_OK);
    } finally {
      await h.auth.close();
      await server.close();
    }
  });

  test('close() answers pending verifications with JWT_UNAVAILABLE', async () => {
    const key = await makeKey('k');
    const server = await new JwksServer().listen();
    server.keys = [key.jwk];
    const h = new Harness({ jwkSetURI: server.url });
    await h.auth.start();
    const r = h.send(await mintQuay(key));
    assert.equal(r.code, JWT_PENDING);
    await h.auth.close();
    await server.close();
    assert.equal(await r.verdict, JWT_UNAVAILABLE);
    assert.equal(h.send(await mintQuay(key)).code, JWT_UNAVAILABLE);
  });
});
