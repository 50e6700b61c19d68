// jwt-flood: can a flood of forged tokens deny new, legitimate clients? Attackers on a few source
// addresses (127.0.0.2 ...) send announces whose tokens have the right kid, audience and infohash and
// a random signature (each one RSA verification, none cacheable), as fast as the tracker answers, for
// --jwt-flood-sec (15 s); meanwhile new clients arrive at --jwt-flood-clients per second, each from its
// own address (127.1.x.y), each with a valid token never seen before for a torrent never seen before,
// over a new HTTP connection. The same new clients, alone, for the same time first: the baseline.
// Reports the share of new clients accepted (goal: >= 95%), their latency against the baseline, the
// attackers' verifications per second and answers, and the tracker's JWT counters.
import { randomBytes } from 'node:crypto';
import { cpuSnapshot, cpuUsage } from '../env/cpu-time.js';
import { SkipScenario, type Target } from '../env/targets.js';
import { attackTotals, runAttack, type AttackResult } from '../load/jwt-flood/attack.js';
import { newClientPath, runNewClients, type NewClient, type NewClientsResult } from '../load/jwt-flood/new-clients.js';
import { percentileDistribution, summarize } from '../load/histogram.js';
import { Progress } from '../load/progress.js';
import { quayToken, type Minter } from '../jwt/tokens.js';
import type { RunContext } from '../runner/context.js';
import { emptyResult, recordLatency, type ScenarioResult } from '../runner/result.js';
import type { Scenario } from '../runner/scenario.js';
import { AUDIENCE, ISSUER, jwtTarget, minter, precheck } from './common/jwt.js';

/** The share of new clients that must be accepted during the flood. */
const GOAL = 0.95;
const ATTACKER_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const CLIENT_TIMEOUT_MS = 10_000;

type Stats = Record<string, unknown>;

async function stats(ctx: RunContext, t: Target): Promise<Stats> {
  return (await ctx.stats(t))?.raw ?? {};
}

function at(s: Stats, path: string): number {
  let v: unknown = s;
  for (const k of path.split('.')) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[k];
  return typeof v === 'number' ? v : NaN;
}

/** The JWT counters and the refusals the flood should move, as deltas between two /stats documents. */
const COUNTERS = [
  'jwt.verifications', 'jwt.cacheHits', 'jwt.accepted', 'jwt.refused', 'jwt.screened', 'jwt.missing', 'jwt.unavailable',
  'jwt.busy', 'jwt.coalesced', 'announcesRefusedJwt', 'requestsRefusedBusy', 'requestsErrored', 'trackerAnnounces',
];

function deltas(a: Stats, b: Stats): Record<string, number> {
  return Object.fromEntries(COUNTERS.map((k) => [k, at(b, k) - at(a, k)]));
}

async function mintClients(m: Minter, n: number, label: string): Promise<NewClient[]> {
  const out: NewClient[] = [];
  const progress = new Progress(`minting ${n} tokens (${label})`, Math.max(1, Math.round(n / 1000)), n);
  try {
    for (let i = 0; i < n; i++) {
      const infoHash = randomBytes(20);
      out.push({ infoHash, token: await quayToken(m, infoHash) });
      if ((i & 63) === 0) progress.set(i);
    }
  } finally {
    progress.end();
  }
  return out;
}

function ms(us: number): number {
  return Math.round(us / 10) / 100;
}

function share(r: NewClientsResult, total: number): number {
  return total === 0 ? 0 : Math.round((r.accepted / total) * 10_000) / 10_000;
}

function describe(r: NewClientsResult, total: number): string {
  const l = summarize(r.all);
  const refused = Object.entries(r.refused).map(([k, v]) => `${v} "${k}"`).join(', ');
  return `${r.accepted}/${total} accepted (${(share(r, total) * 100).toFixed(1)}%)` +
    `${refused === '' ? '' : `, refused: ${refused}`}${r.timeouts + r.errors + r.skipped === 0 ? '' : `, timeouts ${r.timeouts}, errors ${r.errors}, not started ${r.skipped}`}` +
    `; p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms`;
}

export const jwtFlood: Scenario = {
  name: 'jwt-flood',
  summary: 'forged tokens from 4 addresses for --jwt-flood-sec; share of new clients (fresh token, fresh torrent) accepted, their p99 vs no flood',
  standard: false,
  run: async (ctx) => {
    const o = ctx.opts;
    const perSec = o.jwtFloodClients;
    const n = Math.max(1, Math.round(perSec * o.jwtFloodSec));
    if (2 * n > 65_024) throw new SkipScenario(`--jwt-flood-clients × --jwt-flood-sec asks for ${2 * n} addresses; 127.1.x.y has 65,024`);
    const m = await minter(ctx);
    const baselineClients = await mintClients(m, n, 'baseline');
    const floodClients = await mintClients(m, n, 'flood');
    return jwtTarget(ctx, async (t) => {
      const check = randomBytes(20);
      await precheck(t, newClientPath({ infoHash: check, token: await quayToken(m, check) }, 999_999), ctx.standardAnnounces()[0]!);
      const port = o.jwtFloodProtocol === 'udp' ? t.udpPort : t.httpPort;
      if (port === null) throw new SkipScenario(`no UDP tracker to flood (${t.udpNote})`);

      // 1. The new clients alone.
      ctx.log(`  baseline: ${n} new clients at ${perSec}/s, no flood`);
      const s0 = await stats(ctx, t);
      const baseline = await runNewClients(t.host, t.httpPort, baselineClients, perSec, 0, CLIENT_TIMEOUT_MS);
      const s1 = await stats(ctx, t);

      // 2. The same with the flood.
      ctx.log(`  flood: ${ATTACKER_ADDRESSES.length} attackers (${o.jwtFloodProtocol}, ${o.jwtFloodConcurrency} in flight each) ` +
        `and ${n} new clients at ${perSec}/s, ${o.jwtFloodSec} s`);
      const cpu0 = t.pid === null ? null : cpuSnapshot(t.pid);
      const attack = runAttack({
        protocol: o.jwtFloodProtocol, host: t.host, port, addresses: ATTACKER_ADDRESSES, concurrency: o.jwtFloodConcurrency,
        // Half a second before the first new client, and a little after the last one's start.
        durationSec: o.jwtFloodSec + 1, maxRequests: 50_000_000, kid: m.kid, issuer: ISSUER, audience: AUDIENCE,
        infoHashHex: randomBytes(20).toString('hex'),
      });
      await new Promise((r) => setTimeout(r, 500)); // the flood is on before the first new client comes
      const flood = await runNewClients(t.host, t.httpPort, floodClients, perSec, n, CLIENT_TIMEOUT_MS);
      const attacked: AttackResult = await attack;
      const cpu1 = t.pid === null ? null : cpuSnapshot(t.pid);
      const s2 = await stats(ctx, t);
      return report(ctx, { n, perSec, baseline, flood, attacked, base: deltas(s0, s1), during: deltas(s1, s2),
        cpu: cpu0 !== null && cpu1 !== null ? cpuUsage(t.pid!, cpu0, cpu1) : null });
    });
  },
};

interface Figures {
  n: number;
  perSec: number;
  baseline: NewClientsResult;
  flood: NewClientsResult;
  attacked: AttackResult;
  base: Record<string, number>;
  during: Record<string, number>;
  cpu: ReturnType<typeof cpuUsage> | null;
}

function report(ctx: RunContext, f: Figures): ScenarioResult {
  const r = emptyResult('ok', null);
  r.protocol = 'http';
  r.generator = `new clients at ${f.perSec}/s (node:http, new connection each) + attackers (${ctx.opts.jwtFloodProtocol})`;
  r.connections = ATTACKER_ADDRESSES.length * ctx.opts.jwtFloodConcurrency;
  r.durationSec = Math.round(f.flood.elapsedSec * 1000) / 1000;
  r.requests = f.flood.accepted + Object.values(f.flood.refused).reduce((a, b) => a + b, 0);
  r.reqPerSec = Math.round(r.requests / Math.max(0.001, f.flood.elapsedSec));
  r.timeouts = f.flood.timeouts;
  r.errors = f.flood.errors;
  r.failures = r.requests - f.flood.accepted;
  recordLatency(r, f.flood.all);
  r.histogramFile = ctx.histograms.write('jwt-flood', percentileDistribution(f.flood.all));
  r.serverCpu = f.cpu;
  const a = attackTotals(f.attacked);
  const sec = f.attacked.elapsedSec;
  const accepted = share(f.flood, f.n);
  const base = summarize(f.baseline.all);
  const during = summarize(f.flood.all);
  Object.assign(r.extra, {
    goal: GOAL,
    acceptedShare: accepted,
    goalMet: accepted >= GOAL,
    baselineAcceptedShare: share(f.baseline, f.n),
    newClients: f.n,
    newClientsPerSec: f.perSec,
    p50Ms: ms(during.p50), p99Ms: ms(during.p99), maxMs: ms(during.max),
    baselineP50Ms: ms(base.p50), baselineP99Ms: ms(base.p99), baselineMaxMs: ms(base.max),
    p99RatioToBaseline: base.p99 > 0 ? Math.round((during.p99 / base.p99) * 100) / 100 : null,
    attackerRequestsPerSec: Math.round(a.answered / sec),
    attackerVerificationsPerSec: Math.round((f.during['jwt.verifications']! - f.flood.started) / sec),
    verificationsPerSec: Math.round(f.during['jwt.verifications']! / sec),
    attackerBusyShare: a.answered === 0 ? null : Math.round(((a.byText['tracker busy, retry later'] ?? 0) / a.answered) * 1000) / 1000,
    attackerErrors: a.errors,
  });
  for (const [k, v] of Object.entries(f.during)) r.extra[`flood.${k}`] = v;
  for (const [k, v] of Object.entries(f.base)) r.extra[`baseline.${k}`] = v;
  for (const x of f.attacked.attackers) {
    r.extra[`attacker.${x.address}`] = `${x.answered} answered (${Object.entries(x.byText).map(([k, v]) => `${v} ${k === '' ? 'announce answers' : `"${k}"`}`).join(', ')}), ${x.errors} errors`;
  }
  if (f.cpu !== null) {
    r.extra.serverCpuSec = f.cpu.cpuSec;
    r.extra.serverMainThreadSec = f.cpu.mainThreadSec;
    r.extra.serverBusiestThreads = f.cpu.busiestThreads.slice(0, 5).map((x) => x.cpuSec).join(' / ');
  }
  r.notes.push(`baseline (no flood): ${describe(f.baseline, f.n)}`);
  r.notes.push(`during the flood: ${describe(f.flood, f.n)}`);
  r.notes.push(`attackers: ${a.answered} answers in ${sec.toFixed(1)} s (${Object.entries(a.byText).map(([k, v]) => `${v} ${k === '' ? 'announce answers' : `"${k}"`}`).join(', ')}); ` +
    `tracker verified ${f.during['jwt.verifications']} tokens (${r.extra.verificationsPerSec}/s)`);
  if (a.answered < 10 * f.n) r.notes.push(`the attackers got only ${a.answered} answers (${a.errors} errors): the flood was weaker than the new clients' load, so this run says little`);
  if (accepted < GOAL) r.notes.push(`GOAL MISSED: ${(accepted * 100).toFixed(1)}% of new clients accepted during the flood, goal ${GOAL * 100}%`);
  if (f.during.requestsErrored !== 0) r.notes.push(`requestsErrored moved by ${f.during.requestsErrored} during the flood: refusals must not count as errors`);
  return r;
}
