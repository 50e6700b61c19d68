// VerdictCache: bounded, version-scoped, exp-scoped; negative verdicts in their own table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerdictCache } from '../../../src/auth/jwt/verdict-cache.js';

test('positive entries expire at their exp; Infinity never', () => {
  const c = new VerdictCache(10, 10);
  c.syncVersion(1);
  c.putGood('t1', 'claim1', 1000);
  c.putGood('t2', 'claim2', Infinity);
  assert.equal(c.getGood('t1', 999)?.claim, 'claim1');
  assert.equal(c.getGood('t1', 1000), undefined);
  assert.equal(c.getGood('t2', Number.MAX_SAFE_INTEGER)?.claim, 'claim2');
});

test('a key-set version change drops everything', () => {
  const c = new VerdictCache(10, 10);
  c.syncVersion(1);
  c.putGood('t', 'x', Infinity);
  c.putBad('u', 'kid', undefined, Infinity);
  c.syncVersion(1);
  assert.equal(c.size, 2);
  c.syncVersion(2);
  assert.equal(c.size, 0);
  assert.equal(c.getGood('t', 0), undefined);
  assert.equal(c.getBad('u', 0), undefined);
});

test('bounded: the oldest inserted entry is evicted first', () => {
  const c = new VerdictCache(3, 2);
  c.syncVersion(1);
  for (const t of ['a', 'b', 'c', 'd']) c.putGood(t, t, Infinity);
  assert.equal(c.getGood('a', 0), undefined);
  assert.deepEqual(['b', 'c', 'd'].map((t) => c.getGood(t, 0)?.claim), ['b', 'c', 'd']);
});

test('negative verdicts cannot push out positive ones', () => {
  const c = new VerdictCache(2, 2);
  c.syncVersion(1);
  c.putGood('good1', 'g', Infinity);
  c.putGood('good2', 'g', Infinity);
  for (let i = 0; i < 1000; i++) c.putBad(`bad${i}`, 'signature', undefined, Infinity);
  assert.ok(c.getGood('good1', 0) && c.getGood('good2', 0));
  assert.equal(c.size, 4);
  assert.equal(c.getBad('bad999', 0)?.check, 'signature');
  assert.equal(c.getBad('bad0', 0), undefined);
});

test('negative entries expire; a later positive verdict replaces a negative one', () => {
  const c = new VerdictCache(10, 10);
  c.syncVersion(1);
  c.putBad('t', 'nbf', 'valid in 20s', 500);
  assert.equal(c.getBad('t', 499)?.detail, 'valid in 20s');
  assert.equal(c.getBad('t', 500), undefined);
  c.putBad('t', 'nbf', undefined, 5000);
  c.putGood('t', 'x', Infinity);
  assert.equal(c.getBad('t', 0), undefined);
  assert.equal(c.getGood('t', 0)?.claim, 'x');
});
