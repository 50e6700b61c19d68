// JwkSetSource and the JWK set parser: Quay's shape, what is skipped, what keeps the last good set,
// versions, staleness (with an injected clock) and health texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwkSetSource, type JwkSetSourceOptions } from '../../../src/auth/jwt/jwk-set.js';
import { parseJwkSet } from '../../../src/auth/jwt/jwk-parse.js';
import { JwksServer, makeKey, waitFor } from '../../helpers/jwt-fixtures.js';

// Keys leave generateKeyPairSync as PEM and are exported as JWK from a KeyObject of their own: on
// Node 20, a GC during export({ format: 'jwk' }) of a key generateKeyPairSync returned as a KeyObject
// can run the generation job's destructor, which waits on the mutex the export holds: the test file
// then hung before its first test (seen in about 1 run in 15, main thread in futex_wait).
const pair = (bits: number) => generateKeyPairSync('rsa', {
  modulusLength: bits,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const rsa = (bits: number, kid: string): Record<string, unknown> =>
  ({ ...createPublicKey(pair(bits).publicKey).export({ format: 'jwk' }), kid });
const K1 = rsa(2048, 'k1');
const K2 = rsa(2048, 'k2');

test('parse: Quay\'s document gives one RS256-only key and no issuer', () => {
  const p = parseJwkSet(JSON.stringify({ keys: [K1] }));
  assert.ok(!('error' in p));
  assert.equal(p.keys.length, 1);
  assert.equal(p.keys[0]!.kid, 'k1');
  assert.equal(p.keys[0]!.alg, undefined);
  assert.equal(p.issuer, '');
  assert.deepEqual(p.skipped, []);
});

test('parse: issuer member, explicit alg, and what is skipped', () => {
  const priv = { ...createPrivateKey(pair(2048).privateKey).export({ format: 'jwk' }), kid: 'with-private-parts' };
  const p = parseJwkSet(JSON.stringify({
    issuer: 'quay',
    keys: [
      { ...K1, alg: 'PS256', use: 'sig' },
      { ...K2, use: 'enc' },
      { ...K2, alg: 'HS256' },
      { ...K2, key_ops: ['encrypt'] },
      { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', kid: 'ec' },
      { kty: 'oct', k: 'c2VjcmV0' },
      rsa(1024, 'short'),
      { kty: 'RSA', n: '!!', e: 'AQAB' },
      'nonsense',
      priv,
    ],
  }));
  assert.ok(!('error' in p));
  assert.deepEqual(p.keys.map((k) => [k.kid, k.alg]), [['k1', 'PS256'], ['with-private-parts', undefined]]);
  assert.equal(p.issuer, 'quay');
  assert.equal(p.skipped.length, 8);
  assert.ok(p.skipped.some((s) => s.includes('1024 bits')));
  assert.ok(!p.text.includes('"d"') && !p.text.includes('"use"'), 'only public members reach workers');
});

test('parse: documents with no usable key are errors', () => {
  for (const body of ['', 'nope', '[]', '{}', '{"keys":{}}', '{"keys":[]}', '{"keys":[{"kty":"oct","k":"AA"}]}']) {
    assert.ok('error' in parseJwkSet(body), body);
  }
});

type Scripted = (signal: AbortSignal) => Promise<Response>;

/** A source over a scripted fetch and a hand-moved clock; each step() runs exactly one fetch. */
function scripted(opts: Partial<JwkSetSourceOptions> = {}) {
  let now = 1_000_000;
  let calls = 0;
  const queue: Scripted[] = [];
  const source = new JwkSetSource({
    uri: 'http://quay.example/keys/services/quay/keys',
    updateIntervalMs: 5 * 60_000,
    ttlMs: 5 * 60_000,
    onDemandGapMs: 0,
    now: () => now,
    fetch: (async (_url: unknown, init?: RequestInit) => {
      calls++;
      const next = queue.shift();
      if (next === undefined) throw new Error('no scripted response');
      return next(init!.signal!);
    }) as typeof fetch,
    ...opts,
  });
  let started = false;
  return {
    source,
    calls: () => calls,
    advance: (ms: number) => void (now += ms),
    now: () => now,
    async step(r: Scripted): Promise<void> {
      queue.push(r);
      if (!started) {
        started = true;
        await source.start();
        return;
      }
      const p = source.requestRefresh();
      assert.ok(p !== null, 'refresh ran');
      await p;
    },
  };
}
const json = (doc: unknown, status = 200): Scripted => async () => new Response(JSON.stringify(doc), { status });
const text = (body: string, status = 200): Scripted => async () => new Response(body, { status });

test('versions change with content only; bad fetches keep the last good set', async () => {
  const s = scripted();
  try {
    assert.equal(s.source.current(), null);
    assert.deepEqual(s.source.health(s.now()), { ok: false, reason: 'jwk set never fetched' });
    await s.step(json({ keys: [K1] }));
    assert.equal(s.source.version, 1);
    const v1 = s.source.current()!;
    assert.deepEqual(v1.keys.map((k) => k.kid), ['k1']);

    await s.step(json({ keys: [K1] }));
    assert.equal(s.source.version, 1, 'same content, same version');
    assert.equal(s.source.current(), v1);

    for (const bad of [text('not json'), text('{"keys":[]}'), json({ keys: [K2] }, 500), json({ keys: [K2] }, 404),
      async () => { throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') }); }]) {
      await s.step(bad);
      assert.equal(s.source.current(), v1, 'last good set kept');
      assert.deepEqual(s.source.health(s.now()), { ok: true });
    }

    await s.step(json({ keys: [K1, K2] }));
    assert.equal(s.source.version, 2);
    await s.step(json({ keys: [K1, K2], issuer: 'quay' }));
    assert.equal(s.source.version, 3, 'issuer is part of the content');
    assert.equal(s.source.current()!.issuer, 'quay');
    await s.step(json({ keys: [K2] }));
    assert.equal(s.source.version, 4);
    assert.deepEqual(s.source.current()!.keys.map((k) => k.kid), ['k2'], 'removed key is gone');
  } finally {
    s.source.close();
  }
});

test('staleness: usable until interval + TTL after the last good fetch, then health says how old', async () => {
  const s = scripted({ updateIntervalMs: 5 * 60_000, ttlMs: 60_000 });
  try {
    await s.step(json({ keys: [K1] }));
    s.advance(6 * 60_000); // the refresh due at 5m failed; 1m of TTL used
    await s.step(text('', 503));
    assert.notEqual(s.source.current(s.now()), null);
    assert.deepEqual(s.source.health(s.now()), { ok: true });
    s.advance(1); // 6m + 1ms after the last good fetch: past interval + TTL
    assert.equal(s.source.current(s.now()), null);
    assert.deepEqual(s.source.health(s.now()), {
      ok: false, reason: 'jwk set stale: last good fetch 6m ago (last error: HTTP status 503)',
    });
    await s.step(json({ keys: [K1] }));
    assert.notEqual(s.source.current(s.now()), null, 'recovered');
    assert.equal(s.source.version, 1);
  } finally {
    s.source.close();
  }
});

test('never fetched: health carries the last error', async () => {
  const s = scripted();
  try {
    await s.step(async () => { throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND quay') }); });
    assert.deepEqual(s.source.health(s.now()), {
      ok: false, reason: 'jwk set never fetched (last error: fetch failed: getaddrinfo ENOTFOUND quay)',
    });
  } finally {
    s.source.close();
  }
});

test('a hanging fetch is cut off by the timeout', async () => {
  const s = scripted({ timeoutMs: 20 });
  // AbortSignal.timeout() does not keep the process alive; in the tracker the servers do, here this does.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const hang: Scripted = (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const t0 = Date.now();
    await s.step(hang);
    assert.ok(Date.now() - t0 < 1000);
    const h = s.source.health(s.now());
    assert.equal(h.ok, false);
    assert.match((h as { reason: string }).reason, /timeout|aborted/i);
  } finally {
    clearInterval(keepAlive);
    s.source.close();
  }
});

test('a fetch whose promises never settle is abandoned at the deadline all the same', async () => {
  const s = scripted({ timeoutMs: 30 });
  const keepAlive = setInterval(() => {}, 1000);
  try {
    // Deaf to its abort signal: neither the fetch nor the body's read (nor its cancel) ever settles.
    const deaf: Scripted = async () => new Response(new ReadableStream({
      pull: () => new Promise<void>(() => {}),
      cancel: () => new Promise<void>(() => {}),
    }));
    for (const stuck of [(() => new Promise<Response>(() => {})) as Scripted, deaf]) {
      const t0 = Date.now();
      await s.step(stuck);
      assert.ok(Date.now() - t0 < 1000, 'released by the deadline');
      assert.match((s.source.health(s.now()) as { reason: string }).reason, /timeout: no complete response within 30 ms/);
    }
    assert.equal(s.calls(), 2);
  } finally {
    clearInterval(keepAlive);
    s.source.close();
  }
});

test('bodies over maxBodyBytes are refused without being read whole, declared or chunked', async () => {
  const logs: string[] = [];
  const s = scripted({ maxBodyBytes: 1000, log: (_level, msg) => logs.push(msg) });
  try {
    await s.step(json({ keys: [K1] }));
    const v1 = s.source.current();
    let pulled = 0;
    const endless: Scripted = async () => new Response(new ReadableStream({
      pull(c) {
        pulled += 100;
        c.enqueue(new Uint8Array(100).fill(0x20));
      },
    }, { highWaterMark: 0 }));
    await s.step(endless);
    assert.ok(pulled <= 1100, `stopped reading at the limit (${pulled} bytes pulled)`);
    assert.match(logs.at(-1)!, /failed: body exceeds 1000 bytes; keeping the set/);
    await s.step(async () => new Response('x'.repeat(2000), { headers: { 'content-length': '2000' } }));
    assert.match(logs.at(-1)!, /failed: body of 2000 bytes exceeds 1000; keeping the set/);
    assert.equal(s.source.current(), v1, 'last good set kept');
  } finally {
    s.source.close();
  }
});

test('real HTTP: redirects are followed (at most 5), a BOM is tolerated, other schemes are refused', async () => {
  const key = await makeKey('k');
  const doc = JSON.stringify({ keys: [key.jwk] });
  const server = createServer((req, res) => {
    if (req.url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/old') return void res.writeHead(301, { location: '/keys' }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(`\uFEFF${doc}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sources: JwkSetSource[] = [];
  const fetchOnce = async (uri: string): Promise<JwkSetSource> => {
    const source = new JwkSetSource({ uri, updateIntervalMs: 60_000, ttlMs: 60_000 });
    sources.push(source);
    await source.start();
    return source;
  };
  try {
    assert.equal((await fetchOnce(`${base}/old`)).version, 1, 'redirected to the key set');
    assert.deepEqual((await fetchOnce(`${base}/loop`)).health(),
      { ok: false, reason: 'jwk set never fetched (last error: more than 5 redirects)' });
    assert.deepEqual((await fetchOnce('ftp://127.0.0.1/keys')).health(),
      { ok: false, reason: 'jwk set never fetched (last error: unsupported URL scheme ftp:)' });
  } finally {
    for (const source of sources) source.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('on-demand refreshes are rate-limited', async () => {
  const s = scripted({ onDemandGapMs: 30_000 });
  try {
    await s.step(json({ keys: [K1] }));
    assert.equal(s.source.requestRefresh(), null);
    s.advance(30_000);
    const p = s.source.requestRefresh();
    assert.notEqual(p, null);
    assert.equal(s.source.requestRefresh(), null, 'not while one is in flight');
    await p!.catch(() => {});
  } finally {
    s.source.close();
  }
});

test('real HTTP: periodic refresh, then close() stops it', async () => {
  const key = await makeKey('k');
  const server = await new JwksServer().listen();
  server.keys = [key.jwk];
  const source = new JwkSetSource({ uri: server.url, updateIntervalMs: 20, ttlMs: 1000 });
  try {
    await source.start();
    assert.equal(source.version, 1);
    await waitFor(() => server.requests >= 3, 2000, 'periodic refreshes');
    source.close();
    const n = server.requests;
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(server.requests <= n + 1, 'no refresh after close');
  } finally {
    source.close();
    await server.close();
  }
});
