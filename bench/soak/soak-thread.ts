// A soak generator thread: runs the paced loads its parent asks for (the preload pass, the capacity
// probe, the soak itself) over its part of the pool, and hands over its figures window by window.
import { parentPort } from 'node:worker_threads';
import { PacedLoad, type PacedLoadOptions } from '../load/paced/paced-load.js';
import { Tally, type TallyWindow } from '../load/paced/tally.js';

export type ToSoakThread =
  | { type: 'run'; opts: PacedLoadOptions }
  | { type: 'take' }
  | { type: 'stop' };

export type FromSoakThread =
  | { type: 'window'; window: TallyWindow; sent: number }
  | { type: 'finished'; window: TallyWindow; sent: number; late: number }
  | { type: 'error'; message: string };

let load: PacedLoad | null = null;
let tally = new Tally();
const post = (m: FromSoakThread): void => parentPort!.postMessage(m);

parentPort!.on('message', (m: ToSoakThread) => {
  try {
    if (m.type === 'run') {
      if (load !== null) throw new Error('a load is already running in this thread');
      tally = new Tally();
      const l = new PacedLoad(m.opts, tally);
      load = l;
      void l.finished.then(() => {
        load = null;
        post({ type: 'finished', window: tally.take(), sent: l.sent, late: l.udpLate });
      });
    } else if (m.type === 'take') {
      post({ type: 'window', window: tally.take(), sent: load?.sent ?? 0 });
    } else {
      void load?.stop();
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
