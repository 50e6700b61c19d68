// Micro-benchmark of JWT authorization: cold verifications per second through the piscina pool
// (every token new, jwtWorkers 1 and 2, tokens submitted all at once so they travel in batches), the
// same work inline on one thread and through jose as baselines, the latency of one cold verification
// on an idle pool, and the cost of a cache-hit check() (the per-announce cost once a token is known).
// Run: npm run bench:micro -- jwt-verify (or, compiled: node build/bench/micro/jwt-verify.js [tokens])
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { compactVerify, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { JWT_OK, JWT_PENDING, JwtAuthorizer, type JwtVerdict } from '../../src/auth/jwt/index.js';
import { claimMatches } from '../../src/auth/jwt/infohash-claim.js';
import { parseJwkSet } from '../../src/auth/jwt/jwk-parse.js';
import { verifyToken } from '../../src/auth/jwt/verify-task.js';

const N = Number(process.argv[2] ?? 4000);
const AUD = 'http://tracker.example:6881/announce';

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = await exportJWK(publicKey);
delete jwk.alg;
jwk.kid = 'bench';
const body = JSON.stringify({ keys: [jwk] });
const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys/services/quay/keys`;

process.stdout.write(`minting ${N} Quay-shaped tokens (RS256, 2048-bit)... `);
const hashes: Uint8Array[] = [];
const tokens: string[] = [];
for (let i = 0; i < N; i++) {
  const ih = new Uint8Array(createHash('sha1').update(randomBytes(8)).digest());
  hashes.push(ih);
  tokens.push(await new SignJWT({ iss: 'quay', aud: AUD, infohash: Buffer.from(ih).toString('hex') })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'JWT' }).sign(privateKey));
}
console.log('done');

function makeAuth(workers: number, onVerdict: (id: number, code: JwtVerdict) => void, tasksPerWorker = 2): JwtAuthorizer {
  return new JwtAuthorizer({
    jwkSetURI: uri, jwtAudience: AUD, jwtIssuer: '', jwkUpdateIntervalMs: 3_600_000, jwkTTLMs: 3_600_000,
    jwtWorkers: workers, maxQueue: N, onVerdict, tasksPerWorker,
  });
}

async function coldThroughput(workers: number, tasksPerWorker: number): Promise<number> {
  const WARM = 50; // thread start, jose import and key import stay outside the measurement
  let done = 0;
  let bad = 0;
  let target = WARM;
  let finished!: () => void;
  let batch = new Promise<void>((r) => (finished = r));
  const auth = makeAuth(workers, (_id, code) => {
    if (code !== JWT_OK) bad++;
    if (++done === target) finished();
  }, tasksPerWorker);
  await auth.start();
  for (let i = 0; i < WARM; i++) auth.check(tokens[i]!, hashes[i]!, i);
  await batch;
  target = N;
  batch = new Promise<void>((r) => (finished = r));
  const t0 = performance.now();
  for (let i = WARM; i < N; i++) {
    if (auth.check(tokens[i]!, hashes[i]!, i) !== JWT_PENDING) throw new Error('expected pending');
  }
  await batch;
  const ms = performance.now() - t0;
  await auth.close();
  if (bad) throw new Error(`${bad} tokens refused`);
  return ((N - WARM) / ms) * 1000;
}

async function inlineThroughput(): Promise<number> {
  const set = parseJwkSet(body);
  if ('error' in set) throw new Error(set.error);
  const base = { audience: AUD, issuer: '', jwks: set.text, jwksVersion: 1, clockToleranceSec: 30 };
  await verifyToken({ ...base, token: tokens[0]!, nowSec: Date.now() / 1000 }); // import the key
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await verifyToken({ ...base, token: tokens[i]!, nowSec: Date.now() / 1000 });
    if (!r.ok) throw new Error('refused');
  }
  return (N / (performance.now() - t0)) * 1000;
}

/** What jws-verify.ts replaced: jose's compactVerify (async, via libuv's threadpool), one at a time. */
async function joseThroughput(): Promise<number> {
  await compactVerify(tokens[0]!, publicKey, { algorithms: ['RS256'] });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await compactVerify(tokens[i]!, publicKey, { algorithms: ['RS256'] });
  return (N / (performance.now() - t0)) * 1000;
}

async function idleLatency(samples: number): Promise<{ p50: number; p99: number }> {
  let resolve!: () => void;
  const auth = makeAuth(1, () => resolve());
  await auth.start();
  const lat: number[] = [];
  for (let i = 0; i < samples; i++) {
    const p = new Promise<void>((r) => (resolve = r));
    const t0 = performance.now();
    auth.check(tokens[i]!, hashes[i]!, i);
    await p;
    lat.push(performance.now() - t0);
  }
  await auth.close();
  lat.sort((x, y) => x - y);
  return { p50: lat[Math.floor(samples * 0.5)]!, p99: lat[Math.floor(samples * 0.99)]! };
}

async function cacheHit(): Promise<Record<string, number>> {
  let resolve!: () => void;
  const auth = makeAuth(1, () => resolve());
  await auth.start();
  const K = Math.min(N, 1000); // many distinct cached tokens, as a busy tracker would have
  for (let i = 0; i < K; i++) {
    const p = new Promise<void>((r) => (resolve = r));
    auth.check(tokens[i]!, hashes[i]!, i);
    await p;
  }
  const ITER = 500_000;
  /** Best of 5 runs (the first ones include JIT warm-up; the VM is shared and noisy). */
  const best = (fn: () => void): number => {
    let min = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      fn();
      min = Math.min(min, ((performance.now() - t0) * 1e6) / ITER);
    }
    return min;
  };
  // Copies (not the cached string objects themselves), as a frontend would present them.
  const copies = tokens.slice(0, K).map((t) => Buffer.from(t, 'latin1').toString('latin1'));
  let ok = 0;
  let refused = 0;
  const hit = best(() => {
    for (let i = 0; i < ITER; i++) {
      const j = i % K;
      if (auth.check(copies[j]!, hashes[j]!, i) === JWT_OK) ok++;
    }
  });
  const wrongHash = best(() => {
    for (let i = 0; i < ITER; i++) {
      const j = i % K;
      if (auth.check(copies[j]!, hashes[(j + 1) % K]!, i) !== JWT_OK) refused++;
    }
  });
  // A fresh string per request, as the query decoder produces: cost of decoding alone, then with check().
  const raw = tokens.slice(0, K).map((t) => Buffer.from(t, 'latin1'));
  let sink = 0;
  const decodeOnly = best(() => {
    for (let i = 0; i < ITER; i++) sink += raw[i % K]!.toString('latin1').length;
  });
  const freshHit = best(() => {
    for (let i = 0; i < ITER; i++) {
      const j = i % K;
      if (auth.check(raw[j]!.toString('latin1'), hashes[j]!, i) === JWT_OK) ok++;
    }
  }) - decodeOnly;
  await auth.close();
  if (ok !== 10 * ITER || refused !== 5 * ITER) throw new Error('unexpected cache misses');
  // Baseline that motivated TokenMap: Map<string> with a fresh string per lookup.
  const m = new Map(tokens.slice(0, K).map((t) => [t, 1]));
  const mapFresh = best(() => {
    for (let i = 0; i < ITER; i++) sink += m.get(raw[i % K]!.toString('latin1')) ?? 0;
  }) - decodeOnly;
  const claims = hashes.slice(0, K).map((h) => Buffer.from(h).toString('hex'));
  const claim = best(() => {
    for (let i = 0; i < ITER; i++) if (claimMatches(claims[i % K], hashes[i % K]!)) sink++;
  });
  if (sink === 0) throw new Error('unreachable');
  return { hit, wrongHash, freshHit, mapFresh, claim, decodeOnly };
}

console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${N} tokens`);
console.log(`inline on the main thread (no pool, baseline): ${(await inlineThroughput()).toFixed(0)} verifications/s`);
console.log(`  same with jose compactVerify, sequential:    ${(await joseThroughput()).toFixed(0)} verifications/s`);
for (const w of [1, 2]) {
  for (const tpw of [1, 2]) {
    const rate = await coldThroughput(w, tpw);
    console.log(`pool jwtWorkers=${w} tasksPerWorker=${tpw}, cold tokens: ${rate.toFixed(0)} verifications/s`);
  }
}
const lat = await idleLatency(Math.min(N, 500));
console.log(`one cold verification, idle pool: p50 ${(lat.p50 * 1000).toFixed(0)} µs, p99 ${(lat.p99 * 1000).toFixed(0)} µs`);
const c = await cacheHit();
console.log(`check() cache hit (1000 cached tokens, copies):  ${c.hit!.toFixed(0)} ns`);
console.log(`check() cache hit, fresh token string per call: ${c.freshHit!.toFixed(0)} ns (+ ${c.decodeOnly!.toFixed(0)} ns to make the string)`);
console.log(`  baseline Map<string>.get, fresh string:       ${c.mapFresh!.toFixed(0)} ns`);
console.log(`check() cached token, other infohash (refused):  ${c.wrongHash!.toFixed(0)} ns (logging off)`);
console.log(`claimMatches, hex claim:                        ${c.claim!.toFixed(0)} ns`);
server.close();
