// A bounded, paced UDP announce load (paced-udp-thread.ts on a worker thread of the bench): a fixed rate
// per target for a fixed time, each announce a fill position sent once. For measurements that need a
// given load (cluster-lag: 20,000 announces/s across the cluster) rather than a saturating one; the
// bench's own event loop stays free for what it measures meanwhile (marker polls).
import { Worker } from 'node:worker_threads';
import type { PacedResult, PacedTask } from './paced-udp-thread.js';

export type { PacedResult, PacedTarget, PacedTask } from './paced-udp-thread.js';

const THREAD = new URL('./paced-udp-thread.js', import.meta.url);
/** The thread reports within this much after its duration (handshakes, drain), else it is ended. */
const GRACE_SEC = 30;

export async function runPacedUdp(task: PacedTask): Promise<PacedResult> {
  const w = new Worker(THREAD, { workerData: task });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<PacedResult>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`paced UDP load did not finish within ${task.durationSec + GRACE_SEC} s`)), (task.durationSec + GRACE_SEC) * 1000);
      w.on('message', (m: { type: 'result'; result: PacedResult } | { type: 'error'; message: string }) => {
        if (m.type === 'result') resolve(m.result);
        else reject(new Error(`paced UDP load: ${m.message}`));
      });
      w.on('error', (err) => reject(new Error(`paced UDP load: ${err.message}`)));
      w.on('exit', (code) => reject(new Error(`paced UDP load thread exited (${code}) without a result`)));
    });
  } finally {
    clearTimeout(timer);
    await w.terminate();
  }
}
