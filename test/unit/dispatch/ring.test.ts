import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateDoorbell, Doorbell } from '../../../src/dispatch/doorbell.js';
import { allocateRing, Ring } from '../../../src/dispatch/ring.js';

describe('SPSC ring', () => {
  it('carries messages of every size across the wrap, in order, and reports full', () => {
    const mem = allocateRing(1024);
    const producer = new Ring(mem);
    const consumer = new Ring(mem);
    let sent = 0;
    let received = 0;
    for (let round = 0; round < 2000; round++) {
      // write until full
      for (;;) {
        const len = 1 + ((sent * 37) % 200);
        const at = producer.reserve(len);
        if (at < 0) break;
        producer.bytes.fill(sent & 0xff, at, at + len);
        producer.commit();
        sent++;
      }
      // read a few
      for (let k = 0; k < 3; k++) {
        const off = consumer.peek();
        if (off < 0) break;
        assert.equal(consumer.length, 1 + ((received * 37) % 200));
        for (let i = 0; i < consumer.length; i++) assert.equal(consumer.bytes[off + i], received & 0xff);
        consumer.release();
        received++;
      }
    }
    assert.ok(sent > 2000);
    assert.ok(received >= 2000);
  });

  it('refuses a message larger than the ring', () => {
    const r = new Ring(allocateRing(1024));
    assert.equal(r.reserve(2000), -1);
  });

  it('a doorbell sleep returns null when something is already readable, and a promise woken by a ring otherwise', async () => {
    const mem = allocateRing(1024);
    const producer = new Ring(mem);
    const consumer = new Ring(mem);
    const bell = allocateDoorbell();
    const consumerBell = new Doorbell(bell);
    const producerBell = new Doorbell(bell);
    const wait = consumerBell.sleep(() => consumer.hasMessage());
    assert.ok(wait instanceof Promise);
    producer.reserve(4);
    producer.commit();
    producerBell.ring();
    await Promise.race([wait, new Promise((_, reject) => setTimeout(() => reject(new Error('not woken')), 2000))]);
    assert.ok(consumer.peek() >= 0);
    assert.equal(consumerBell.sleep(() => consumer.hasMessage()), null);
  });

  it('a doorbell is not rung by a producer while its consumer is awake, and is by several producers', async () => {
    const bell = allocateDoorbell();
    const consumer = new Doorbell(bell);
    const a = new Doorbell(bell);
    const b = new Doorbell(bell);
    const seq = new Int32Array(bell);
    a.ring(); // the consumer never said it would sleep: nothing to do
    assert.equal(Atomics.load(seq, 0), 0);
    let work = false;
    const wait = consumer.sleep(() => work);
    assert.ok(wait instanceof Promise);
    work = true;
    b.ring();
    a.ring(); // a second producer finds the consumer already woken
    await wait;
    assert.equal(Atomics.load(seq, 0), 1, 'one wake-up for two producers');
  });
});
