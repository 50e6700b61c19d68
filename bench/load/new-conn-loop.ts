// One generator thread opening a new TCP connection for every request (`Connection: close`), as
// short-lived clients do. `connections` loops run side by side; each: connect, send, read one response,
// record connect-to-last-byte latency, close, repeat. Raw node:net (no http.Agent) to keep the
// generator cheap; bodies are checked for a bencoded `failure reason`.
import net from 'node:net';
import { encodeHistogram, newHistogram, recordMicros } from './histogram.js';
import { pathIterator } from './path-iterator.js';
import type { HttpTask, ThreadResult } from './types.js';

const HEADER_END = Buffer.from('\r\n\r\n');
const FAILURE = Buffer.from('d14:failure reason');

/** Content-Length of a header block (latin1 text), or -1. */
function contentLength(head: string): number {
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return m === null ? -1 : Number(m[1]);
}

export function runNewConnections(task: HttpTask, onProgress: (done: number) => void): Promise<ThreadResult> {
  const it = pathIterator(task.source);
  const hist = newHistogram();
  const r: ThreadResult = {
    requests: 0, errors: 0, timeouts: 0, non2xx: 0, failures: 0, late: 0, statusCodes: {}, elapsedSec: 0, histogram: '', notes: [],
  };
  const hostHeader = `Host: ${task.host}:${task.port}\r\nConnection: close\r\nUser-Agent: hayate-bench\r\n\r\n`;
  const started = performance.now();
  const deadline = started + task.durationSec * 1000;
  let issued = 0;
  let running = task.connections;

  return new Promise((resolve) => {
    const ticker = setInterval(() => onProgress(r.requests), 250);
    const finishOne = (): void => {
      if (--running > 0) return;
      clearInterval(ticker);
      r.elapsedSec = (performance.now() - started) / 1000;
      r.histogram = encodeHistogram(hist);
      resolve(r);
    };

    const loop = (): void => {
      if (performance.now() >= deadline || (task.maxRequests > 0 && issued >= task.maxRequests)) return finishOne();
      const path = it.next();
      if (path === null) return finishOne();
      issued++;
      const t0 = performance.now();
      const chunks: Buffer[] = [];
      let bytes = 0;
      let settled = false;
      let answered = false;
      const sock = net.connect({ host: task.host, port: task.port, noDelay: true });
      sock.setTimeout(task.timeoutSec * 1000);
      // The answer is counted as soon as it is complete; the next connection starts when this one has
      // closed. The server is left to close first (Connection: close), so TIME_WAIT stays on its side
      // and the generator does not run out of ephemeral ports; a server that keeps the connection open
      // gets 1 s before the generator closes it.
      const answer = (): void => {
        if (answered) return;
        answered = true;
        const all = Buffer.concat(chunks, bytes);
        const headEnd = all.indexOf(HEADER_END);
        const status = Number(all.toString('latin1', 9, 12));
        r.requests++;
        recordMicros(hist, (performance.now() - t0) * 1000);
        r.statusCodes[status] = (r.statusCodes[status] ?? 0) + 1;
        if (!(status >= 200 && status <= 299)) r.non2xx++;
        if (headEnd >= 0 && all.indexOf(FAILURE, headEnd + 4) === headEnd + 4) r.failures++;
        sock.setTimeout(1000);
      };
      const settle = (outcome: 'closed' | 'error' | 'timeout'): void => {
        if (settled) return;
        settled = true;
        if (!answered) {
          if (outcome === 'timeout') r.timeouts++;
          else r.errors++;
        }
        sock.destroy();
        setImmediate(loop);
      };
      sock.on('connect', () => sock.write(`GET ${path} HTTP/1.1\r\n${hostHeader}`));
      sock.on('data', (chunk: Buffer) => {
        if (answered) return;
        chunks.push(chunk);
        bytes += chunk.length;
        const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, bytes);
        const headEnd = all.indexOf(HEADER_END);
        if (headEnd < 0) return;
        const len = contentLength(all.toString('latin1', 0, headEnd + 2));
        if (len >= 0 && bytes >= headEnd + 4 + len) answer();
      });
      sock.on('end', () => {
        if (bytes > 0) answer();
        settle('closed');
      });
      sock.on('timeout', () => settle('timeout'));
      sock.on('error', () => settle('error'));
      sock.on('close', () => settle('closed'));
    };
    for (let i = 0; i < task.connections; i++) loop();
  });
}
