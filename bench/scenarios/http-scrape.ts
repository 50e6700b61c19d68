// http-scrape: keep-alive scrapes of one info_hash each, over the standard pool once it has been
// announced (a warm-up pass), so every scrape finds its swarm.
import { scrapes } from '../workload/pools.js';
import { sampleHttp } from '../runner/checks.js';
import { withTarget, type Scenario } from '../runner/scenario.js';

export const httpScrape: Scenario = {
  name: 'http-scrape',
  summary: 'keep-alive scrapes, one info_hash each, of the (announced) standard pool',
  standard: true,
  run: (ctx) => withTarget(ctx, {}, async (t) => {
    await ctx.warmup(t, ctx.standardAnnounces());
    const paths = scrapes(ctx.standardFill.salt, ctx.opts.poolTorrents, 1);
    const r = await ctx.measureHttp('http-scrape', t, {
      connections: ctx.opts.connections, durationSec: ctx.opts.durationSec, source: { kind: 'rotate', paths },
    });
    r.sample = await sampleHttp(t, paths, 'scrape');
    return r;
  }),
};
