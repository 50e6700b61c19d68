// PeerClock: 16-bit last-seen ticks sized from the reap settings, compared with wrap-around arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PeerClock } from '../../../src/swarm/peer-clock.js';

const CHIHAYA_MAX_IDLE_MS = 15 * 60_000 * 1.25; // minAnnounce 15m x reapRatio 1.25 = 18m45s
const CHIHAYA_REAP_MS = 60_000;

describe('PeerClock', () => {
  it('uses 49 ms ticks with chihaya\'s defaults', () => {
    const c = new PeerClock(CHIHAYA_MAX_IDLE_MS, CHIHAYA_REAP_MS);
    assert.equal(c.unitMs, 49);
    assert.equal(c.maxIdleTicks, Math.ceil(CHIHAYA_MAX_IDLE_MS / 49));
  });

  it('calls a peer idle only once it is older than the window', () => {
    const c = new PeerClock(10_000, 1_000);
    const seen = c.tick(1_000_000);
    assert.equal(c.isIdle(c.tick(1_000_000 + 10_000 - c.unitMs), seen), false);
    assert.equal(c.isIdle(c.tick(1_000_000 + 10_000 + 2 * c.unitMs), seen), true);
  });

  it('survives the 16-bit wrap: a peer seen just before it is fresh just after', () => {
    const c = new PeerClock(10_000, 1_000);
    const wrapMs = 65_536 * c.unitMs;
    const seen = c.tick(wrapMs - c.unitMs);
    const now = c.tick(wrapMs + c.unitMs);
    assert.ok(now < seen, 'the tick wrapped');
    assert.equal(c.isIdle(now, seen), false);
  });

  it('treats a stamp from the future (clock stepped back) as fresh, not ancient', () => {
    const c = new PeerClock(10_000, 1_000);
    assert.equal(c.isIdle(c.tick(1_000_000), c.tick(1_000_000 + 5_000)), false);
  });

  it('for any settings, reaps exactly the peers older than the window within one reap interval', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1_000, max: 30 * 86_400_000 }), fc.integer({ min: 100, max: 3_600_000 }),
      fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: 0, max: 1, noNaN: true }),
      (maxIdleMs, reapMs, t0, f) => {
        const c = new PeerClock(maxIdleMs, reapMs);
        const age = Math.floor(f * (maxIdleMs + reapMs));
        const idle = c.isIdle(c.tick(t0 + age), c.tick(t0));
        if (age <= maxIdleMs - c.unitMs) assert.equal(idle, false, `age ${age} of ${maxIdleMs}`);
        if (age >= maxIdleMs + 2 * c.unitMs) assert.equal(idle, true, `age ${age} of ${maxIdleMs}`);
      }), { numRuns: 2000 });
  });
});
