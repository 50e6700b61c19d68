// The JWT verification queue's fairness: the key a client is queued under (sourceKeyOf: an IPv4
// address, an IPv6 /64, however the address is spelled, including the forms uWebSockets.js and
// node:dgram report), and FairQueue's bounds and round-robin service.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FairQueue, sourceKeyOf } from '../../../src/auth/jwt/fair-queue.js';

describe('sourceKeyOf', () => {
  const cases: Array<[string, string, string]> = [
    ['IPv4: the address itself', '203.0.113.7', '203.0.113.7'],
    ['IPv6, full form: its /64', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['IPv6, compressed', '2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['IPv6, upper case and leading zeros', '2001:DB8:0001:0002:0000:0000:0000:0009', '2001:db8:1:2::/64'],
    ['IPv6, compressed inside the /64', '2001:db8::1:0:0:7', '2001:db8:0:0::/64'],
    ['IPv6 with a zone', 'fe80::1:2:3:4:5%eth0', 'fe80:0:0:1::/64'],
    ['IPv6 loopback', '::1', '0:0:0:0::/64'],
    ['IPv4-mapped, as node:dgram reports it', '::ffff:198.51.100.4', '198.51.100.4'],
    ['IPv4-mapped, upper case', '::FFFF:198.51.100.4', '198.51.100.4'],
    // uWebSockets.js on a dual-stack listener (httpListenAddr ":6881"): every IPv4 client looks like this.
    ['IPv4-mapped, as uWebSockets.js reports it', '0000:0000:0000:0000:0000:ffff:7f01:0203', '127.1.2.3'],
    ['IPv4-mapped in hex, compressed', '::ffff:c633:6404', '198.51.100.4'],
    ['a dotted quad at the end counts as two groups', '64:ff9b::198.51.100.4', '64:ff9b:0:0::/64'],
    ['not an address: its own key', 'garbage', 'garbage'],
    ['too many groups: its own key', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8:9'],
    ['two "::": its own key', '1::2::3', '1::2::3'],
    ['a bad group: its own key', '2001:db8::xyz', '2001:db8::xyz'],
  ];
  for (const [label, address, key] of cases) test(label, () => assert.equal(sourceKeyOf(address), key));

  test('IPv4 clients of a dual-stack listener get a key each (not one for all of them)', () => {
    const keys = new Set(['7f01:0001', '7f01:0002', '7f00:0002', 'c633:6404'].map((low) => sourceKeyOf(`0000:0000:0000:0000:0000:ffff:${low}`)));
    assert.equal(keys.size, 4);
  });

  test('hosts of one /64 share a key; neighbouring /64s do not', () => {
    assert.equal(sourceKeyOf('2001:db8:aa:bb::1'), sourceKeyOf('2001:db8:aa:bb:ffff:ffff:ffff:ffff'));
    assert.notEqual(sourceKeyOf('2001:db8:aa:bb::1'), sourceKeyOf('2001:db8:aa:bc::1'));
    assert.notEqual(sourceKeyOf('2001:db8:aa:bb::1'), sourceKeyOf('2001:db9:aa:bb::1'));
  });
});

describe('FairQueue', () => {
  test('serves sources round-robin, each in its own order', () => {
    const q = new FairQueue<string>(100, 10);
    for (const item of ['a1', 'a2', 'a3', 'a4']) assert.ok(q.push('a', item));
    for (const item of ['b1', 'b2']) assert.ok(q.push('b', item));
    assert.ok(q.push('c', 'c1'));
    const out: string[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    assert.deepEqual(out, ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    assert.equal(q.size, 0);
  });

  test('a new source is served within one round, however much a flooding source has queued', () => {
    const q = new FairQueue<string>(1000, 16);
    for (const s of ['x1', 'x2', 'x3', 'x4']) for (let i = 0; i < 16; i++) q.push(s, `${s}-${i}`);
    q.shift(); // service has started
    assert.ok(q.push('new', 'new-1'));
    const served: string[] = [];
    for (let x = q.shift(); x !== undefined && x !== 'new-1'; x = q.shift()) served.push(x);
    assert.ok(served.length <= 4, `served ${served.length} flood items first: ${served.join(' ')}`);
  });

  test('the per-source bound refuses only that source', () => {
    const q = new FairQueue<number>(100, 3);
    for (let i = 0; i < 3; i++) assert.ok(q.push('flood', i));
    assert.equal(q.push('flood', 3), false);
    assert.ok(q.push('other', 0));
    assert.equal(q.size, 4);
    q.shift(); // flood 0
    assert.ok(q.push('flood', 4), 'room again once one was served');
  });

  test('the total bound refuses everyone', () => {
    const q = new FairQueue<number>(4, 3);
    assert.ok(q.push('a', 1) && q.push('a', 2) && q.push('b', 1) && q.push('c', 1));
    assert.equal(q.push('d', 1), false);
    assert.equal(q.push('a', 3), false);
    assert.equal(q.size, 4);
  });

  test('a source that emptied and comes back is queued again', () => {
    const q = new FairQueue<string>(10, 10);
    q.push('a', 'a1');
    q.push('b', 'b1');
    assert.equal(q.shift(), 'a1');
    q.push('a', 'a2');
    assert.deepEqual([q.shift(), q.shift(), q.shift()], ['b1', 'a2', undefined]);
  });

  test('drain returns everything, once', () => {
    const q = new FairQueue<number>(10, 10);
    q.push('a', 1);
    q.push('b', 2);
    q.push('a', 3);
    assert.deepEqual(q.drain().sort(), [1, 2, 3]);
    assert.equal(q.size, 0);
    assert.equal(q.shift(), undefined);
  });
});
