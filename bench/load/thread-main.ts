// Entry point of a generator worker thread: runs the ThreadTask it was given, posts progress every
// 250 ms and one result (or error) at the end.
import { parentPort, workerData } from 'node:worker_threads';
import { runAutocannon } from './autocannon-loop.js';
import { runNewConnections } from './new-conn-loop.js';
import type { ThreadMessage, ThreadResult, ThreadTask } from './types.js';
import { runUdp } from './udp-loop.js';

const task = workerData as ThreadTask;
const post = (m: ThreadMessage): void => parentPort!.postMessage(m);
const progress = (done: number): void => post({ type: 'progress', done });

let run: Promise<ThreadResult>;
try {
  if (task.kind === 'udp') run = runUdp(task, progress);
  else if (task.kind === 'new-conn') run = runNewConnections(task, progress);
  else run = runAutocannon(task, progress);
} catch (err) {
  run = Promise.reject(err);
}
run.then(
  (result) => post({ type: 'result', result }),
  (err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
);
