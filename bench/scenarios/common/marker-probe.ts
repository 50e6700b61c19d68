// End-to-end replication lag, measured from outside the trackers: announce a marker peer (a torrent of
// its own, so its presence means it arrived) to one instance over HTTP at a known time, then poll the
// other instance's admin API (GET /torrents/<info_hash>) every POLL_MS until the torrent is there. The
// lag is from just before the announce was sent to the poll that found it, so it includes the origin's
// own handling, its tick, Redis, the other's read and apply, and up to POLL_MS + one poll round trip
// of measuring granularity. Markers go one at a time, alternating directions, with a pause between them;
// bounded by a deadline and a count, and each marker by MARKER_TIMEOUT_MS.
import http from 'node:http';
import { announcePath } from '../../workload/paths.js';
import { infoHashOf } from '../../workload/peers.js';

export interface MarkerInstance {
  label: string;
  host: string;
  httpPort: number;
  apiBase: string;
}

export interface MarkerSample {
  from: string;
  to: string;
  atMs: number;             // since the probe began
  lagMs: number;            // announce sent -> seen on the other instance
  afterAnswerMs: number;    // origin's answer received -> seen on the other instance
  polls: number;
}

export interface MarkerRun {
  samples: MarkerSample[];
  /** Markers never seen within MARKER_TIMEOUT_MS, and markers the origin did not accept. */
  missed: number;
  refused: number;
  firstRefusal: string | null;
  pollMs: number;
}

export const POLL_MS = 2;
const MARKER_TIMEOUT_MS = 10_000;

function get(agent: http.Agent, url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/**
 * Markers between `a` and `b` (a -> b, b -> a, ...) until `deadline` (performance.now() ms) or `maxMarkers`,
 * with `gapMs` (plus up to as much again, at random) between one marker's arrival and the next announce.
 * `salt` keeps markers of different runs apart (a torrent per marker).
 */
export async function probeMarkers(a: MarkerInstance, b: MarkerInstance, salt: string, deadline: number, maxMarkers: number,
  gapMs: number): Promise<MarkerRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const out: MarkerRun = { samples: [], missed: 0, refused: 0, firstRefusal: null, pollMs: POLL_MS };
  const t0 = performance.now();
  try {
    for (let i = 0; i < maxMarkers && performance.now() < deadline; i++) {
      const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
      const ih = infoHashOf(`cluster-marker:${salt}`, i);
      const path = announcePath(ih, (i * 7919) % (1 << 24), { numwant: 0 });
      const sentAt = performance.now();
      const answer = await get(agent, `http://${from.host}:${from.httpPort}${path}`);
      const answeredAt = performance.now();
      if (answer.status !== 200 || answer.body.toString('latin1', 0, 20).startsWith('d14:failure reason')) {
        out.refused++;
        out.firstRefusal ??= `HTTP ${answer.status}: ${answer.body.toString('latin1', 0, 120)}`;
        continue;
      }
      const url = `${to.apiBase}/torrents/${ih.toString('hex')}`;
      let polls = 0;
      let seenAt = -1;
      while (performance.now() - sentAt < MARKER_TIMEOUT_MS) {
        polls++;
        const r = await get(agent, url);
        if (r.status === 200) {
          seenAt = performance.now();
          break;
        }
        await new Promise((res) => setTimeout(res, POLL_MS));
      }
      if (seenAt < 0) out.missed++;
      else {
        out.samples.push({
          from: from.label, to: to.label, atMs: Math.round(sentAt - t0),
          lagMs: round2(seenAt - sentAt), afterAnswerMs: round2(seenAt - answeredAt), polls,
        });
      }
      await new Promise((res) => setTimeout(res, gapMs * (1 + Math.random())));
    }
  } finally {
    agent.destroy();
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** p-th percentile (0..100) of `xs` by nearest rank; null when empty. */
export function percentile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
