// The soak's generator threads (soak-thread.ts), driven from the main thread: run a paced load on every
// thread at once (each over its own part of the pool), take every thread's window of figures and
// merge them, stop. Bounded: a thread that does not answer within 30 s fails the run.
import { Worker } from 'node:worker_threads';
import { decodeHistogram, newHistogram, summarize } from '../load/histogram.js';
import type { PacedLoadOptions } from '../load/paced/paced-load.js';
import type { ProtoFigures, TallyWindow } from '../load/paced/tally.js';
import type { FromSoakThread, ToSoakThread } from './soak-thread.js';

const THREAD_FILE = new URL('./soak-thread.js', import.meta.url);
const ANSWER_MS = 30_000;

export interface MergedWindow {
  elapsedMs: number;
  http: ProtoFigures;
  udp: ProtoFigures;
  sent: number;
}

export class SoakThreads {
  private readonly workers: Worker[] = [];
  private readonly windowWaiters: ((w: { window: TallyWindow; sent: number }) => void)[][] = [];
  private readonly finishWaiters: ((w: { window: TallyWindow; sent: number; late: number }) => void)[] = [];
  private failure: Error | null = null;

  constructor(readonly count: number) {
    for (let i = 0; i < count; i++) {
      const w = new Worker(THREAD_FILE);
      this.windowWaiters.push([]);
      w.on('message', (m: FromSoakThread) => {
        if (m.type === 'window') this.windowWaiters[i]!.shift()?.(m);
        else if (m.type === 'finished') this.finishWaiters[i]?.(m);
        else this.failure = new Error(`generator thread ${i}: ${m.message}`);
      });
      w.on('error', (err) => { this.failure = new Error(`generator thread ${i}: ${err.message}`); });
      this.workers.push(w);
    }
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Starts `optsOf(i)` on every thread; resolves when all have finished, with their last windows merged. */
  run(optsOf: (i: number) => PacedLoadOptions): Promise<MergedWindow & { late: number }> {
    this.check();
    const done = this.workers.map((w, i) => new Promise<{ window: TallyWindow; sent: number; late: number }>((resolve) => {
      this.finishWaiters[i] = resolve;
      w.postMessage({ type: 'run', opts: optsOf(i) } satisfies ToSoakThread);
    }));
    return Promise.all(done).then((parts) => {
      this.check();
      return { ...merge(parts), late: parts.reduce((a, p) => a + p.late, 0) };
    });
  }

  /** Every thread's figures since its last window, merged. */
  async take(): Promise<MergedWindow> {
    this.check();
    const parts = await Promise.all(this.workers.map((w, i) => bounded(new Promise<{ window: TallyWindow; sent: number }>((resolve) => {
      this.windowWaiters[i]!.push(resolve);
      w.postMessage({ type: 'take' } satisfies ToSoakThread);
    }), `generator thread ${i} window`)));
    return merge(parts);
  }

  stop(): void {
    for (const w of this.workers) w.postMessage({ type: 'stop' } satisfies ToSoakThread);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ANSWER_MS} ms`)), ANSWER_MS); })])
    .finally(() => clearTimeout(timer));
}

function mergeProto(parts: ProtoFigures[], histograms: string[]): ProtoFigures {
  const h = newHistogram();
  for (const text of histograms) h.add(decodeHistogram(text));
  const out: ProtoFigures = { ok: 0, wrongCounts: 0, failures: {}, lost: { timeout: 0, reset: 0, 'bad-reply': 0 }, events: {}, latency: summarize(h) };
  for (const p of parts) {
    out.ok += p.ok;
    out.wrongCounts += p.wrongCounts;
    for (const [k, v] of Object.entries(p.failures)) out.failures[k] = (out.failures[k] ?? 0) + v;
    out.lost.timeout += p.lost.timeout;
    out.lost.reset += p.lost.reset;
    out.lost['bad-reply'] += p.lost['bad-reply'];
    for (const [k, v] of Object.entries(p.events) as [keyof ProtoFigures['events'], number][]) out.events[k] = (out.events[k] ?? 0) + v;
  }
  return out;
}

export function merge(parts: { window: TallyWindow; sent: number }[]): MergedWindow {
  return {
    elapsedMs: Math.max(...parts.map((p) => p.window.elapsedMs)),
    http: mergeProto(parts.map((p) => p.window.http), parts.map((p) => p.window.histograms.http)),
    udp: mergeProto(parts.map((p) => p.window.udp), parts.map((p) => p.window.histograms.udp)),
    sent: parts.reduce((a, p) => a + p.sent, 0),
  };
}
