// Reproducer: uWebSockets.js 20.30 apps in worker threads: what happens when the thread exits, is
// terminated, or the process exits while the app still has a listen socket or open connections; which
// sequence exits cleanly; and what a handler that throws before responding does. Each scenario runs in
// its own child process (bounded by 20 s); printed: the child's exit code or signal, how long it ran,
// and the last lines of its stderr/stdout.
//
//   node scripts/repro/uws-worker-exit.mjs [scenario ...]
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import uWS from 'uWebSockets.js';

const SELF = fileURLToPath(import.meta.url);
const CHILD_TIMEOUT_MS = 20_000;

// What each worker does, after listening on an ephemeral port and telling the parent thread the port.
//   stay:    nothing more (listen socket stays open)
//   exitNow: process.exit(0) inside the worker (ends the thread) right after listening
//   clean:   on 'stop': us_listen_socket_close, app.close(), then lets the thread end by itself
//   closeLs: on 'stop': only us_listen_socket_close (connections stay), then lets the thread end
//   appClose:on 'stop': only app.close(), then lets the thread end
//   closeKeepAlive: on 'stop': app.close(), but a timer keeps the thread alive (the main thread then
//            terminates it); closeThenExit: on 'stop': app.close() and process.exit(0) in the same tick
//   throwSync / throwAsync: a handler that throws before responding (sync; or after onAborted, later)
const SCENARIOS = {
  'worker-terminate-listening': { worker: 'stay', then: 'terminate', connect: false },
  'worker-terminate-with-connection': { worker: 'stay', then: 'terminate', connect: true },
  'worker-process.exit-in-thread-listening': { worker: 'exitNow', then: 'wait', connect: false },
  'process-exit-from-main-listening': { worker: 'stay', then: 'processExit', connect: false },
  'process-exit-from-main-with-connection': { worker: 'stay', then: 'processExit', connect: true },
  'main-returns-worker-still-listening (unref)': { worker: 'stay', then: 'unrefReturn', connect: false },
  'clean: us_listen_socket_close + app.close, thread ends': { worker: 'clean', then: 'stop', connect: false },
  'clean with an open keep-alive connection': { worker: 'clean', then: 'stop', connect: true },
  'only us_listen_socket_close, with an open connection': { worker: 'closeLs', then: 'stop', connect: true },
  'only us_listen_socket_close, no connection': { worker: 'closeLs', then: 'stop', connect: false },
  'only app.close(), no us_listen_socket_close': { worker: 'appClose', then: 'stop', connect: true },
  'clean, then process.exit from main': { worker: 'clean', then: 'stopThenExit', connect: true },
  'app.close(), thread kept alive by a timer, then worker.terminate()': { worker: 'closeKeepAlive', then: 'stop', connect: true },
  'app.close() then process.exit(0) in the same tick, inside the worker': { worker: 'closeThenExit', then: 'stop', connect: true },
  'handler throws synchronously (worker)': { worker: 'throwSync', then: 'request', connect: false },
  'handler throws after onAborted, in a timer (worker)': { worker: 'throwAsync', then: 'request', connect: false },
  'handler throws synchronously (main thread)': { worker: 'throwSyncMain', then: 'request', connect: false },
  'async handler rejects before responding (worker)': { worker: 'rejectAsync', then: 'request', connect: false },
};

function serve(kind, post) {
  const app = uWS.App();
  app.get('/*', (res, req) => {
    if (kind === 'throwSync' || kind === 'throwSyncMain') throw new Error('handler threw before responding');
    if (kind === 'throwAsync') {
      res.onAborted(() => {});
      setTimeout(() => { throw new Error('timer threw before responding'); }, 10);
      return;
    }
    req.getUrl();
    res.end('ok');
  });
  if (kind === 'rejectAsync') app.get('/r', async () => { throw new Error('async handler rejected'); });
  let ls = null;
  app.listen('127.0.0.1', 0, (s) => {
    ls = s;
    post({ port: uWS.us_socket_local_port(s) });
    if (kind === 'exitNow') process.exit(0);
  });
  return {
    stop() {
      if (kind === 'clean' || kind === 'closeLs') uWS.us_listen_socket_close(ls);
      if (kind === 'clean' || kind === 'appClose' || kind === 'closeKeepAlive' || kind === 'closeThenExit') app.close();
      if (kind === 'closeKeepAlive') setInterval(() => {}, 1000);
      post({ stopped: true });
      if (kind === 'closeThenExit') process.exit(0);
    },
  };
}

function request(port, path = '/') {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`));
    let got = '';
    s.on('data', (d) => { got += d; });
    const t = setTimeout(() => { s.destroy(); resolve(`no answer in 3 s (${got.length} bytes)`); }, 3000);
    s.on('close', () => { clearTimeout(t); resolve(`connection closed, ${got.length} bytes: ${JSON.stringify(got.split('\r\n')[0])}`); });
    s.on('error', (e) => { clearTimeout(t); resolve(`error ${e.code}`); });
  });
}

async function child(name) {
  const sc = SCENARIOS[name];
  const log = (m) => console.log(`[main] ${m}`);
  if (sc.worker === 'throwSyncMain') {
    serve('throwSyncMain', ({ port }) => { if (port) request(port).then((r) => { log(`request: ${r}`); process.exit(0); }); });
    return;
  }
  const w = new Worker(SELF, { workerData: { kind: sc.worker } });
  w.on('exit', (code) => log(`worker 'exit' event, code ${code}`));
  w.on('error', (e) => log(`worker 'error' event: ${e.message}`));
  const msg = () => new Promise((resolve) => w.once('message', resolve));
  const { port } = await msg();
  log(`worker listening on ${port}`);
  let keep = null;
  if (sc.connect) {
    keep = net.connect(port, '127.0.0.1');
    await new Promise((r) => keep.once('connect', r));
    keep.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((r) => keep.once('data', r));
    keep.on('close', () => log('client: keep-alive connection closed by the server side'));
    keep.on('error', (e) => log(`client: ${e.code}`));
    log('client: keep-alive connection open, one answer received');
  }
  const t0 = Date.now();
  switch (sc.then) {
    case 'terminate': {
      const code = await w.terminate();
      log(`worker.terminate() resolved with ${code} after ${Date.now() - t0} ms`);
      setTimeout(() => { log('main still alive 500 ms later; exiting 0'); process.exit(0); }, 500);
      break;
    }
    case 'wait':
      w.once('exit', () => setTimeout(() => { log(`main alive after worker exit; new request: `); request(port).then((r) => { log(r); process.exit(0); }); }, 200));
      break;
    case 'processExit':
      log('main: process.exit(0)');
      process.exit(0);
      break;
    case 'unrefReturn':
      w.unref();
      keep?.unref();
      log('main: worker unref()ed, main module returns');
      break;
    case 'stop':
    case 'stopThenExit': {
      w.postMessage('stop');
      await msg();
      log('worker did its stop sequence');
      const exited = await Promise.race([new Promise((r) => w.once('exit', (c) => r(`exited by itself with code ${c} after ${Date.now() - t0} ms`))),
        new Promise((r) => setTimeout(() => r('did NOT exit by itself within 3 s'), 3000))]);
      log(`worker ${exited}`);
      log(`new connection to the port: ${await request(port)}`);
      if (keep !== null) keep.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await new Promise((r) => setTimeout(r, 300));
      if (sc.then === 'stopThenExit') { log('main: process.exit(0)'); process.exit(0); }
      if (exited.startsWith('did NOT')) {
        const code = await w.terminate();
        log(`then worker.terminate() resolved with ${code}`);
      }
      setTimeout(() => { log('main exits 0'); process.exit(0); }, 300);
      break;
    }
    case 'request': {
      log(`request: ${await request(port, sc.worker === 'rejectAsync' ? '/r' : '/')}`);
      setTimeout(async () => { log(`main alive; second request: ${await request(port)}`); process.exit(0); }, 300);
      break;
    }
  }
}

function runChild(name) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const c = spawn(process.execPath, [SELF, '--child', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { c.kill('SIGKILL'); out += '\n[parent] killed after 20 s'; }, CHILD_TIMEOUT_MS);
    c.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, ms: Date.now() - t0, out }); });
  });
}

if (!isMainThread) {
  const s = serve(workerData.kind, (m) => parentPort.postMessage(m));
  parentPort.on('message', () => s.stop());
  // The 'stop' scenarios must let the thread end by itself: the message port must not keep it alive.
  parentPort.once('message', () => parentPort.unref());
} else if (process.argv[2] === '--child') {
  await child(process.argv[3]);
} else {
  const only = process.argv.slice(2);
  for (const name of Object.keys(SCENARIOS)) {
    if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
    const r = await runChild(name);
    console.log(`== ${name}: ${r.signal !== null ? `killed by ${r.signal}` : `exit code ${r.code}`} after ${r.ms} ms`);
    // The scenario's own lines, and the fatal error's headline (not its native stack).
    const keep = /^\[main\]|Assertion failed|terminate called|Error|open handles|killed after/;
    for (const line of r.out.trim().split('\n').filter((l) => keep.test(l))) console.log(`   ${line.trim()}`);
  }
}
