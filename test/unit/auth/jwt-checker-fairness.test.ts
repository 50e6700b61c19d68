// The checker's share per source: an I/O thread's table of tokens waiting for the broker is bounded as
// a whole (maxPending) and per source (maxPendingPerSource), so a few flooding addresses cannot fill it
// and have every new client of that thread refused before the broker's fair queue gets a say.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JwtChecker } from '../../../src/auth/jwt/checker.js';
import { JWT_BUSY, JWT_INVALID, JWT_PENDING, type JwtVerdict } from '../../../src/auth/jwt/codes.js';
import type { VerifyOutcome, VerifyRequest } from '../../../src/auth/jwt/verify-protocol.js';

const AUD = 'http://tracker.example/announce';
const HASH = new Uint8Array(20).fill(7);
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Passes the screen (right audience and infohash), so it must go to the broker; `n` makes it distinct. */
function token(n: number): string {
  return `${b64({ alg: 'RS256', kid: 'k' })}.${b64({ aud: AUD, infohash: Buffer.from(HASH).toString('hex') })}.${Buffer.from(`sig-${n}`).toString('base64url')}`;
}

function checker(maxPending: number, maxPendingPerSource: number): { c: JwtChecker; sent: VerifyRequest[]; verdicts: Map<number, JwtVerdict> } {
  const sent: VerifyRequest[] = [];
  const verdicts = new Map<number, JwtVerdict>();
  const c = new JwtChecker({
    audience: AUD,
    keySet: { usableVersion: () => 1 },
    link: { request: (items) => sent.push(...items) },
    onVerdict: (id, code) => verdicts.set(id, code),
    maxPending, maxPendingPerSource,
    now: () => 1_000_000,
  });
  return { c, sent, verdicts };
}

const refused = (t: string): VerifyOutcome => ({ token: t, asked: 1, version: 1, result: { ok: false, check: 'signature' } });

test('a source past its share is refused; other sources still get in', async () => {
  const { c, sent } = checker(100, 3);
  let id = 0;
  for (let i = 0; i < 3; i++) assert.equal(c.check(token(i), HASH, id++, () => 'flood'), JWT_PENDING);
  assert.equal(c.check(token(3), HASH, id++, () => 'flood'), JWT_BUSY);
  assert.equal(c.check(token(4), HASH, id++, () => 'new-client'), JWT_PENDING);
  assert.equal(c.counters.jwtBusy, 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent.map((s) => s.source), ['flood', 'flood', 'flood', 'new-client']);
});

test('the share is given back when the broker answers', async () => {
  const { c, verdicts } = checker(100, 2);
  assert.equal(c.check(token(0), HASH, 0, () => 'a'), JWT_PENDING);
  assert.equal(c.check(token(1), HASH, 1, () => 'a'), JWT_PENDING);
  assert.equal(c.check(token(2), HASH, 2, () => 'a'), JWT_BUSY);
  c.deliver([refused(token(0))]);
  assert.equal(verdicts.get(0), JWT_INVALID);
  assert.equal(c.check(token(3), HASH, 3, () => 'a'), JWT_PENDING, 'one slot free again');
  assert.equal(c.check(token(4), HASH, 4, () => 'a'), JWT_BUSY);
});

test('requests joining a token already waiting do not use the share again', () => {
  const { c } = checker(100, 1);
  assert.equal(c.check(token(0), HASH, 0, () => 'a'), JWT_PENDING);
  assert.equal(c.check(token(0), HASH, 1, () => 'a'), JWT_PENDING);
  assert.equal(c.counters.jwtCoalesced, 1);
});

test('the whole table is still bounded', () => {
  const { c } = checker(4, 2);
  let id = 0;
  for (const s of ['a', 'a', 'b', 'b']) assert.equal(c.check(token(id), HASH, id++, () => s), JWT_PENDING);
  assert.equal(c.check(token(id), HASH, id++, () => 'c'), JWT_BUSY);
});

test('a flood from a few sources leaves room for new ones (defaults: 1024 in all, 64 per source)', () => {
  const { c } = checker(1024, 64);
  let id = 0;
  let busy = 0;
  for (const s of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) {
    for (let i = 0; i < 500; i++) if (c.check(token(id), HASH, id++, () => s) === JWT_BUSY) busy++;
  }
  assert.equal(busy, 4 * (500 - 64));
  for (let i = 0; i < 100; i++) assert.equal(c.check(token(id), HASH, id++, () => `127.1.0.${i}`), JWT_PENDING);
});
