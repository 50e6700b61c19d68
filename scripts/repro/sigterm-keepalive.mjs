// Reproducer: SIGTERM to hayate (dist/main.js) while keep-alive clients are sending announces. Each of
// CONNECTIONS connections sends one announce at a time, the next as soon as the previous is answered
// (no pipelining). After 1 s the process gets SIGTERM. Printed: requests written, answered, and those
// whose connection closed with the request unanswered (the client cannot tell whether the tracker
// applied it; RFC 9112 section 9.3.1 lets it retry only idempotent requests), plus the exit.
//
//   npm run build && node scripts/repro/sigterm-keepalive.mjs [ioThreads] [workers]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONNECTIONS = 32;
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const ioThreads = Number(process.argv[2] ?? 2);
const workers = Number(process.argv[3] ?? 0);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

const [http, api] = [await freePort(), await freePort()];
const dir = mkdtempSync(join(tmpdir(), 'hayate-repro-'));
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({
  httpListenAddr: `127.0.0.1:${http}`, apiListenAddr: `127.0.0.1:${api}`, udpListenAddr: '', ioThreads, workers, httpRequestTimeout: '2s',
}));
const child = spawn(process.execPath, [MAIN, `-config=${config}`], { stdio: ['ignore', 'inherit', 'inherit'] });
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
for (let i = 0; ; i++) {
  const up = await new Promise((resolve) => {
    const s = net.connect(api, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
  if (up) break;
  if (i > 100) throw new Error('hayate did not start');
  await new Promise((r) => setTimeout(r, 50));
}

const counts = { written: 0, answered: 0, unansweredAtClose: 0, refused: 0, closedIdle: 0 };
// Each connection sends its next request as soon as the previous is answered, unless the answer said
// `Connection: close`: then it closes and reconnects, as an HTTP/1.1 client must.
let stopping = false;
function connection(n) {
  const ih = Buffer.alloc(20, n).toString('hex').replace(/../g, '%$&');
  const request = (k) => `GET /announce?info_hash=${ih}&peer_id=-HY0001-${String(n).padStart(4, '0')}${String(k % 1e8).padStart(8, '0')}` +
    `&port=6881&uploaded=0&downloaded=0&left=1&numwant=5&ip=10.0.${n}.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  let k = 0;
  let waiting = false;
  let buf = '';
  let connected = false;
  const s = net.connect({ port: http, host: '127.0.0.1', noDelay: true });
  const send = () => { waiting = true; counts.written++; s.write(request(k++)); };
  s.on('connect', () => { connected = true; send(); });
  s.on('data', (d) => {
    buf += d.toString('latin1');
    const end = buf.indexOf('\r\n\r\n');
    const len = /Content-Length: (\d+)/i.exec(buf);
    if (end < 0 || len === null || buf.length < end + 4 + Number(len[1])) return;
    const close = /\r\nConnection: close\r\n/i.test(buf.slice(0, end + 2));
    buf = buf.slice(end + 4 + Number(len[1]));
    waiting = false;
    counts.answered++;
    if (close) s.end(); // RFC 9112 section 9.6: no further request on this connection
    else send();
  });
  s.on('error', () => {});
  s.on('close', () => {
    if (waiting) counts.unansweredAtClose++;
    else if (!connected) counts.refused++;
    else counts.closedIdle++;
    if (!stopping) setTimeout(() => connection(n), 20); // a client reconnects
  });
}
for (let n = 0; n < CONNECTIONS; n++) connection(n);
await new Promise((r) => setTimeout(r, 1000));
const sigAt = performance.now();
child.kill('SIGTERM');
const exit = await Promise.race([exited, new Promise((r) => setTimeout(() => r({ code: 'still running after 10 s' }), 10_000))]);
stopping = true;
await new Promise((r) => setTimeout(r, 200));
console.log(`ioThreads ${ioThreads}, workers ${workers}: exit ${JSON.stringify({ code: exit.code, signal: exit.signal })} ` +
  `${exit.at === undefined ? '' : `${Math.round(exit.at - sigAt)} ms after SIGTERM`}`);
console.log(`requests written ${counts.written}, answered ${counts.answered}, connection closed with the request unanswered ${counts.unansweredAtClose}` +
  `, connects refused ${counts.refused}, connections closed with nothing unanswered ${counts.closedIdle}`);
child.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
process.exit(0);
