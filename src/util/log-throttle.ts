// Internal errors are logged with their stack, but a fault hit by every request must not flood the
// log: at most `perMinute` lines a minute, then one line saying how many were suppressed.
import type { Log } from './log.js';

export class ThrottledErrorLog {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(private readonly log: Log, private readonly perMinute = 10) {}

  report(where: string, err: unknown): void {
    const now = Date.now();
    if (now - this.windowStart >= 60_000) {
      if (this.suppressed > 0) this.log.info(`${where}: ${this.suppressed} more internal errors in the last minute (not logged)`);
      this.windowStart = now;
      this.inWindow = 0;
      this.suppressed = 0;
    }
    if (this.inWindow++ < this.perMinute) this.log.info(`${where}: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    else this.suppressed++;
  }
}
