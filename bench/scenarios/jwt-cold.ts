// jwt-cold: every request carries a token the tracker has never seen (one RSA verification each),
// bounded by --jwt-cold-tokens; ratio to the same load without JWT (http-announce) and to jwt-warm.
import { coldToken } from '../jwt/tokens.js';
import { Progress } from '../load/progress.js';
import { infoHashOf } from '../workload/peers.js';
import { fillAnnounces } from '../workload/pools.js';
import { sampleHttp } from '../runner/checks.js';
import type { Scenario } from '../runner/scenario.js';
import { announceBaseline } from './common/baseline.js';
import { get, jwtTarget, minter, precheck, ratios, warmTokens } from './common/jwt.js';

export const jwtCold: Scenario = {
  name: 'jwt-cold',
  summary: 'every announce carries a token never seen before (bounded by --jwt-cold-tokens); ratio to no JWT',
  standard: true,
  run: async (ctx) => {
    const baseline = await announceBaseline(ctx);
    const warm = await warmTokens(ctx);
    const m = await minter(ctx);
    const fill = ctx.standardFill;
    const poolSize = fill.torrents * fill.peersPerTorrent;
    const n = ctx.opts.jwtColdTokens;
    const CHECKS = 16;
    // Request k: the pool's announce k (mod pool size) with variant k of its torrent's token; CHECKS more
    // for the checks below.
    const tokens: string[] = [];
    const hashes = new Map<number, Buffer>();
    const progress = new Progress(`minting ${n + CHECKS} tokens`, Math.max(1, Math.round(n / 2000)), n + CHECKS);
    try {
      for (let k = 0; k < n + CHECKS; k++) {
        const torrent = (k % poolSize) % fill.torrents;
        let ih = hashes.get(torrent);
        if (ih === undefined) hashes.set(torrent, (ih = infoHashOf(fill.salt, torrent)));
        tokens.push(await coldToken(m, ih, k));
        if ((k & 255) === 0) progress.set(k);
      }
    } finally {
      progress.end();
    }
    const all = fillAnnounces(fill, n + CHECKS, undefined).map((p, k) => `${p}&jwt=${tokens[k]!}`);
    const checks = all.splice(n, CHECKS);
    const warmPaths = fillAnnounces(fill, undefined, (t) => warm[t]!);
    return jwtTarget(ctx, async (t) => {
      await precheck(t, warmPaths[0]!, ctx.standardAnnounces()[0]!);
      await ctx.warmup(t, warmPaths, 'warm-up (swarm, warm tokens)');
      // One cold token alone, then CHECKS-1 at once (different torrents): the keep-alive generator does
      // not read bodies, so refusals of valid tokens under concurrency would otherwise pass for speed.
      const c = await get(t, checks[0]!);
      if (c.failure !== null || c.status !== 200) {
        throw new Error(`a cold token (same claims, JSON whitespace in the payload) is refused: ${c.failure ?? `HTTP ${c.status}`}`);
      }
      const concurrent = await sampleHttp(t, checks.slice(1), 'announce', CHECKS - 1);
      const r = await ctx.measureHttp('jwt-cold', t, {
        connections: ctx.opts.connections, durationSec: ctx.opts.durationSec, source: { kind: 'once', paths: all },
      });
      r.sample = concurrent;
      if (concurrent.failed > 0) {
        r.notes.push(`${concurrent.failed} of ${concurrent.checked} valid cold tokens sent at once were refused (${concurrent.firstFailure}); ` +
          'the req/s above counts those refusals: see server.requestsBad');
      }
      r.extra.tokens = n;
      if (r.requests >= n) r.notes.push(`all ${n} cold tokens used in ${r.durationSec} s; raise --jwt-cold-tokens for a longer run`);
      ratios(r, baseline);
      const w = ctx.done.get('jwt-warm');
      r.extra.ratioToJwtWarm = w !== undefined && w.status === 'ok' && w.reqPerSec > 0
        ? Math.round((r.reqPerSec / w.reqPerSec) * 1000) / 1000 : null;
      return r;
    });
  },
};
