// HTTP scenarios over the standard pool (poolTorrents × poolPeers peers, realistic compact announces):
// keep-alive announces, a new connection per announce, and scrapes. Each: fresh tracker, one warm-up
// pass over the pool (every peer has joined: the measured announces are re-announces), then load.
import { scrapes } from '../workload/pools.js';
import { sampleHttp } from './checks.js';
import type { RunContext } from './context.js';
import type { ScenarioResult } from './result.js';
import { withTarget, type Scenario } from './scenario.js';

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

export const httpAnnounceNewConn: Scenario = {
  name: 'http-announce-new-conn',
  summary: 'the same announces, one new TCP connection per request (Connection: close)',
  standard: true,
  run: (ctx) => withTarget(ctx, {}, async (t) => {
    const paths = ctx.standardAnnounces();
    await ctx.warmup(t, paths);
    const r = await ctx.measureHttp('http-announce-new-conn', t, {
      connections: ctx.opts.connections, durationSec: ctx.opts.durationSec, source: { kind: 'rotate', paths }, newConnections: true,
    });
    r.sample = await sampleHttp(t, paths, 'announce');
    return r;
  }),
};

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

/** The http-announce result of this invocation (run now, unrecorded, if it was not asked for). */
export async function announceBaseline(ctx: RunContext): Promise<ScenarioResult> {
  const done = ctx.done.get('http-announce') ?? (ctx.shared.get('baseline:http-announce') as ScenarioResult | undefined);
  if (done !== undefined && done.status === 'ok') return done;
  ctx.log('  (measuring http-announce as the baseline for a ratio)');
  const r = await httpAnnounce.run(ctx);
  ctx.shared.set('baseline:http-announce', r);
  return r;
}
