// jwt-duel: hayate without JWT against hayate with JWT (warm tokens, set up exactly as jwt-warm: the
// bench's JWK server, one Quay-style token per torrent, the precheck), both on the server CPUs and loaded
// at once (runner/duel/duel.ts). ratioToNoJwt = (JWT req per server CPU-second) / (no-JWT req per server CPU-second):
// the throughput ratio a saturated server would show, measured under the same drift on both sides, where
// jwt-warm's ratio to http-announce compares runs a minute apart.
import { fillAnnounces } from '../workload/pools.js';
import { sampleHttp } from '../runner/checks.js';
import { runDuel } from '../runner/duel/duel.js';
import { duelResult } from '../runner/duel/duel-result.js';
import { httpSide } from './common/duel-sides.js';
import { jwtTarget, precheck, warmTokens } from './common/jwt.js';
import type { Scenario } from '../runner/scenario.js';

export const jwtDuel: Scenario = {
  name: 'jwt-duel',
  summary: 'duel: hayate without JWT vs hayate with JWT (warm tokens), at once on the server CPUs; ratio of req per server CPU-second',
  standard: true,
  run: async (ctx) => {
    const tokens = await warmTokens(ctx);
    const plain = ctx.standardAnnounces();
    const paths = fillAnnounces(ctx.standardFill, undefined, (t) => tokens[t]!);
    return jwtTarget(ctx, async (jwtT) => {
      await precheck(jwtT, paths[0]!, plain[0]!);
      const base = await ctx.targets.acquire({});
      try {
        const run = await runDuel(ctx, {
          name: 'jwt-duel', a: httpSide(ctx, 'hayate without JWT', base, plain), b: httpSide(ctx, 'hayate with JWT', jwtT, paths),
          rounds: ctx.opts.duelRounds, roundSec: ctx.opts.duelSec, soloSec: 0,
        });
        const r = duelResult(ctx, 'jwt-duel', run, jwtT, {
          ratioKey: 'ratioToNoJwt', aReqPerCpuSecKey: 'noJwtReqPerCpuSec', protocol: 'http', connections: ctx.opts.connections,
        });
        // The keep-alive generators do not read bodies: refusals of valid tokens must not pass for speed.
        r.sample = await sampleHttp(jwtT, paths, 'announce');
        r.extra.tokens = tokens.length;
        return r;
      } finally {
        await ctx.targets.release(base);
      }
    });
  },
};
