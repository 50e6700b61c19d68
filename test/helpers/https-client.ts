// A node:https GET to a TLS-terminating proxy the e2e suites start: trusts only the test's own
// certificate (as `curl --cacert` would), can send from another loopback address (so the proxy's view of
// the client differs from the proxy's own upstream address), one fresh connection per request.
import https from 'node:https';
import { answerOf, WAIT_MS, type HttpAnswer } from './tracker.js';

export interface HttpsOptions {
  ca: string;
  /** Source address of the connection (e.g. 127.0.0.2); the system's choice when absent. */
  localAddress?: string;
  headers?: Record<string, string>;
  method?: string;
  timeoutMs?: number;
}

export function httpsGet(url: string, opts: HttpsOptions): Promise<HttpAnswer> {
  const method = opts.method ?? 'GET';
  const req = https.request(url, { method, ca: opts.ca, localAddress: opts.localAddress, headers: opts.headers ?? {}, agent: false });
  return answerOf(req, method, url, opts.timeoutMs ?? WAIT_MS);
}
