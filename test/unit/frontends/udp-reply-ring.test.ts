import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_DATAGRAM_BYTES, ReplyRing } from '../../../src/frontends/udp/reply-ring.js';

describe('UDP reply ring', () => {
  it('copies replies to successive offsets and wraps to 0 when the next one would not fit', () => {
    const ring = new ReplyRing();
    const size = ring.bytes.length;
    const reply = Buffer.alloc(1000, 7);
    let last = -1;
    let wrapped = false;
    for (let i = 0; i < Math.ceil(size / 1000) + 3; i++) {
      reply[0] = i & 0xff;
      const at = ring.put(reply, 1000);
      assert.ok(at + 1000 <= size, 'a reply never runs past the end');
      if (at === 0 && last >= 0) wrapped = true;
      else if (last >= 0) assert.equal(at, last + 1000);
      assert.equal(ring.bytes[at], i & 0xff);
      assert.equal(ring.bytes[at + 999], 7);
      last = at;
    }
    assert.ok(wrapped);
  });

  it('takes a prefix of a longer buffer (the reply is bytes[0, length))', () => {
    const ring = new ReplyRing();
    const src = Buffer.from('0123456789');
    const at = ring.put(src, 4);
    assert.equal(ring.bytes.toString('latin1', at, at + 4), '0123');
    assert.equal(ring.put(src, 10), at + 4);
  });

  it('refuses a reply longer than any UDP datagram', () => {
    const ring = new ReplyRing();
    assert.throws(() => ring.put(Buffer.alloc(MAX_DATAGRAM_BYTES + 1), MAX_DATAGRAM_BYTES + 1), RangeError);
    assert.equal(ring.put(Buffer.alloc(MAX_DATAGRAM_BYTES), MAX_DATAGRAM_BYTES), 0);
  });
});
