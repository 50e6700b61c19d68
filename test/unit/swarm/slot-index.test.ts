// SlotIndex: open addressing with linear probing and backward-shift deletion, any capacity, growth by
// half. Checked against a Map over random insert/remove sequences, with a weak hash that forces long
// clusters and wrap-around at the end of the table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SharedArena } from '../../../src/swarm/shared-arena.js';
import { SlotIndex } from '../../../src/swarm/slot-index.js';

/** An index over slots whose keys live in `keys` (slot -> key), hashed by `hash`. */
function indexOver(keys: Map<number, number>, hash: (key: number) => number, maxSlots = 10_000): SlotIndex {
  return new SlotIndex(new SharedArena(SlotIndex.create(maxSlots)), (slot) => hash(keys.get(slot)!));
}

function find(index: SlotIndex, keys: Map<number, number>, hash: (key: number) => number, key: number): number {
  for (let i = index.home(hash(key)); ; i = i + 1 === index.capacity ? 0 : i + 1) {
    const slot = index.table[i]!;
    if (slot === 0) return 0;
    if (keys.get(slot) === key) return slot;
  }
}

const mixHash = (k: number): number => Math.imul(k ^ (k >>> 16), 0x45d9f3b) >>> 0;
const clusterHash = (k: number): number => ((k % 7) * 0x2000_0000 + 0xffff_ff00) >>> 0; // 7 homes, some at the very end

describe('SlotIndex', () => {
  for (const [name, hash] of [['a mixing hash', mixHash], ['a hash with 7 values (long clusters, wrap-around)', clusterHash]] as const) {
    it(`finds every live key and no removed one, with ${name}`, () => {
      fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })), { maxLength: 400 }), (ops) => {
        const keys = new Map<number, number>();
        const model = new Map<number, number>(); // key -> slot
        const index = indexOver(keys, hash);
        let nextSlot = 1;
        for (const [add, key] of ops) {
          if (add && !model.has(key)) {
            if (index.isTooFull(model.size + 1) && index.grow()) index.rebuild((visit) => { for (const s of model.values()) visit(s); });
            const slot = nextSlot++;
            keys.set(slot, key);
            model.set(key, slot);
            index.insert(slot, hash(key));
          } else if (!add && model.has(key)) {
            const slot = model.get(key)!;
            index.remove(slot, hash(key));
            model.delete(key);
            keys.delete(slot);
          }
        }
        for (let key = 0; key <= 300; key++) assert.equal(find(index, keys, hash, key), model.get(key) ?? 0, `key ${key}`);
      }), { numRuns: 200 });
    });
  }

  it('keeps its load under 3/4 by growing by half, and rebuilds to the new size', () => {
    const keys = new Map<number, number>();
    const index = indexOver(keys, mixHash, 100_000);
    const start = index.capacity;
    let grew = 0;
    for (let slot = 1; slot <= 5000; slot++) {
      if (index.isTooFull(slot)) {
        const before = index.capacity;
        assert.equal(index.grow(), true);
        assert.equal(index.capacity, Math.ceil(before * 1.5));
        grew++;
        index.rebuild((visit) => { for (const s of keys.keys()) visit(s); });
      }
      keys.set(slot, slot * 7919);
      index.insert(slot, mixHash(slot * 7919));
      assert.ok(slot * 4 <= index.capacity * 3);
    }
    assert.ok(grew > 0 && index.capacity > start);
    for (let slot = 1; slot <= 5000; slot++) assert.equal(find(index, keys, mixHash, slot * 7919), slot);
  });

  it('refuses to grow past the room it was created for', () => {
    const keys = new Map<number, number>();
    const index = indexOver(keys, mixHash, 600); // 1200 buckets at most
    let grows = 0;
    while (index.grow()) grows++;
    assert.ok(index.capacity <= 1200 && grows >= 0);
    assert.equal(index.grow(), false);
  });
});
