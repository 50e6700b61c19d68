// infohash claim forms: Quay's hex (either case), chihaya v1's raw bytes and URL-escaped bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { claimMatches, isInfohashClaim } from '../../../src/auth/jwt/infohash-claim.js';

const ih = new Uint8Array(Buffer.from('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', 'hex'));
const other = new Uint8Array(Buffer.from('0000000000000000000000000000000000000001', 'hex'));
const withSpace = new Uint8Array(20).fill(0x41);
withSpace[3] = 0x20;
withSpace[4] = 0x2b; // '+'

function escapeAll(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += '%' + b.toString(16).padStart(2, '0').toUpperCase();
  return s;
}
function escapeQuery(bytes: Uint8Array): string {
  // what Go's url.QueryEscape / a browser would produce: unreserved as-is, space as '+'
  let s = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) s += c;
    else if (b === 0x20) s += '+';
    else s += '%' + b.toString(16).padStart(2, '0');
  }
  return s;
}

const table: Array<[string, unknown, Uint8Array, boolean]> = [
  ['lowercase hex (Quay)', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', ih, true],
  ['uppercase hex', 'A94A8FE5CCB19BA61C4C0873D391E987982FBBD3', ih, true],
  ['mixed-case hex', 'A94a8fE5ccb19ba61c4c0873d391e987982fbbd3', ih, true],
  ['hex of another hash', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd4', ih, false],
  ['39 hex chars', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd', ih, false],
  ['41 hex chars', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd30', ih, false],
  ['40 chars, one not hex', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbdz', ih, false],
  ['raw bytes (latin1 char codes)', Buffer.from(ih).toString('latin1'), ih, true],
  ['raw bytes of another hash', Buffer.from(other).toString('latin1'), ih, false],
  ['raw with a char above 0xff', '\u0100' + Buffer.from(ih).toString('latin1').slice(1), ih, false],
  ['all bytes escaped', escapeAll(ih), ih, true],
  ['query-escaped', escapeQuery(ih), ih, true],
  ['raw containing space and plus', 'AAA +AAAAAAAAAAAAAAA', withSpace, true],
  ["'+' is a space when escaped", escapeQuery(withSpace), withSpace, true],
  ['escaped, one byte short', escapeAll(ih).slice(3), ih, false],
  ['escaped, one byte too many', escapeAll(ih) + '%00', ih, false],
  ['bad escape', '%G0' + escapeAll(ih).slice(3), ih, false],
  ['truncated escape', escapeAll(ih).slice(0, -1), ih, false],
  ['not a string: number', 42, ih, false],
  ['not a string: null', null, ih, false],
  ['not a string: array', ['a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'], ih, false],
  ['empty', '', ih, false],
  ['info_hash of 19 bytes', 'a94a8fe5ccb19ba61c4c0873d391e987982fbb', ih.subarray(0, 19), false],
];

for (const [name, claim, hash, want] of table) {
  test(`claimMatches: ${name}`, () => assert.equal(claimMatches(claim, hash), want));
}

test('isInfohashClaim accepts every form and nothing else', () => {
  assert.equal(isInfohashClaim('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'), true);
  assert.equal(isInfohashClaim(Buffer.from(ih).toString('latin1')), true);
  assert.equal(isInfohashClaim(escapeAll(ih)), true);
  assert.equal(isInfohashClaim('short'), false);
  assert.equal(isInfohashClaim('x'.repeat(40)), false);
  assert.equal(isInfohashClaim(7), false);
});

test('property: every encoding of a hash matches it and no other hash', () => {
  const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 });
  fc.assert(
    fc.property(bytes20, bytes20, (a, b) => {
      const hex = Buffer.from(a).toString('hex');
      for (const claim of [hex, hex.toUpperCase(), Buffer.from(a).toString('latin1'), escapeAll(a), escapeQuery(a)]) {
        if (!claimMatches(claim, a)) return false;
        if (Buffer.compare(a, b) !== 0 && claimMatches(claim, b)) return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
});
