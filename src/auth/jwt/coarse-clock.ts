// A coarse wall clock for the hot path: Date.now() costs 60-90 ns on the dev VM, more than the rest of
// a cache-hit check. Everything the authorizer times (key-set TTL in minutes, negative verdicts in
// seconds, token exp in seconds with 30 s tolerance) is fine with 50 ms resolution.

const RESOLUTION_MS = 50;
let nowMs = Date.now();
let timer: NodeJS.Timeout | null = null;

/** Starts the shared ticker (idempotent; unref'd, so it never keeps the process alive). */
export function startCoarseClock(): void {
  if (timer !== null) return;
  nowMs = Date.now();
  timer = setInterval(() => {
    nowMs = Date.now();
  }, RESOLUTION_MS);
  timer.unref();
}

/** Epoch ms, at most RESOLUTION_MS behind (exact while the ticker is not started). */
export function coarseNow(): number {
  return timer === null ? Date.now() : nowMs;
}
