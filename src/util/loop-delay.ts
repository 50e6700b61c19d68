// A thread's own event-loop delay (perf_hooks.monitorEventLoopDelay), published into three slots of
// shared memory (p50, p99, max, in ms) once per window and then reset: any thread reads them at scrape
// time without a message. One timer per window per thread; nothing on a request's path.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export const LOOP_DELAY_SLOTS = 3;
/** Each figure covers the last window: long enough for a p99, short enough to show a stall soon. */
export const LOOP_DELAY_WINDOW_MS = 5_000;
const RESOLUTION_MS = 10;

export class LoopDelayMonitor {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;

  /** `slots`: p50, p99, max (ms), written every `windowMs`. */
  constructor(private readonly slots: Float64Array, windowMs = LOOP_DELAY_WINDOW_MS) {
    if (slots.length < LOOP_DELAY_SLOTS) throw new RangeError(`loop delay needs ${LOOP_DELAY_SLOTS} slots`);
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => this.publish(), windowMs);
    this.timer.unref();
  }

  private publish(): void {
    const h = this.histogram;
    this.slots[0] = delayMs(h, h.percentile(50));
    this.slots[1] = delayMs(h, h.percentile(99));
    this.slots[2] = delayMs(h, h.max);
    h.reset();
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}

/** A sample is the time between two ticks of a RESOLUTION_MS timer: what is above the period is delay. */
function delayMs(h: IntervalHistogram, ns: number): number {
  return h.count === 0 ? 0 : Math.max(0, Math.round(ns / 1e3 - RESOLUTION_MS * 1e3) / 1e3); // whole microseconds
}
