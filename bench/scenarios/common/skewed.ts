// Swarm shapes: announces whose torrent is drawn from Zipf(s) over --torrents N (zipf), or uniformly over
// the same N (uniform, s = 0); each request's peer is drawn from 2^24 peers, so a swarm's size follows its
// popularity. The sequence (--sequence, seeded) is sent once as warm-up, then rotated while measured.
import { skewedAnnounces } from '../../workload/pools.js';
import { sampleHttp } from '../../runner/checks.js';
import type { RunContext } from '../../runner/context.js';
import { withTarget } from '../../runner/scenario.js';
import type { ScenarioResult } from '../../runner/result.js';

export function skewed(name: 'zipf' | 'uniform', ctx: RunContext): Promise<ScenarioResult> {
  const s = name === 'zipf' ? ctx.opts.zipfS : 0;
  return withTarget(ctx, {}, async (t) => {
    const pool = skewedAnnounces(name, ctx.opts.torrents, s, ctx.opts.sequence, 50);
    await ctx.warmup(t, pool.paths);
    const r = await ctx.measureHttp(name, t, {
      connections: ctx.opts.connections, durationSec: ctx.opts.durationSec, source: { kind: 'rotate', paths: pool.paths },
    });
    r.sample = await sampleHttp(t, pool.paths, 'announce');
    r.extra.torrents = ctx.opts.torrents;
    r.extra.zipfS = s;
    r.extra.sequence = ctx.opts.sequence;
    r.extra.distinctTorrents = pool.distinctTorrents;
    r.extra.topTorrentShare = Math.round(pool.topShare * 10_000) / 10_000;
    const st = await ctx.stats(t);
    r.extra.trackerTorrents = st?.torrents ?? null;
    r.extra.trackerPeers = st?.peers ?? null;
    return r;
  });
}
