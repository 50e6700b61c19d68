// Reproducer: what uWebSockets.js 20.30 (package alias uWebSockets.js) does with HTTP/1.0 requests, with
// HTTP/1.1 requests without Host, and with pipelined requests answered asynchronously. Starts one app in
// this process and sends raw requests over net.Socket (and curl --http1.0), each bounded in time; prints
// for each case the bytes received, whether and when the server closed the connection, and how many
// times a JS handler ran.
//
//   node scripts/repro/uws-http-parsing.mjs [--wait-ms 16000]
import { spawn } from 'node:child_process';
import net from 'node:net';
import uWS from 'uWebSockets.js';

const waitIdx = process.argv.indexOf('--wait-ms');
const WAIT_MS = waitIdx > 0 ? Number(process.argv[waitIdx + 1]) : 16_000; // past uWS's 10 s idle timeout

// Handler runs per case: every request carries ?c=<case number>.
const calls = new Map();
const count = (c, what) => { const k = calls.get(c) ?? {}; k[what] = (k[what] ?? 0) + 1; calls.set(c, k); };
const app = uWS.App();
// Answers at once, writing a status and a header explicitly.
app.get('/sync', (res, req) => {
  count(req.getQuery('c'), 'sync');
  res.writeStatus('200 OK').writeHeader('Connection', 'close').end('sync\n');
});
// Answers 50 ms later, as hayate does when it waits for a dispatcher or a JWT check.
app.get('/async', (res, req) => {
  const c = req.getQuery('c');
  count(c, 'async');
  let aborted = false;
  res.onAborted(() => { aborted = true; count(c, 'aborted'); });
  setTimeout(() => { if (!aborted) res.cork(() => res.end('async\n')); }, 50);
});
// Anything else: the catch-all route.
app.any('/*', (res, req) => { count(req.getQuery('c'), 'any'); res.end('any\n'); });

const port = await new Promise((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(uWS.us_socket_local_port(s)) : reject(new Error('listen failed')))));

/** Sends `payload` in one write; resolves with what came back and when the server closed (or not). */
function raw(payload, waitMs = WAIT_MS) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let firstByteMs = null;
    const done = (how) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ how, afterMs: Date.now() - t0, firstByteMs, bytes: Buffer.byteLength(data), text: data });
    };
    const timer = setTimeout(() => done(`still open after ${waitMs} ms (client gave up)`), waitMs);
    const halfClose = payload.startsWith('HALFCLOSE:');
    sock.on('connect', () => (halfClose ? sock.end(payload.slice(10)) : sock.write(payload)));
    sock.on('data', (d) => { firstByteMs ??= Date.now() - t0; data += d.toString('latin1'); });
    sock.on('end', () => done('server closed (FIN)'));
    sock.on('error', (e) => done(`error ${e.code}`));
  });
}

function show(name, r, c) {
  const ran = JSON.stringify(calls.get(String(c)) ?? {});
  const statusLines = (r.text.match(/HTTP\/1\.[01] \d{3}[^\r]*/g) ?? []).join(' | ');
  console.log(`${name}\n  -> ${r.how} after ${r.afterMs} ms; ${r.bytes} bytes back${r.firstByteMs === null ? '' : ` (first at ${r.firstByteMs} ms)`}` +
    `${statusLines ? `; status lines: ${statusLines}` : ''}; handler runs: ${ran}`);
}

// "#" in a payload becomes the case number (the handlers count runs per case).
const cases = [
  ['HTTP/1.1 GET /sync with Host (control)', 'GET /sync?c=# HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['HTTP/1.0 GET /sync without Host', 'GET /sync?c=# HTTP/1.0\r\n\r\n'],
  ['HTTP/1.0 GET /sync with Host', 'GET /sync?c=# HTTP/1.0\r\nHost: a\r\n\r\n'],
  ['HTTP/1.0 GET /other (catch-all any /*) with Host', 'GET /other?c=# HTTP/1.0\r\nHost: a\r\n\r\n'],
  ['HTTP/1.0 GET /sync with Host and Connection: keep-alive', 'GET /sync?c=# HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n'],
  ['HTTP/1.0 with Host, then 4 KiB of junk headers (fills the parser buffer)', `GET /sync?c=# HTTP/1.0\r\nHost: a\r\nX-Pad: ${'p'.repeat(4200)}\r\n\r\n`],
  ['HTTP/1.1 GET /sync without Host and no header at all', 'GET /sync?c=# HTTP/1.1\r\n\r\n'],
  ['HTTP/1.1 GET /sync without Host, with another header', 'GET /sync?c=# HTTP/1.1\r\nAccept: */*\r\n\r\n'],
  ['HTTP/1.0 GET /sync with Host, then the client half-closes (FIN)', 'HALFCLOSE:GET /sync?c=# HTTP/1.0\r\nHost: a\r\n\r\n'],
  ['HTTP/1.1 GET /sync with an empty Host', 'GET /sync?c=# HTTP/1.1\r\nHost:\r\n\r\n'],
  ['HTTP/1.1 GET /no-route-needed via any (control)', 'GET /zzz?c=# HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['3 pipelined HTTP/1.1 GET /sync in one write', 'GET /sync?c=# HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(3)],
  ['3 pipelined HTTP/1.1 GET /async in one write (answers 50 ms later via res.cork)', 'GET /async?c=# HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(3)],
  ['1 HTTP/1.1 GET /async (control)', 'GET /async?c=# HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['HTTP/1.0 request then an HTTP/1.1 request in the same write', 'GET /sync?c=# HTTP/1.0\r\nHost: a\r\n\r\nGET /sync?c=# HTTP/1.1\r\nHost: a\r\n\r\n'],
];

// All cases at once, each on its own connection (a hanging one is waited for up to WAIT_MS), plus curl.
function curl(args) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn('curl', [...args, '-sS', '-m', String(Math.ceil(WAIT_MS / 1000)), '-o', '-', '-w', '\\nHTTP_CODE=%{http_code}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => resolve({ code, afterMs: Date.now() - t0, out: out.trim(), err: err.trim() }));
  });
}
const n = cases.length;
const [results, c10, c11] = await Promise.all([
  Promise.all(cases.map(([, payload], i) => raw(payload.replaceAll('#', String(i))))),
  curl(['--http1.0', `http://127.0.0.1:${port}/sync?c=${n}`]),
  curl([`http://127.0.0.1:${port}/sync?c=${n + 1}`]),
]);
cases.forEach(([name], i) => show(name, results[i], i));
console.log(`curl --http1.0 http://127.0.0.1:PORT/sync\n  -> exit ${c10.code} after ${c10.afterMs} ms; stdout ${JSON.stringify(c10.out)}; stderr ${JSON.stringify(c10.err)}; handler runs: ${JSON.stringify(calls.get(String(n)) ?? {})}`);
console.log(`curl (HTTP/1.1) http://127.0.0.1:PORT/sync\n  -> exit ${c11.code} after ${c11.afterMs} ms; stdout ${JSON.stringify(c11.out)}; handler runs: ${JSON.stringify(calls.get(String(n + 1)) ?? {})}`);
process.exit(0);
