// The JWT fixtures must look like what Quay really serves and mints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUDIENCE, JwksServer, makeKey, mintQuay, TEST_HEX } from '../../helpers/jwt-fixtures.js';

test('fixtures: the JWK set is served in Quay\'s shape and tokens carry only Quay\'s claims', async () => {
  const key = await makeKey('quay-key-1');
  const server = await new JwksServer().listen();
  try {
    server.keys = [key.jwk];
    const doc = (await (await fetch(server.url)).json()) as { keys: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(doc), ['keys']);
    assert.deepEqual(Object.keys(doc.keys[0]!).sort(), ['e', 'kid', 'kty', 'n']);
    const token = await mintQuay(key);
    const [h, p] = token.split('.').slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>);
    assert.deepEqual(h, { alg: 'RS256', typ: 'JWT', kid: 'quay-key-1' });
    assert.deepEqual(p, { iss: 'quay', aud: AUDIENCE, infohash: TEST_HEX });
    assert.equal(TEST_HEX, 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3');
  } finally {
    await server.close();
  }
});
