// RecordSlots: 1-based slots over a growable SharedArrayBuffer, a free list threaded through freed
// records, a bound, and a header in shared memory that a restarted thread resumes from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordSlots } from '../../../src/swarm/record-slots.js';

const RECORD_BYTES = 16;
const LINK_WORD = 3;

function slots(max: number): RecordSlots {
  return new RecordSlots(RecordSlots.allocate(RECORD_BYTES, max, 42), RECORD_BYTES, LINK_WORD);
}

describe('RecordSlots', () => {
  it('hands out slots from 1 up and keeps the seed, live count and high-water mark in the shared header', () => {
    const s = slots(100);
    assert.deepEqual([s.alloc(), s.alloc(), s.alloc()], [1, 2, 3]);
    assert.equal(s.live, 3);
    assert.equal(s.highWater, 3);
    assert.equal(s.seed, 42);
    const again = new RecordSlots({ header: s.header.buffer as SharedArrayBuffer, records: s.arena.sab }, RECORD_BYTES, LINK_WORD);
    assert.equal(again.live, 3, 'another view of the same memory sees the same state');
    assert.equal(again.alloc(), 4);
  });

  it('reuses released slots last-in first-out, zeroed', () => {
    const s = slots(100);
    for (let i = 0; i < 5; i++) s.alloc();
    s.arena.u32.fill(0xdeadbeef, 2 * 4, 3 * 4); // dirty slot 2
    s.arena.u32[2 * 4 + LINK_WORD] = 0;
    s.release(2);
    s.release(4);
    assert.equal(s.live, 3);
    assert.equal(s.alloc(), 4);
    assert.equal(s.alloc(), 2);
    assert.deepEqual([...s.arena.u32.subarray(2 * 4, 3 * 4)], [0, 0, 0, 0], 'a reused record starts zeroed');
    assert.equal(s.alloc(), 6, 'then fresh slots again');
  });

  it('stops at the configured maximum (0 = refused), and frees make room again', () => {
    const s = slots(3);
    assert.deepEqual([s.alloc(), s.alloc(), s.alloc(), s.alloc()], [1, 2, 3, 0]);
    s.release(2);
    assert.equal(s.alloc(), 2);
    assert.equal(s.alloc(), 0);
  });

  it('grows its buffer in place past the initial size, keeping every record', () => {
    const s = slots(100_000);
    const initial = s.arena.byteLength;
    for (let i = 1; i <= 5000; i++) {
      assert.equal(s.alloc(), i);
      if (s.arena.u32.length < (i + 1) * 4) s.arena.refresh();
      s.arena.u32[i * 4] = i;
    }
    assert.ok(s.arena.byteLength > initial, 'the arena grew');
    s.arena.refresh();
    for (let i = 1; i <= 5000; i++) assert.equal(s.arena.u32[i * 4], i);
  });

  it('repairFreeList rebuilds the free list and live count from the records (after a crash)', () => {
    const s = slots(100);
    for (let i = 0; i < 10; i++) s.alloc();
    const live = new Set([1, 3, 4, 8, 10]);
    s.header.fill(0, 1, 3); // lose the free-list head and live count, as a writer killed mid-update could
    s.repairFreeList((slot) => live.has(slot));
    assert.equal(s.live, 5);
    const reused = [s.alloc(), s.alloc(), s.alloc(), s.alloc(), s.alloc()].sort((a, b) => a - b);
    assert.deepEqual(reused, [2, 5, 6, 7, 9], 'exactly the dead slots come back');
    assert.equal(s.alloc(), 11);
  });
});
