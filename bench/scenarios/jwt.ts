// JWT scenarios (Quay): the bench runs a local JWK-set server and starts hayate with jwkSetURI and
// jwtAudience; announces carry `&jwt=` tokens minted as Quay does (jwt/tokens.ts). jwt-warm: every peer
// reuses its torrent's token (verdict caches hit). jwt-cold: every request carries a token the tracker has
// never seen (one RSA verification each), bounded by --jwt-cold-tokens. Both report the ratio to the same
// load without JWT (http-announce of this run).
import { httpGet } from '../env/api-client.js';
import { SkipScenario, type Target } from '../env/targets.js';
import { startJwkServer, type JwkServer } from '../jwt/jwk-server.js';
import { coldToken, quayToken, type Minter } from '../jwt/tokens.js';
import { Progress } from '../load/progress.js';
import { infoHashOf } from '../workload/peers.js';
import { fillAnnounces } from '../workload/pools.js';
import { failureReason, sampleHttp } from './checks.js';
import type { RunContext } from './context.js';
import { announceBaseline } from './http.js';
import type { ScenarioResult } from './result.js';
import { withTarget, type Scenario } from './scenario.js';

const AUDIENCE = 'http://tracker.hayate-bench.invalid:6881/announce';
const ISSUER = 'quay';

async function jwkServer(ctx: RunContext): Promise<JwkServer> {
  let s = ctx.shared.get('jwk-server') as JwkServer | undefined;
  if (s === undefined) {
    s = await startJwkServer();
    ctx.shared.set('jwk-server', s);
    const server = s;
    ctx.cleanups.push(() => server.close());
  }
  return s;
}

async function minter(ctx: RunContext): Promise<Minter> {
  const s = await jwkServer(ctx);
  return { privateKey: s.privateKey, kid: s.kid, issuer: ISSUER, audience: AUDIENCE };
}

/** One token per torrent of the standard pool (cached for the invocation). */
export async function warmTokens(ctx: RunContext): Promise<string[]> {
  let tokens = ctx.shared.get('jwt-warm-tokens') as string[] | undefined;
  if (tokens === undefined) {
    const m = await minter(ctx);
    tokens = [];
    for (let t = 0; t < ctx.opts.poolTorrents; t++) tokens.push(await quayToken(m, infoHashOf(ctx.standardFill.salt, t)));
    ctx.shared.set('jwt-warm-tokens', tokens);
  }
  return tokens;
}

async function get(t: Target, path: string): Promise<{ status: number; failure: string | null }> {
  const r = await httpGet(`http://${t.host}:${t.httpPort}${path}`, 5000);
  return { status: r.status, failure: failureReason(r.body) };
}

/** The tracker must refuse an announce without a token and accept a valid one (JWK set fetched). */
export async function precheck(t: Target, withToken: string, withoutToken: string): Promise<void> {
  const missing = await get(t, withoutToken);
  if (missing.failure === null) throw new SkipScenario('the tracker answered an announce without jwt: JWT is not enforced');
  let last = '';
  for (let i = 0; i < 50; i++) {
    const ok = await get(t, withToken);
    if (ok.status === 200 && ok.failure === null) return;
    last = ok.failure ?? `HTTP ${ok.status}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`a valid Quay-shaped token is refused: ${last}`);
}

export async function jwtTarget(ctx: RunContext, fn: (t: Target) => Promise<ScenarioResult>): Promise<ScenarioResult> {
  if (ctx.targets.isExternal) throw new SkipScenario('JWT scenarios need a hayate the bench starts (it sets jwkSetURI to its own key server)');
  const s = await jwkServer(ctx);
  return withTarget(ctx, { jwkSetURI: s.uri, jwtAudience: AUDIENCE }, fn);
}

function ratios(r: ScenarioResult, baseline: ScenarioResult): void {
  r.extra.noJwtReqPerSec = baseline.reqPerSec;
  r.extra.ratioToNoJwt = baseline.reqPerSec > 0 ? Math.round((r.reqPerSec / baseline.reqPerSec) * 1000) / 1000 : null;
  // Server CPU per request relative to no JWT (> 1: costlier); meaningful even when generator-bound.
  r.extra.cpuCostRatioToNoJwt = r.reqPerCpuSec !== null && baseline.reqPerCpuSec !== null && r.reqPerCpuSec > 0
    ? Math.round((baseline.reqPerCpuSec / r.reqPerCpuSec) * 1000) / 1000 : null;
}

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
