// http-announce: keep-alive announces over the standard pool (poolTorrents x poolPeers peers, realistic
// compact announces). Fresh tracker, one warm-up pass over the pool (every peer has joined: the measured
// announces are re-announces), then load. Other scenarios' ratios use it as their baseline.
import { sampleHttp } from '../runner/checks.js';
import { withTarget, type Scenario } from '../runner/scenario.js';

export const httpAnnounce: Scenario = {
  name: 'http-announce',
  summary: 'keep-alive announces over the standard pool (1,000 torrents x 10 peers, 30% seeders, numwant=50)',
  standard: true,
  run: (ctx) => withTarget(ctx, {}, async (t) => {
    const paths = ctx.standardAnnounces();
    await ctx.warmup(t, paths);
    const r = await ctx.measureHttp('http-announce', t, {
      connections: ctx.opts.connections, durationSec: ctx.opts.durationSec, source: { kind: 'rotate', paths },
    });
    r.sample = await sampleHttp(t, paths, 'announce');
    r.extra.poolTorrents = ctx.opts.poolTorrents;
    r.extra.poolPeers = ctx.opts.poolTorrents * ctx.opts.poolPeers;
    return r;
  }),
};
