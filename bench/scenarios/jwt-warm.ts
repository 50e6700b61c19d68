// jwt-warm: the standard pool's announces with Quay-style tokens, every peer reusing its torrent's token
// (the tracker's verdict caches hit); ratio to the same load without JWT (http-announce of this run).
import { fillAnnounces } from '../workload/pools.js';
import { sampleHttp } from '../runner/checks.js';
import type { Scenario } from '../runner/scenario.js';
import { announceBaseline } from './common/baseline.js';
import { jwtTarget, precheck, ratios, warmTokens } from './common/jwt.js';

export const jwtWarm: Scenario = {
  name: 'jwt-warm',
  summary: 'announces with Quay-style RS256 tokens, each peer reusing its token; ratio to no JWT',
  standard: true,
  run: async (ctx) => {
    const baseline = await announceBaseline(ctx);
    const tokens = await warmTokens(ctx);
    const plain = ctx.standardAnnounces();
    const paths = fillAnnounces(ctx.standardFill, undefined, (t) => tokens[t]!);
    return jwtTarget(ctx, async (t) => {
      await precheck(t, paths[0]!, plain[0]!);
      await ctx.warmup(t, paths);
      const r = await ctx.measureHttp('jwt-warm', t, {
        connections: ctx.opts.connections, durationSec: ctx.opts.durationSec, source: { kind: 'rotate', paths },
      });
      r.sample = await sampleHttp(t, paths, 'announce');
      r.extra.tokens = tokens.length;
      ratios(r, baseline);
      return r;
    });
  },
};
