// The paced UDP announcer's thread (paced-udp.ts starts it): BEP 15 announces sent at a fixed rate, not as
// fast as the tracker answers, so a measurement can ask for "20,000 announces/s across the cluster" and
// get it whatever the tracker's speed. Each target gets its own sockets (simulated clients, each with its
// own connection ID) and its own fill positions, sent once each in order. Every tick (1 ms timer) a
// target sends what is due by then (rate x elapsed - sent), at most CATCH_UP_TICKS ticks' worth at once,
// so a tick the timer delivered late catches up without a flood. Replies are counted, not timed: the rate is the point.
// Bounded by the duration and by the count of each target.
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import {
  ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, ANNOUNCE_BYTES, CONNECT_BYTES, stampRequest, writeAnnounceBody, writeConnect,
} from '../../load/udp-packets.js';
import { FillPaths, fillCoordinates, type SwarmFill } from '../../workload/paths.js';
import { peerFields } from '../../workload/peers.js';

export interface PacedTarget {
  host: string;
  port: number;
  ratePerSec: number;
  fill: SwarmFill;
  first: number;            // fill positions first .. first + count - 1, each sent once
  count: number;
}

export interface PacedTask {
  targets: PacedTarget[];
  durationSec: number;
  socketsPerTarget: number;
}

export interface PacedTargetResult {
  sent: number;
  answered: number;
  errors: number;           // error replies (action 3)
  errorText: string | null;
  /** Announces sent per whole second of the run: the pacing as it happened. */
  sentPerSec: number[];
}

export interface PacedResult {
  elapsedSec: number;
  targets: PacedTargetResult[];
}

const TICK_MS = 1;
/** Per tick and target, at most this many ticks' worth: a late timer catches up over a few ticks, so
 *  the tracker's socket buffer sees a short ramp rather than one flood. */
const CATCH_UP_TICKS = 4;
const HANDSHAKE_TIMEOUT_MS = 5000;
const REFRESH_MS = 50_000;   // connection IDs live about two minutes (BEP 15)
const DRAIN_MS = 500;        // replies still on their way at the end

interface Client {
  sock: dgram.Socket;
  connId: Buffer;
}

function connect(host: string, port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const req = Buffer.alloc(CONNECT_BYTES);
    const tid = (Math.random() * 0xffffffff) >>> 0;
    writeConnect(req, tid);
    const timer = setTimeout(() => { sock.close(); reject(new Error(`no BEP 15 connect answer from ${host}:${port} within ${HANDSHAKE_TIMEOUT_MS} ms`)); }, HANDSHAKE_TIMEOUT_MS);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      if (msg.length < 16 || msg.readUInt32BE(0) !== ACTION_CONNECT || msg.readUInt32BE(4) !== tid) {
        sock.close();
        reject(new Error(`bad connect answer from ${host}:${port}`));
        return;
      }
      resolve({ sock, connId: Buffer.from(msg.subarray(8, 16)) });
    });
    sock.once('error', (err) => { clearTimeout(timer); reject(err); });
    sock.connect(port, host, () => sock.send(req));
  });
}

async function run(task: PacedTask): Promise<PacedResult> {
  const clients: Client[][] = [];
  for (const t of task.targets) {
    const cs: Client[] = [];
    for (let i = 0; i < task.socketsPerTarget; i++) cs.push(await connect(t.host, t.port));
    clients.push(cs);
  }
  const results: PacedTargetResult[] = task.targets.map(() => ({ sent: 0, answered: 0, errors: 0, errorText: null, sentPerSec: [] }));
  task.targets.forEach((_, i) => {
    for (const c of clients[i]!) {
      c.sock.on('message', (msg) => {
        if (msg.length < 8) return;
        const action = msg.readUInt32BE(0);
        if (action === ACTION_ANNOUNCE) results[i]!.answered++;
        else if (action === ACTION_ERROR) {
          results[i]!.errors++;
          results[i]!.errorText ??= msg.subarray(8).toString('latin1');
        } else if (action === ACTION_CONNECT && msg.length >= 16) {
          msg.copy(c.connId, 0, 8, 16); // a refreshed connection ID
        }
      });
    }
  });
  const fills = task.targets.map((t) => new FillPaths(t.fill));
  let seq = 1;
  const t0 = performance.now();
  let lastRefresh = t0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const elapsedSec = (now - t0) / 1000;
      const second = Math.floor(elapsedSec);
      let open = false;
      task.targets.forEach((t, i) => {
        const r = results[i]!;
        const due = Math.min(t.count, Math.floor(t.ratePerSec * Math.min(elapsedSec, task.durationSec)));
        let n = Math.min(Math.max(8, Math.ceil((t.ratePerSec * TICK_MS * CATCH_UP_TICKS) / 1000)), due - r.sent);
        const cs = clients[i]!;
        while (n-- > 0) {
          const k = t.first + r.sent;
          const { torrent, g } = fillCoordinates(t.fill, k);
          // A buffer per datagram: dgram may still hold it when send() returns (queued send).
          const buf = Buffer.alloc(ANNOUNCE_BYTES);
          writeAnnounceBody(buf, 0, fills[i]!.infoHash(torrent), peerFields(g), t.fill.numwant);
          const c = cs[r.sent % cs.length]!;
          stampRequest(buf, c.connId, seq++);
          c.sock.send(buf);
          r.sent++;
          while (r.sentPerSec.length <= second) r.sentPerSec.push(0);
          r.sentPerSec[second]!++;
        }
        if (r.sent < t.count) open = true;
      });
      if (now - lastRefresh > REFRESH_MS) {
        lastRefresh = now;
        for (const cs of clients) {
          for (const c of cs) {
            const refresh = Buffer.alloc(CONNECT_BYTES);
            writeConnect(refresh, seq++);
            c.sock.send(refresh);
          }
        }
      }
      if (!open || elapsedSec >= task.durationSec) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  const elapsedSec = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, DRAIN_MS));
  for (const cs of clients) for (const c of cs) c.sock.close();
  return { elapsedSec, targets: results };
}

run(workerData as PacedTask).then(
  (r) => parentPort!.postMessage({ type: 'result', result: r }),
  (err: unknown) => parentPort!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
);
