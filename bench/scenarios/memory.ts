// Memory per peer: load --memory-peers peers (10 per torrent: 1,000,000 = 100,000 torrents × 10) by
// announces (UDP when the tracker answers it, else HTTP; numwant=0), then compare /stats Memory.RSS and
// Memory.ArrayBuffers (the SharedArrayBuffer peer tables) before and after, divided by the number of peers
// the tracker reports having gained. Not in the standard suite (about a minute at full size).
import { SkipScenario } from '../env/targets.js';
import { rssBytes } from '../env/cpu-time.js';
import type { SwarmFill } from '../workload/paths.js';
import { withTarget, type Scenario } from '../runner/scenario.js';

const PEERS_PER_TORRENT = 10;

function perPeer(before: number | null, after: number | null, peers: number): number | null {
  if (before === null || after === null || peers <= 0) return null;
  return Math.round((after - before) / peers * 10) / 10;
}

/** /stats memory figures are refreshed every memStatsInterval: 1 s in the bench's config, unknown (5 s by
 *  default) for an external tracker. */
function settleStats(external: boolean): Promise<void> {
  return new Promise((r) => setTimeout(r, external ? 6000 : 1500));
}

export const memory: Scenario = {
  name: 'memory',
  summary: 'load 1,000,000 peers (100,000 torrents x 10) and report bytes per peer from /stats (not in the suite)',
  standard: false,
  run: (ctx) => withTarget(ctx, {}, async (t) => {
    if (t.apiBase === null) throw new SkipScenario('needs the admin API (/stats): give --api-target');
    const peers = ctx.opts.memoryPeers;
    const fill: SwarmFill = { salt: 'memory', torrents: Math.ceil(peers / PEERS_PER_TORRENT), peersPerTorrent: PEERS_PER_TORRENT, numwant: 0 };
    await settleStats(t.kind === 'external');
    const before = await ctx.stats(t);
    if (before === null) throw new Error('cannot read /stats');
    const procBefore = t.pid === null ? null : rssBytes(t.pid);
    const boundSec = Math.max(120, peers / 2000);
    const r = t.udpPort !== null
      ? await ctx.measureUdp('memory', t, {
        threads: ctx.opts.udpThreads, sockets: ctx.opts.udpSockets, window: ctx.opts.udpWindow, timeoutMs: ctx.opts.udpTimeoutMs,
        durationSec: boundSec, action: 'announce', fill, count: peers, once: true, hashesPerScrape: 1,
      })
      : await ctx.measureHttp('memory', t, {
        connections: ctx.opts.connections, durationSec: boundSec, source: { kind: 'fill', fill, count: peers },
      });
    await settleStats(t.kind === 'external');
    const after = await ctx.stats(t);
    if (after === null) throw new Error('cannot read /stats after loading');
    const procAfter = t.pid === null ? null : rssBytes(t.pid);
    const gained = (after.peers ?? 0) - (before.peers ?? 0);
    r.extra.loadedVia = t.udpPort !== null ? 'udp' : 'http';
    r.extra.peersAsked = peers;
    r.extra.peersBefore = before.peers;
    r.extra.peersAfter = after.peers;
    r.extra.torrentsAfter = after.torrents;
    r.extra.rssBefore = before.rssBytes;
    r.extra.rssAfter = after.rssBytes;
    r.extra.arrayBuffersBefore = before.arrayBuffersBytes;
    r.extra.arrayBuffersAfter = after.arrayBuffersBytes;
    r.extra.rssBytesPerPeer = perPeer(before.rssBytes, after.rssBytes, gained);
    r.extra.arrayBuffersBytesPerPeer = perPeer(before.arrayBuffersBytes, after.arrayBuffersBytes, gained);
    r.extra.procRssBytesPerPeer = perPeer(procBefore, procAfter, gained);
    if (after.peers === null) r.notes.push('/stats reports no peersIPv4.Peers.Current: bytes per peer unknown');
    else if (gained < peers * 0.99) r.notes.push(`the tracker gained ${gained} peers of ${peers} announced`);
    return r;
  }),
};
