// Runs generator tasks on worker threads (one task per thread), shows their combined progress, and merges
// their results: counts add up, histograms are merged, the rate is total answers over the longest thread.
// Bounded: threads that have not reported by durationSec + 60 s are terminated and the run fails.
import { Worker } from 'node:worker_threads';
import { decodeHistogram, newHistogram } from './histogram.js';
import type { Progress } from './progress.js';
import type { LoadResult, ThreadMessage, ThreadResult, ThreadTask } from './types.js';

const THREAD_MAIN = new URL('./thread-main.js', import.meta.url);

export async function runThreads(tasks: ThreadTask[], generator: string, progress: Progress | null): Promise<LoadResult> {
  const done = new Array<number>(tasks.length).fill(0);
  const workers: Worker[] = [];
  const longest = Math.max(...tasks.map((t) => t.durationSec));
  let watchdog: NodeJS.Timeout | undefined;
  try {
    const results = await new Promise<ThreadResult[]>((resolve, reject) => {
      const out = new Array<ThreadResult | undefined>(tasks.length);
      let remaining = tasks.length;
      watchdog = setTimeout(() => reject(new Error(`generator threads did not finish within ${longest + 60} s`)), (longest + 60) * 1000);
      tasks.forEach((task, i) => {
        const w = new Worker(THREAD_MAIN, { workerData: task });
        workers.push(w);
        w.on('message', (m: ThreadMessage) => {
          if (m.type === 'progress') {
            done[i] = m.done;
            progress?.set(done.reduce((a, b) => a + b, 0));
          } else if (m.type === 'result') {
            out[i] = m.result;
            done[i] = m.result.requests;
            if (--remaining === 0) resolve(out as ThreadResult[]);
          } else {
            reject(new Error(`generator thread ${i}: ${m.message}`));
          }
        });
        w.on('error', (err) => reject(new Error(`generator thread ${i}: ${err.message}`)));
        w.on('exit', (code) => {
          if (out[i] === undefined) reject(new Error(`generator thread ${i} exited (${code}) without a result`));
        });
      });
    });
    return mergeResults(results, generator);
  } finally {
    clearTimeout(watchdog);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export function mergeResults(results: ThreadResult[], generator: string): LoadResult {
  const histogram = newHistogram();
  const statusCodes: Record<string, number> = {};
  const merged: LoadResult = {
    generator, requests: 0, elapsedSec: 0, reqPerSec: 0, errors: 0, timeouts: 0, non2xx: 0, failures: 0, late: 0,
    statusCodes, histogram, notes: [],
  };
  for (const r of results) {
    merged.requests += r.requests;
    merged.errors += r.errors;
    merged.timeouts += r.timeouts;
    merged.non2xx += r.non2xx;
    merged.failures += r.failures;
    merged.late += r.late;
    merged.elapsedSec = Math.max(merged.elapsedSec, r.elapsedSec);
    for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
    if (r.histogram !== '') histogram.add(decodeHistogram(r.histogram));
    for (const n of r.notes) if (!merged.notes.includes(n)) merged.notes.push(n);
  }
  merged.reqPerSec = merged.elapsedSec > 0 ? merged.requests / merged.elapsedSec : 0;
  return merged;
}
