// How a thread that consumes several rings sleeps without missing a message: one doorbell per consuming
// thread, rung by any of its producers after they commit. The consumer says it is going to sleep, checks
// every input once more, and only then waits (Atomics.waitAsync, so its event loop keeps running:
// sockets, timers and control messages still work). A producer rings only when the consumer said it
// would sleep, so a busy pair exchanges no notifications at all.

const D_SEQ = 0;
const D_WAITING = 16; // on its own 64-byte line: producers write it, the consumer reads SEQ
const WORDS = 32;

export function allocateDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(WORDS * 4);
}

export class Doorbell {
  private readonly words: Int32Array;

  constructor(memory: SharedArrayBuffer) {
    this.words = new Int32Array(memory);
  }

  /** Producer side: wakes the consumer if it announced it would sleep (any number of producers). */
  ring(): void {
    if (Atomics.compareExchange(this.words, D_WAITING, 1, 0) === 1) {
      Atomics.add(this.words, D_SEQ, 1);
      Atomics.notify(this.words, D_SEQ);
    }
  }

  /**
   * Consumer side: announces sleep, then asks `hasWork` (which must look at every input ring). Returns
   * null when there is work to do now, else a promise that settles once a producer rang.
   */
  sleep(hasWork: () => boolean): Promise<unknown> | null {
    const seq = Atomics.load(this.words, D_SEQ);
    Atomics.store(this.words, D_WAITING, 1);
    if (hasWork()) {
      Atomics.store(this.words, D_WAITING, 0);
      return null;
    }
    const r = Atomics.waitAsync(this.words, D_SEQ, seq);
    return r.async ? r.value : null;
  }
}
