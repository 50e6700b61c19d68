// Reproducer: two worker threads, each with its own uWebSockets.js 20.30 App listening on the same port
// (uSockets sets SO_REUSEPORT on listen sockets), loaded by wrk; prints how the connections and the
// requests spread over the two threads.
// Connections per thread: in the middle of the run, every established connection on the port (from
// /proc/net/tcp) is found among this process's fds and then in the epoll set of one thread's event loop
// (/proc/self/fdinfo/<epoll fd> lists the fds each epoll instance watches). Requests per thread: counted
// by the handlers.
//
//   node scripts/repro/uws-two-workers-wrk.mjs [--connections 50] [--sec 5] [--rounds 3]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import uWS from 'uWebSockets.js';

const opt = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i < 0 ? dflt : Number(process.argv[i + 1]); };

if (!isMainThread) {
  let requests = 0;
  const app = uWS.App().get('/*', (res) => { requests++; res.end('ok'); });
  app.listen('127.0.0.1', workerData.port, (ls) => {
    if (!ls) throw new Error(`listen on ${workerData.port} failed`);
    parentPort.postMessage({ port: uWS.us_socket_local_port(ls) });
  });
  parentPort.on('message', (m) => {
    if (m === 'count') parentPort.postMessage({ requests });
    else { app.close(); parentPort.close(); } // app.close() first: a thread that ends with open uWS sockets aborts the process
  });
} else {
  const connections = opt('connections', 50);
  const sec = opt('sec', 5);
  const rounds = opt('rounds', 3);
  const self = fileURLToPath(import.meta.url);
  const start = (port) => {
    const w = new Worker(self, { workerData: { port } });
    return new Promise((resolve, reject) => { w.once('message', (m) => resolve({ w, port: m.port })); w.once('error', reject); });
  };
  // A concrete port for both: uSockets sets SO_REUSEPORT only when the port asked for is not 0, so a
  // second app on the port an app got from port 0 fails (EADDRINUSE). A free port is found first.
  const free = await new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
  const a = await start(free);
  const b = await start(free);
  const ask = (w) => new Promise((resolve) => { w.once('message', (m) => resolve(m.requests)); w.postMessage('count'); });

  /** Established connections on the port, per epoll instance of this process (one per thread's loop). */
  function connectionsPerLoop(port) {
    const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const conns = new Set();
    const listeners = new Set();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 10 || !f[1].endsWith(hexPort)) continue;
        if (f[3] === '01') conns.add(f[9]);
        if (f[3] === '0A') listeners.add(f[9]);
      }
    }
    const fdOfInode = new Map();
    const epolls = [];
    for (const fd of readdirSync('/proc/self/fd')) {
      let target;
      try { target = readlinkSync(`/proc/self/fd/${fd}`); } catch { continue; }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) fdOfInode.set(m[1], Number(fd));
      else if (target === 'anon_inode:[eventpoll]') epolls.push(Number(fd));
    }
    const out = [];
    for (const ep of epolls) {
      let info;
      try { info = readFileSync(`/proc/self/fdinfo/${ep}`, 'utf8'); } catch { continue; }
      const watched = new Set([...info.matchAll(/tfd:\s+(\d+)/g)].map((m) => Number(m[1])));
      const c = [...conns].filter((i) => watched.has(fdOfInode.get(i))).length;
      const l = [...listeners].filter((i) => watched.has(fdOfInode.get(i))).length;
      if (c > 0 || l > 0) out.push({ epollFd: ep, listenSockets: l, connections: c });
    }
    return { total: conns.size, loops: out };
  }

  for (let r = 1; r <= rounds; r++) {
    const r0 = [await ask(a.w), await ask(b.w)];
    const wrk = spawn('wrk', ['-t2', `-c${connections}`, `-d${sec}s`, `http://127.0.0.1:${a.port}/x`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    wrk.stdout.on('data', (d) => { out += d; });
    await new Promise((res) => setTimeout(res, (sec * 1000) / 2));
    const mid = connectionsPerLoop(a.port);
    await new Promise((res) => wrk.on('close', res));
    const r1 = [await ask(a.w), await ask(b.w)];
    const reqs = r1.map((v, i) => v - r0[i]);
    const total = reqs[0] + reqs[1];
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
    console.log(`round ${r}: wrk -t2 -c${connections} -d${sec}s: ${rps} req/s; connections at mid-run: ${mid.total} established, per thread loop ` +
      `${mid.loops.map((l) => `${l.connections} (+${l.listenSockets} listen)`).join(' / ')}; requests per thread ${reqs.join(' / ')} ` +
      `(${reqs.map((v) => ((100 * v) / total).toFixed(1)).join('% / ')}%)`);
  }
  a.w.postMessage('stop');
  b.w.postMessage('stop');
}
