// Peers' last-seen times in 16 bits: ticks of `unitMs`, modulo 65536, compared with wrap-around
// arithmetic. The unit is chosen from the reap settings so that no live peer's age can reach half the
// range (2^15 ticks) before the reaper removes it: minAnnounce x reapRatio + reapInterval spans at most
// 24,576 ticks. With Chihaya's defaults (18m45s + 60s) a tick is 49 ms. Two bytes a peer instead of
// eight for a millisecond timestamp keeps an IPv4 peer record at 40 bytes.

const SPAN_TICKS = 24_576;
const HALF = 0x8000;

export class PeerClock {
  readonly unitMs: number;
  readonly maxIdleTicks: number;

  constructor(maxIdleMs: number, reapIntervalMs: number) {
    this.unitMs = Math.max(1, Math.ceil((maxIdleMs + reapIntervalMs) / SPAN_TICKS));
    this.maxIdleTicks = Math.ceil(maxIdleMs / this.unitMs);
  }

  /** The 16-bit tick of a wall-clock time in ms. */
  tick(nowMs: number): number {
    return Math.floor(nowMs / this.unitMs) & 0xffff;
  }

  /**
   * True when a peer last seen at `lastTick` has been idle too long at `nowTick`. A stamp "from the
   * future" (a clock stepped backwards) counts as fresh, not as ancient.
   */
  /** True when tick `a` is later than tick `b` (wrap-around arithmetic). */
  isNewer(a: number, b: number): boolean {
    const d = (a - b) & 0xffff;
    return d !== 0 && d < HALF;
  }

  /** Wall-clock ms of a tick seen no more than half the range ago (for republishing a peer's age). */
  msOf(tick: number, nowMs: number): number {
    return nowMs - ((this.tick(nowMs) - tick) & 0xffff) * this.unitMs;
  }

  isIdle(nowTick: number, lastTick: number): boolean {
    const age = (nowTick - lastTick) & 0xffff;
    return age < HALF && age > this.maxIdleTicks;
  }
}
