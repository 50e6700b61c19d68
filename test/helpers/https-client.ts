// A node:https GET to a TLS-terminating proxy the e2e suites start: trusts only the test's own
// certificate (as `curl --cacert` would), can send from another loopback address (so the proxy's view of
// the client differs from the proxy's own upstream address), one fresh connection per request.
import https from 'node:https';
import { WAIT_MS, type HttpAnswer } from './tracker.js';

export interface HttpsOptions {
  ca: string;
  /** Source address of the connection (e.g. 127.0.0.2); the system's choice when absent. */
  localAddress?: string;
  headers?: Record<string, string>;
  method?: string;
  timeoutMs?: number;
}

export function httpsGet(url: string, opts: HttpsOptions): Promise<HttpAnswer> {
  const timeoutMs = opts.timeoutMs ?? WAIT_MS;
  const method = opts.method ?? 'GET';
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: opts.ca, localAddress: opts.localAddress, headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
