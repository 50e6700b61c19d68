// The HTTP fuzzer's runner. Well-formed single requests go over a pool of keep-alive connections
// (throughput); framing cases each get a fresh net.Socket (writes as generated, with their delays, then
// open / FIN / destroy). Every response is parsed from the raw bytes and checked (http-checks.ts);
// silence is classified by what the request was owed (http-generator.ts `expect`).
import net from 'node:net';
import type { Example, Findings, RecentInputs } from './assertions.js';
import { checkHttpResponse } from './http-checks.js';
import { HttpGenerator, type HttpCase, type HttpRequestMeta } from './http-generator.js';
import { parseResponse, type HttpResponse } from './http-response.js';
import { Latency, type LatencySummary } from './latency.js';
import { Prng } from './prng.js';
import type { TrackerExpectations } from './udp-checks.js';

export interface HttpRunOptions {
  seed: number;
  /** e.g. "http/defaults": the PRNG stream label and the report's prefix */
  where: string;
  /** requests to send (a pipelined case counts each request) */
  count: number;
  deadline: number;
  port: number;
  expect: TrackerExpectations;
  findings: Findings;
  alive: () => boolean;
  /** the last inputs, for a crash report */
  recent?: RecentInputs;
  /** HTTP/1.0 and Host-less requests left unanswered are violations (not only reported) */
  strictHttp10: boolean;
  keepAliveConnections?: number;
  rawConcurrency?: number;
  /** silence longer than this is "no answer" */
  answerWaitMs?: number;
}

export interface HttpRunStats {
  requests: number;
  keepAliveRequests: number;
  rawCases: number;
  responses: number;
  byStatus: Record<string, number>;
  failureReasons: Record<string, number>;
  announcesServed: number;
  scrapesServed: number;
  elapsedMs: number;
  requestsPerSec: number;
  /** keep-alive requests: time from write to the whole response */
  latency: LatencySummary | null;
  stoppedBy: string;
}

type Outcome =
  | { kind: 'response'; res: HttpResponse; extra: Buffer }
  | { kind: 'closed' | 'timeout'; partial: Buffer }
  | { kind: 'invalid'; reason: string; partial: Buffer };

const FAILURE = /^d14:failure reason(\d+):/;

/** One keep-alive connection: one request at a time, the response read by Content-Length. */
class KeepAliveConn {
  private sock: net.Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private closed = true;
  private noBody = false;
  private done: ((o: Outcome) => void) | null = null;

  constructor(private readonly port: number) {}

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: this.port, noDelay: true });
      this.sock = s;
      this.buf = Buffer.alloc(0);
      this.closed = false;
      s.once('connect', () => {
        s.removeListener('error', reject);
        s.on('error', () => {});
        resolve();
      });
      s.once('error', reject);
      s.on('data', (c: Buffer) => {
        this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
        this.step();
      });
      s.on('close', () => {
        if (this.sock === s) {
          this.closed = true;
          this.step();
        }
      });
    });
  }

  private step(): void {
    const done = this.done;
    if (done === null) return;
    const p = parseResponse(this.buf, this.closed, this.noBody);
    if (p.kind === 'incomplete') {
      if (this.closed) {
        this.done = null;
        done({ kind: 'closed', partial: this.buf });
      }
      return;
    }
    this.done = null;
    if (p.kind === 'invalid') {
      done({ kind: 'invalid', reason: p.reason, partial: this.buf });
      return;
    }
    const extra = this.buf.subarray(p.used);
    this.buf = Buffer.alloc(0);
    done({ kind: 'response', res: p.response, extra });
  }

  async exchange(bytes: Buffer, noBody: boolean, timeoutMs: number): Promise<Outcome> {
    if (this.sock === null || this.closed) await this.open();
    this.noBody = noBody;
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        this.done = null;
        resolve({ kind: 'timeout', partial: this.buf });
      }, timeoutMs);
      this.done = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      this.sock!.write(bytes);
    });
  }

  reset(): void {
    this.sock?.destroy();
    this.sock = null;
    this.closed = true;
    this.buf = Buffer.alloc(0);
  }
}

/** A fresh socket: the writes with their delays, then open/FIN/destroy; collects until answered, closed or quiet. */
function rawExchange(port: number, c: HttpCase, waitMs: number): Promise<{ data: Buffer; closed: boolean; responses: HttpResponse[]; invalid: string | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let data = Buffer.alloc(0);
    let closed = false;
    let finished = false;
    let timer: NodeJS.Timeout | null = null;
    const responses: HttpResponse[] = [];
    let invalid: string | null = null;
    const noBody = c.requests.length === 1 && c.requests[0]!.method === 'HEAD';
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (timer !== null) clearTimeout(timer);
      s.destroy();
      resolve({ data, closed, responses, invalid });
    };
    const parse = (): void => {
      data = Buffer.concat(chunks);
      let rest = data.subarray(responses.reduce((n, r) => n + r.raw.length, 0));
      while (rest.length > 0 && invalid === null) {
        const p = parseResponse(rest, closed, noBody && responses.length === 0);
        if (p.kind === 'incomplete') break;
        if (p.kind === 'invalid') {
          invalid = p.reason;
          break;
        }
        responses.push(p.response);
        rest = rest.subarray(p.used);
        if (noBody) { // a HEAD answer: what follows its head is not another response
          if (rest.length > 0) invalid = `HEAD response followed by ${rest.length} body bytes`;
          break;
        }
      }
      if (invalid !== null || responses.length >= c.requests.length) finish();
    };
    s.on('data', (b: Buffer) => {
      chunks.push(b);
      parse();
    });
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      parse();
      finish();
    });
    s.once('connect', async () => {
      for (let i = 0; i < c.writes.length; i++) {
        if (i > 0 && c.delaysMs[i - 1]! > 0) await new Promise((r) => setTimeout(r, c.delaysMs[i - 1]));
        if (finished || s.destroyed) return;
        s.write(c.writes[i]!);
      }
      if (c.after === 'destroy') {
        s.destroy();
        finish();
        return;
      }
      if (c.after === 'end') s.end();
      timer = setTimeout(finish, waitMs);
    });
  });
}

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const w = this.waiting.shift();
    if (w !== undefined) w();
    else this.free++;
  }
}

export async function runHttpFuzzer(o: HttpRunOptions): Promise<HttpRunStats> {
  const waitMs = o.answerWaitMs ?? 2_000;
  const rng = new Prng(o.seed, o.where);
  const gen = new HttpGenerator(rng, o.expect.tokens);
  const stats: HttpRunStats = {
    requests: 0, keepAliveRequests: 0, rawCases: 0, responses: 0, byStatus: {}, failureReasons: {}, announcesServed: 0, scrapesServed: 0,
    elapsedMs: 0, requestsPerSec: 0, latency: null, stoppedBy: 'count',
  };
  const idle: KeepAliveConn[] = Array.from({ length: o.keepAliveConnections ?? 16 }, () => new KeepAliveConn(o.port));
  const idleWaiters: ((c: KeepAliveConn) => void)[] = [];
  const takeConn = (): Promise<KeepAliveConn> => (idle.length > 0 ? Promise.resolve(idle.pop()!) : new Promise((r) => idleWaiters.push(r)));
  const giveConn = (c: KeepAliveConn): void => {
    const w = idleWaiters.shift();
    if (w !== undefined) w(c);
    else idle.push(c);
  };
  const latency = new Latency();
  const rawSlots = new Semaphore(o.rawConcurrency ?? 384);
  const inFlight = new Set<Promise<void>>();

  const example = (index: number, c: HttpCase, detail: string, reply?: Buffer): Example => ({
    where: o.where, index, tags: c.tags, detail, input: c.writes, reply: reply?.subarray(0, 512),
  });

  const tally = (meta: HttpRequestMeta, res: HttpResponse): void => {
    stats.responses++;
    stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
    const f = FAILURE.exec(res.body.toString('latin1', 0, 32));
    if (f !== null) {
      const text = res.body.toString('latin1', f[0].length, f[0].length + Number(f[1]));
      stats.failureReasons[text] = (stats.failureReasons[text] ?? 0) + 1;
    } else if (res.status === 200 && meta.route === 'announce') {
      stats.announcesServed++;
    } else if (res.status === 200 && meta.route === 'scrape') {
      stats.scrapesServed++;
    }
  };

  const judge = (index: number, c: HttpCase, meta: HttpRequestMeta, res: HttpResponse): void => {
    tally(meta, res);
    checkHttpResponse(meta, res, o.expect, (kind, detail) => o.findings.violation(kind, example(index, c, detail, res.raw)));
  };

  /** Silence (or a close) where request `meta` was owed an answer. */
  const unanswered = (index: number, c: HttpCase, meta: HttpRequestMeta, how: 'closed' | 'timeout', detail: string): void => {
    const silence = how === 'timeout' ? 'no answer within 2 s' : 'closed without an answer';
    const ex = example(index, c, detail);
    switch (meta.expect) {
      case 'none':
        return;
      case 'http10':
      case 'no-host':
        o.findings.noteOrViolation(o.strictHttp10, `http: ${silence}: ${meta.what}`, ex);
        return;
      case 'malformed':
        o.findings.note(`http: ${silence}: ${meta.what} (malformed; reported, not a violation)`, ex);
        return;
      case 'limit':
        o.findings.note(`http: ${silence}: ${meta.what} (over a uWS limit; reported, not a violation)`, ex);
        return;
      default:
        o.findings.violation(`http: ${silence} to a well-formed request: ${meta.what}`, ex);
    }
  };

  const runKeepAlive = async (index: number, c: HttpCase): Promise<void> => {
    const conn = await takeConn();
    try {
      const meta = c.requests[0]!;
      let out: Outcome;
      try {
        const t0 = performance.now();
        out = await conn.exchange(c.writes[0]!, meta.method === 'HEAD', waitMs);
        if (out.kind === 'response') latency.record(performance.now() - t0);
      } catch (err) {
        o.findings.note('http: keep-alive connect failed', example(index, c, String(err)));
        conn.reset();
        return;
      }
      if (out.kind === 'response') {
        judge(index, c, meta, out.res);
        if (out.extra.length > 0) {
          o.findings.violation('http: bytes after the response to a single request', example(index, c, `${out.extra.length} bytes`, out.extra));
          conn.reset();
        } else if (c.connectionClose || out.res.headers.get('connection')?.toLowerCase() === 'close') {
          conn.reset();
        }
      } else if (out.kind === 'invalid') {
        o.findings.violation('http: response is not valid HTTP/1.x', example(index, c, out.reason, out.partial));
        conn.reset();
      } else {
        unanswered(index, c, meta, out.kind, `${out.partial.length} bytes received`);
        conn.reset();
      }
    } finally {
      giveConn(conn);
    }
  };

  const runRaw = async (index: number, c: HttpCase): Promise<void> => {
    try {
      const r = await rawExchange(o.port, c, waitMs);
      if (c.after === 'destroy') {
        // answers that came before the close are judged like any other
        r.responses.forEach((res, i) => { if (c.requests[i] !== undefined) judge(index, c, c.requests[i]!, res); });
        return;
      }
      const n = Math.min(r.responses.length, c.requests.length);
      for (let i = 0; i < n; i++) judge(index, c, c.requests[i]!, r.responses[i]!);
      if (r.invalid !== null) {
        if (r.invalid.startsWith('HEAD response followed')) o.findings.note('http: HEAD answered with a body (reported, not a violation)', example(index, c, r.invalid, r.data));
        else o.findings.violation('http: response is not valid HTTP/1.x', example(index, c, r.invalid, r.data));
      }
      if (r.responses.length > c.requests.length) {
        o.findings.violation('http: more responses than requests', example(index, c, `${r.responses.length} > ${c.requests.length}`, r.data));
      }
      if (r.responses.length < c.requests.length && r.invalid === null) {
        const how = r.closed ? 'closed' : 'timeout';
        if (c.pipelined) {
          o.findings.note(`http: pipelined batch left requests unanswered (${how === 'closed' ? 'connection closed' : 'no answer within 2 s'}; ${c.requests[0]!.what})`,
            example(index, c, `${r.responses.length} of ${c.requests.length} answered`));
        } else {
          unanswered(index, c, c.requests[r.responses.length]!, how, `${r.data.length} bytes received`);
        }
      }
    } finally {
      rawSlots.release();
    }
  };

  // keep-alive cases queued or running, at most two per connection
  const kaLimit = idle.length * 2;
  let kaQueued = 0;
  let kaRoom: (() => void) | null = null;
  const kaDone = (): void => {
    kaQueued--;
    const w = kaRoom;
    kaRoom = null;
    w?.();
  };

  const started = performance.now();
  for (let index = 0; stats.requests < o.count; index++) {
    if ((index & 127) === 0) {
      if (Date.now() > o.deadline) {
        stats.stoppedBy = 'time';
        break;
      }
      if (!o.alive()) {
        stats.stoppedBy = 'tracker exited';
        break;
      }
    }
    const c = gen.next();
    o.recent?.add(o.where, index, c.tags, c.writes);
    stats.requests += Math.max(1, c.requests.length);
    let p: Promise<void>;
    if (c.lane === 'keepalive') {
      stats.keepAliveRequests++;
      while (kaQueued >= kaLimit) await new Promise<void>((r) => { kaRoom = r; });
      kaQueued++;
      p = runKeepAlive(index, c).finally(kaDone);
    } else {
      stats.rawCases++;
      await rawSlots.acquire();
      p = runRaw(index, c);
    }
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  for (const conn of idle) conn.reset();
  stats.elapsedMs = Math.round(performance.now() - started);
  stats.requestsPerSec = Math.round(stats.requests / (stats.elapsedMs / 1000));
  stats.latency = latency.summary();
  return stats;
}
