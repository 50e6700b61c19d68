// A token bucket shared by the lanes of one protocol: a lane that wants to send asks for a token and is
// called back when one is free. Open-loop pacing at `ratePerSec` (refilled every tick), with a small
// burst allowance so a late timer does not lose rate; Infinity sends as fast as the lanes answer.
// The waiting list is bounded by the number of lanes (each lane waits at most once).

const TICK_MS = 2;
/**
 * Tokens may pile up for at most this long, so a late timer (a busy event loop, other processes on the
 * cores) or a moment with every lane busy is caught up in a burst instead of lost; 20 ms lost ~15% of
 * the rate in a 10-minute soak on a shared 2-core machine.
 */
const BURST_MS = 100;

export class Pacer {
  private tokens = 0;
  private last = performance.now();
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private ratePerSec: number) {
    if (!(ratePerSec > 0)) throw new RangeError(`rate must be > 0 (got ${ratePerSec})`);
    if (Number.isFinite(ratePerSec)) this.timer = setInterval(() => this.refill(), TICK_MS);
  }

  get rate(): number {
    return this.ratePerSec;
  }

  /** Changes the rate (e.g. after a capacity probe). */
  setRate(ratePerSec: number): void {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError(`rate must be a finite number > 0 (got ${ratePerSec})`);
    this.ratePerSec = ratePerSec;
    if (this.timer === null && !this.stopped) this.timer = setInterval(() => this.refill(), TICK_MS);
  }

  /** Calls `go` now when a token is free, else once one is (never after stop()). */
  request(go: () => void): void {
    if (this.stopped) return;
    if (!Number.isFinite(this.ratePerSec)) return go();
    if (this.waiting.length === 0) {
      this.refillTokens();
      if (this.tokens >= 1) {
        this.tokens--;
        return go();
      }
    }
    this.waiting.push(go);
  }

  private refillTokens(): void {
    const now = performance.now();
    const cap = Math.max(1, (this.ratePerSec * BURST_MS) / 1000);
    this.tokens = Math.min(cap, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
    this.last = now;
  }

  private refill(): void {
    this.refillTokens();
    let n = 0;
    while (this.tokens >= 1 && n < this.waiting.length) {
      this.tokens--;
      n++;
    }
    if (n === 0) return;
    for (const go of this.waiting.splice(0, n)) go();
  }

  /** Drops every waiting lane; nothing is sent any more. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
