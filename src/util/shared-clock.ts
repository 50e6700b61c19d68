// One millisecond clock for every thread of the process. performance.now() counts from each thread's
// own start, so a time taken on one thread means nothing on another; offsetting it by what
// CLOCK_MONOTONIC (process.hrtime, the same clock in every thread) read at this thread's start puts
// every thread on one timeline, at performance.now()'s cost. Used where a request is timed on one thread
// and answered on another (a UDP announce whose owner sends the reply).
import { performance } from 'node:perf_hooks'; // a module binding: the global is an accessor (a slow load per call)

const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Milliseconds on the process-wide monotonic timeline (sub-microsecond resolution). */
export function sharedNowMs(): number {
  return performance.now() + offsetMs;
}
