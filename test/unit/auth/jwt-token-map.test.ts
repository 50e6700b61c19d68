// TokenMap: exact lookups whatever the bucket, bounded chains (attacker-chosen colliding tails),
// bounded capacity with FIFO eviction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TokenMap, tokenHash } from '../../../src/auth/jwt/token-map.js';

const TAIL = 'x'.repeat(32);
/** Same length, same last 32 chars: always the same bucket, whatever the seed. */
const colliding = (i: number): string => String(i).padStart(8, '0') + TAIL;

test('colliding tokens are told apart by the full compare', () => {
  assert.equal(tokenHash(colliding(1)), tokenHash(colliding(2)));
  const m = new TokenMap<number>(100);
  for (let i = 0; i < 5; i++) m.set(colliding(i), i);
  for (let i = 0; i < 5; i++) assert.equal(m.get(colliding(i)), i);
  assert.equal(m.get(colliding(9)), undefined);
  assert.equal(m.delete(colliding(2)), true);
  assert.equal(m.get(colliding(2)), undefined);
  assert.deepEqual([0, 1, 3, 4].map((i) => m.get(colliding(i))), [0, 1, 3, 4]);
  assert.equal(m.size, 4);
});

test('a chain never grows past maxChain: the oldest colliding token goes', () => {
  const m = new TokenMap<number>(1000, 8);
  for (let i = 0; i < 20; i++) m.set(colliding(i), i);
  assert.equal(m.size, 8);
  for (let i = 0; i < 12; i++) assert.equal(m.get(colliding(i)), undefined);
  for (let i = 12; i < 20; i++) assert.equal(m.get(colliding(i)), i);
});

test('capacity is bounded, first inserted first evicted; set on an existing token replaces', () => {
  const m = new TokenMap<string>(3);
  for (const t of ['a', 'b', 'c']) m.set(t, t);
  m.set('a', 'A');
  assert.equal(m.get('a'), 'A');
  m.set('d', 'd');
  assert.equal(m.get('a'), undefined);
  assert.deepEqual(['b', 'c', 'd'].map((t) => m.get(t)), ['b', 'c', 'd']);
  assert.equal(m.size, 3);
  m.clear();
  assert.equal(m.size, 0);
  assert.equal(m.get('b'), undefined);
});

test('property: a hit always returns the value last set for that exact token; size stays bounded', () => {
  const token = fc.oneof(
    fc.integer({ min: 0, max: 30 }).map(colliding),
    fc.string({ maxLength: 40 }),
  );
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), token, value: fc.integer() }),
    fc.record({ kind: fc.constant('delete' as const), token }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 16 }), (ops, capacity) => {
      const m = new TokenMap<number>(capacity, 4);
      const model = new Map<string, number>();
      for (const o of ops) {
        if (o.kind === 'set') {
          m.set(o.token, o.value);
          model.set(o.token, o.value);
        } else {
          m.delete(o.token);
          model.delete(o.token);
          if (m.get(o.token) !== undefined) return false;
        }
        if (m.size > capacity) return false;
        for (const [t, v] of model) {
          const got = m.get(t);
          if (got !== undefined && got !== v) return false;
        }
      }
      return true;
    }),
    { numRuns: 300 },
  );
});
