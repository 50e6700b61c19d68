// A GET that cannot stall its caller: one wall-clock deadline covers connect, response headers and the
// whole body; the body is read incrementally and refused at a byte limit; an abandoned request's socket
// is destroyed, whatever phase it was in.
//
// Why not `fetch(uri, { signal: AbortSignal.any([ctl.signal, AbortSignal.timeout(ms)]) })` and
// `res.text()`, as before:
// - On Node 20 the timer behind AbortSignal.timeout() holds its signal only weakly, and so does
//   AbortSignal.any() its sources: a garbage collection before the deadline collects the timeout
//   signal, cancels its timer, and the composite never aborts. The fetch then lasts as long as the
//   server keeps the connection open (headers then a trickled body: minutes).
// - res.text() reads a chunked body (no content-length) whole before any size check can run.
// - fetch() aborted while connecting leaves its socket connecting: undici keeps it until its own connect
//   timeout (10 s), one more socket per abandoned attempt against a host that never accepts.
// So by default this uses node:http / node:https with a fresh connection per request, and destroys the
// request at the deadline; the deadline is a plain setTimeout whose callback holds our own
// AbortController strongly, and the caller's promise is raced against it, so the caller is released at
// the deadline even if some promise underneath never settles. An injected fetch (tests, embedders) gets
// the same deadline and byte limit; its sockets are its own business.
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';

const noop = (): void => {};
/** Redirects followed, as fetch() and Go's http.Get do (fewer: a key-set URL has no business chaining). */
const MAX_REDIRECTS = 5;

export interface BoundedFetchOptions {
  /** Wall-clock budget of the whole exchange: connect, headers and body (redirects included). */
  deadlineMs: number;
  /** Largest body accepted, in bytes; reading stops before more than this is held. */
  maxBodyBytes: number;
  /** Aborting this abandons the request at once, as the deadline does. */
  stop?: AbortSignal;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Use this instead of node:http(s). */
  fetch?: typeof fetch;
}

/**
 * GETs `uri` and resolves with the body of a 200 response decoded as UTF-8 (a leading BOM removed, as
 * res.text() does); rejects on any other status, a body over maxBodyBytes, network errors, and at the
 * deadline or on `stop`, in which case the request is destroyed.
 */
export function boundedFetchText(uri: string, opts: BoundedFetchOptions): Promise<string> {
  const ctl = new AbortController();
  let abandonedBy: Error | null = null;
  let rejectAbandoned: (err: Error) => void = noop;
  const abandoned = new Promise<never>((_, reject) => {
    rejectAbandoned = reject;
  });
  const abandon = (why: Error): void => {
    if (abandonedBy !== null) return;
    abandonedBy = why;
    ctl.abort(why); // the transport destroys its request (and socket) on this
    rejectAbandoned(why);
  };
  // Unref'd like the key-set refresh timer: this fetch never keeps a process alive on its own.
  const timer = setTimeout(
    () => abandon(new Error(`timeout: no complete response within ${opts.deadlineMs} ms`)),
    opts.deadlineMs,
  );
  timer.unref();
  const onStop = (): void => abandon(new Error('aborted: fetch stopped'));
  if (opts.stop !== undefined) {
    if (opts.stop.aborted) onStop();
    else opts.stop.addEventListener('abort', onStop, { once: true });
  }

  const work = opts.fetch !== undefined
    ? viaFetch(opts.fetch, uri, opts, ctl.signal)
    : viaNode(new URL(uri), opts, ctl.signal, 0);
  work.catch(noop); // once abandoned its outcome no longer matters, and must not surface as unhandled

  return Promise.race([work, abandoned]).finally(() => {
    clearTimeout(timer);
    opts.stop?.removeEventListener('abort', onStop);
  });
}

function viaNode(url: URL, opts: BoundedFetchOptions, signal: AbortSignal, redirects: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const get = url.protocol === 'https:' ? httpsGet : url.protocol === 'http:' ? httpGet : null;
    if (get === null) throw new Error(`unsupported URL scheme ${url.protocol}`);
    // agent: false = a connection of our own, closed after the response: nothing idles in a pool, and
    // destroying the request destroys exactly that socket, connecting or not.
    const req = get(url, { headers: opts.headers, agent: false, signal }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (location !== undefined && (status === 301 || status === 302 || status === 303 || status === 307 || status === 308)) {
        res.destroy();
        if (redirects >= MAX_REDIRECTS) return reject(new Error(`more than ${MAX_REDIRECTS} redirects`));
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return reject(new Error(`bad redirect location ${JSON.stringify(location)}`));
        }
        return void viaNode(next, opts, signal, redirects + 1).then(resolve, reject);
      }
      if (status !== 200) {
        res.destroy();
        return reject(new Error(`HTTP status ${status}`));
      }
      const declared = Number(res.headers['content-length'] ?? '0');
      if (declared > opts.maxBodyBytes) {
        res.destroy();
        return reject(new Error(`body of ${declared} bytes exceeds ${opts.maxBodyBytes}`));
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        if (total + chunk.length > opts.maxBodyBytes) {
          // Chunked bodies carry no content-length: this is where a 10 MB answer stops, not after it.
          res.destroy();
          chunks.length = 0;
          return reject(new Error(`body exceeds ${opts.maxBodyBytes} bytes`));
        }
        chunks.push(chunk);
        total += chunk.length;
      });
      res.on('end', () => resolve(new TextDecoder().decode(Buffer.concat(chunks, total))));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error('connection closed before the body was complete'));
      });
    });
    req.on('error', (err) => reject(signal.aborted ? signal.reason : err));
  });
}

async function viaFetch(fetchFn: typeof fetch, uri: string, opts: BoundedFetchOptions, signal: AbortSignal): Promise<string> {
  const res = await fetchFn(uri, { signal, headers: opts.headers });
  if (res.status !== 200) {
    res.body?.cancel().catch(noop);
    throw new Error(`HTTP status ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > opts.maxBodyBytes) {
    res.body?.cancel().catch(noop);
    throw new Error(`body of ${declared} bytes exceeds ${opts.maxBodyBytes}`);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  // Cancel the body ourselves when abandoned, should the fetch implementation not act on the signal.
  const onAbort = (): void => void reader.cancel(signal.reason).catch(noop);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw signal.reason;
      if (done) return new TextDecoder().decode(Buffer.concat(chunks, total));
      if (total + value.byteLength > opts.maxBodyBytes) {
        reader.cancel().catch(noop);
        throw new Error(`body exceeds ${opts.maxBodyBytes} bytes`);
      }
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
