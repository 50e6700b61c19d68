// The worker's verification function, called in-process (no pool) for precise check names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { parseJwkSet } from '../../../src/auth/jwt/jwk-parse.js';
import type { VerifyResult, VerifyTask } from '../../../src/auth/jwt/messages.js';
import { verifyToken } from '../../../src/auth/jwt/verify-task.js';
import { AUDIENCE, makeKey, mintQuay, TEST_HEX, type TestKey } from '../../helpers/jwt-fixtures.js';

let version = 100;
function setOf(jwks: object[], issuer?: string): { text: string; version: number } {
  const p = parseJwkSet(JSON.stringify(issuer === undefined ? { keys: jwks } : { keys: jwks, issuer }));
  if ('error' in p) throw new Error(p.error);
  return { text: p.text, version: ++version };
}
function task(token: string, set: { text: string; version: number }, over: Partial<VerifyTask> = {}): VerifyTask {
  return {
    token, audience: AUDIENCE, issuer: '', jwks: set.text, jwksVersion: set.version,
    nowSec: Date.now() / 1000, clockToleranceSec: 30, ...over,
  };
}
const checkOf = (r: VerifyResult): string => (r.ok ? 'ok' : r.check);

let a: TestKey;
let b: TestKey;
test('setup keys', async () => {
  [a, b] = await Promise.all([makeKey('a'), makeKey('b')]);
});

test('Quay token verifies and returns the claim; no exp means no expSec', async () => {
  const set = setOf([a.jwk]);
  const r = await verifyToken(task(await mintQuay(a), set));
  assert.deepEqual(r, { ok: true, infohash: TEST_HEX });
});

test('exp is returned for the cache', async () => {
  const exp = Math.floor(Date.now() / 1000) + 600;
  const r = await verifyToken(task(await mintQuay(a, { claims: { exp } }), setOf([a.jwk])));
  assert.deepEqual(r, { ok: true, infohash: TEST_HEX, expSec: exp });
});

test('each failing rule is named', async () => {
  const set = setOf([a.jwk]);
  const now = Date.now() / 1000;
  const cases: Array<[string, Promise<string> | string, Partial<VerifyTask>?]> = [
    ['kid', mintQuay(b)],
    ['signature', mintQuay(b, { kid: 'a' })],
    ['signature', mintQuay(b, { kid: null })],
    ['aud', mintQuay(a, { aud: 'other' })],
    ['aud', mintQuay(a, { claims: { aud: undefined } })],
    ['ok', mintQuay(a, { aud: 'other' }), { audience: '' }],
    ['iss', mintQuay(a), { issuer: 'registry' }],
    ['iss', mintQuay(a, { claims: { iss: undefined } }), { issuer: 'quay' }],
    ['ok', mintQuay(a), { issuer: 'quay' }],
    ['exp', mintQuay(a, { claims: { exp: now - 31 } })],
    ['ok', mintQuay(a, { claims: { exp: now - 29 } })],
    ['exp', mintQuay(a, { claims: { exp: now + 60 } }), { nowSec: now + 100 }],
    ['nbf', mintQuay(a, { claims: { nbf: now + 31 } })],
    ['nbf', mintQuay(a, { claims: { nbf: '1' } })],
    ['ok', mintQuay(a, { claims: { nbf: now + 29, iat: 'ignored' } })],
    ['infohash', mintQuay(a, { claims: { infohash: undefined } })],
    ['infohash', mintQuay(a, { infohash: 12345 })],
    ['infohash', mintQuay(a, { infohash: 'abc' })],
    ['format', 'x.y'],
    ['format', 'e30.e30.'],
    ['format', `${Buffer.from('{"alg":"RS256","kid":7}').toString('base64url')}.e30.AA`],
  ];
  for (const [want, tok, over] of cases) {
    const r = await verifyToken(task(await tok, set, over));
    assert.equal(checkOf(r), want, `${want}: ${JSON.stringify(r)}`);
  }
});

test('algorithm rules: a key allows exactly its alg (alg-less = RS256)', async () => {
  const claims = { iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX };
  const sign = (alg: string, key: TestKey) => new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid }).sign(key.privateKey);
  const plain = setOf([a.jwk]);
  const ps = setOf([{ ...a.jwk, alg: 'PS256' }]);
  assert.equal(checkOf(await verifyToken(task(await sign('RS256', a), plain))), 'ok');
  assert.equal(checkOf(await verifyToken(task(await sign('PS256', a), plain))), 'alg');
  assert.equal(checkOf(await verifyToken(task(await sign('RS384', a), plain))), 'alg');
  assert.equal(checkOf(await verifyToken(task(await sign('PS256', a), ps))), 'ok');
  assert.equal(checkOf(await verifyToken(task(await sign('RS256', a), ps))), 'alg');
  const none = `${Buffer.from('{"alg":"none","kid":"a"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  assert.equal(checkOf(await verifyToken(task(none, plain))), 'alg');
});

test('no kid: every key is tried, in order', async () => {
  const set = setOf([a.jwk, b.jwk]);
  assert.equal(checkOf(await verifyToken(task(await mintQuay(b, { kid: null }), set))), 'ok');
  assert.equal(checkOf(await verifyToken(task(await mintQuay(a, { kid: null }), set))), 'ok');
});

test('imported keys are per key set: same version number with other text does not reuse them', async () => {
  const setA = setOf([a.jwk]);
  const tok = await mintQuay(a, { kid: null });
  assert.equal(checkOf(await verifyToken(task(tok, setA))), 'ok');
  const setB = { text: setOf([b.jwk]).text, version: setA.version };
  assert.equal(checkOf(await verifyToken(task(tok, setB))), 'signature');
  assert.equal(checkOf(await verifyToken(task(tok, { text: '{"keys":[{"kty":"RSA","n":"AA","e":"AA"}]}', version: 1 }))), 'keys');
});

test('differential: our synchronous RSA verification agrees with jose on every algorithm and on mutations', async () => {
  const { compactVerify } = await import('jose');
  const fc = (await import('fast-check')).default;
  const claims = { iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX };
  for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
    const set = setOf([{ ...a.jwk, alg }]);
    const token = await new SignJWT(claims).setProtectedHeader({ alg, kid: 'a' }).sign(a.privateKey);
    assert.equal(checkOf(verifyToken(task(token, set))), 'ok', alg);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.nat(63), async (pos, c) => {
        if (token[pos] === '.') return true;
        const mutated = token.slice(0, pos) + alphabet[c] + token.slice(pos + 1);
        const ours = verifyToken(task(mutated, set));
        let joseOk = true;
        try {
          await compactVerify(mutated, a.publicKey, { algorithms: [alg] });
        } catch {
          joseOk = false;
        }
        // Claims may still be refused by us after a valid signature; the signature verdicts must agree.
        const oursSig = ours.ok || (ours.check !== 'signature' && ours.check !== 'format' && ours.check !== 'kid' && ours.check !== 'alg');
        return oursSig === joseOk;
      }),
      { numRuns: 60 },
    );
  }
});
