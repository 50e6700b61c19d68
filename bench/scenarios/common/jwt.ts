// What the JWT scenarios (Quay) share: the bench runs a local JWK-set server and starts hayate with
// jwkSetURI and jwtAudience; announces carry `&jwt=` tokens minted as Quay does (jwt/tokens.ts). Here: the
// key server, the minter, one warm token per torrent, the precheck (a token is required and a valid one
// accepted), the tracker target, and the ratios to the same load without JWT.
import { httpGet } from '../../env/api-client.js';
import { SkipScenario, type Target } from '../../env/targets.js';
import { startJwkServer, type JwkServer } from '../../jwt/jwk-server.js';
import { quayToken, type Minter } from '../../jwt/tokens.js';
import { infoHashOf } from '../../workload/peers.js';
import { failureReason } from '../../runner/checks.js';
import type { RunContext } from '../../runner/context.js';
import type { ScenarioResult } from '../../runner/result.js';
import { withTarget } from '../../runner/scenario.js';

export const AUDIENCE = 'http://tracker.hayate-bench.invalid:6881/announce';
export const ISSUER = 'quay';

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

export async function minter(ctx: RunContext): Promise<Minter> {
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

export async function get(t: Target, path: string): Promise<{ status: number; failure: string | null }> {
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

export function ratios(r: ScenarioResult, baseline: ScenarioResult): void {
  r.extra.noJwtReqPerSec = baseline.reqPerSec;
  r.extra.ratioToNoJwt = baseline.reqPerSec > 0 ? Math.round((r.reqPerSec / baseline.reqPerSec) * 1000) / 1000 : null;
  // Server CPU per request relative to no JWT (> 1: costlier); meaningful even when generator-bound.
  r.extra.cpuCostRatioToNoJwt = r.reqPerCpuSec !== null && baseline.reqPerCpuSec !== null && r.reqPerCpuSec > 0
    ? Math.round((baseline.reqPerCpuSec / r.reqPerCpuSec) * 1000) / 1000 : null;
}
