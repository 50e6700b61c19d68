// The drain-and-sleep loop of a thread that consumes rings: drain everything, and when nothing is left,
// sleep on the thread's doorbell (Atomics.waitAsync, so sockets and timers keep running meanwhile).
// A drain that stopped early (a full ring on the way back) is retried after a short timer instead.
import { Doorbell } from './doorbell.js';

export interface RingConsumer {
  /** Handles what is queued; sets `stalled` when it had to stop early. */
  drain(): void;
  /** Whether a message waits on any input (the last look before sleeping). */
  hasWork(): boolean;
  readonly stalled: boolean;
}

const STALL_RETRY_MS = 1;

export class ConsumerLoop {
  private readonly doorbell: Doorbell;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly hasWork = (): boolean => {
    for (const c of this.consumers) if (c.hasWork()) return true;
    return false;
  };
  private readonly turn = (): void => this.run();

  constructor(doorbell: SharedArrayBuffer, private readonly consumers: RingConsumer[]) {
    this.doorbell = new Doorbell(doorbell);
  }

  start(): void {
    this.run();
  }

  /**
   * Drains now whatever waits, outside the doorbell's rhythm: a thread that just handled a batch of
   * datagrams looks at its rings too, so a request another thread forwarded waits one batch, not one
   * event-loop turn plus a wake-up. A doorbell rung meanwhile only costs a drain that finds nothing.
   */
  poll(): void {
    if (this.stopped) return;
    for (const c of this.consumers) if (c.hasWork()) c.drain();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
  }

  private run(): void {
    if (this.stopped) return;
    let stalled = false;
    for (const c of this.consumers) {
      c.drain();
      if (c.stalled) stalled = true;
    }
    if (stalled) {
      if (this.retry === null) this.retry = setTimeout(() => { this.retry = null; this.run(); }, STALL_RETRY_MS);
      return;
    }
    const wait = this.doorbell.sleep(this.hasWork);
    if (wait === null) setImmediate(this.turn);
    else void wait.then(this.turn);
  }
}
