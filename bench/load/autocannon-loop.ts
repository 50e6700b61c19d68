// One generator thread driving autocannon: keep-alive connections, request targets from a PathSource via
// setupRequest, each response's latency recorded in microseconds into our own histogram (autocannon's
// own is millisecond-grained).
import autocannon from 'autocannon';
import { encodeHistogram, newHistogram, recordMicros } from './histogram.js';
import { pathIterator } from './path-iterator.js';
import type { HttpTask, ThreadResult } from './types.js';

export function runAutocannon(task: HttpTask, onProgress: (done: number) => void): Promise<ThreadResult> {
  const it = pathIterator(task.source);
  const hist = newHistogram();
  const statusCodes: Record<string, number> = {};
  let done = 0;
  let non2xx = 0;
  let fallback = '/';
  let lastAnswerAt = 0;
  const amount = Number.isFinite(it.size)
    ? Math.min(it.size, task.maxRequests > 0 ? task.maxRequests : Infinity)
    : task.maxRequests;
  const connections = amount > 0 ? Math.max(1, Math.min(task.connections, amount)) : task.connections;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: `http://${task.host}:${task.port}`,
      connections,
      duration: task.durationSec,
      amount: amount > 0 ? amount : undefined,
      timeout: task.timeoutSec,
      sampleInt: 100, // autocannon notices the end of a run on its sampling tick
      requests: [{
        method: 'GET',
        setupRequest: (req) => {
          // autocannon builds one request ahead per connection; past the end of a once-only list the
          // last target is repeated and never sent (`amount` stops the run first).
          const p = it.next();
          if (p !== null) fallback = p;
          req.path = fallback;
          return req;
        },
      }],
    }, (err, result) => {
      clearTimeout(hardStop);
      clearInterval(ticker);
      if (err !== null) {
        reject(err);
        return;
      }
      resolve({
        requests: done,
        errors: result.errors - result.timeouts,
        timeouts: result.timeouts,
        non2xx,
        failures: 0,
        late: 0,
        statusCodes,
        // First request to last answer: autocannon's own end comes up to one tick late.
        elapsedSec: ((done > 0 ? lastAnswerAt : performance.now()) - started) / 1000,
        histogram: encodeHistogram(hist),
        notes: result.resets > 0 ? [`${result.resets} connection resets`] : [],
      });
    });
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      done++;
      lastAnswerAt = performance.now();
      recordMicros(hist, responseTimeMs * 1000);
      if (statusCode < 200 || statusCode > 299) non2xx++;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
    const ticker = setInterval(() => onProgress(done), 250);
    // autocannon ignores `duration` when `amount` is set: the time bound is ours.
    const hardStop = setTimeout(() => instance.stop(), (task.durationSec + (amount > 0 ? 0 : 5)) * 1000);
  });
}
