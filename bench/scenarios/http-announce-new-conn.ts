// http-announce-new-conn: the standard pool's announces, one new TCP connection per request
// (Connection: close; the node:net loop of load/new-conn-loop.ts), after a keep-alive warm-up pass.
import { sampleHttp } from '../runner/checks.js';
import { withTarget, type Scenario } from '../runner/scenario.js';

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
