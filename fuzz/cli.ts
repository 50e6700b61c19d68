// `npm run fuzz -- [options]`: mutational fuzzing of hayate's UDP and HTTP trackers, black box, against a
// real `node dist/main.js` per config of the matrix. Exits 1 on any violation (printing the seed and the
// first offending inputs, hex-encoded), 2 on bad flags, 0 otherwise.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { formatTallies, talliesJson, Findings } from './assertions.js';
import { CONFIGS } from './configs.js';
import { formatLatency } from './latency.js';
import { fuzzConfig, type ConfigResult } from './run.js';
import { canBind } from '../test/helpers/udp-client.js';

const USAGE = `Usage: npm run fuzz -- [options]
  --seed N            PRNG seed (u32); the same seed generates the same inputs (default: random, printed)
  --udp-count N       UDP datagrams per config (default 1000000)
  --http-count N      HTTP requests per config (default 200000)
  --max-seconds S     wall-clock bound for the whole run, shared by the configs (default 3600)
  --configs a,b       configs to run (default: ${CONFIGS.map((c) => c.name).join(',')})
  --strict-http10     HTTP/1.0 and Host-less requests left unanswered are violations
  --rss-bound-mb N    RSS growth over the post-start value that fails a run (default 200)
  --report FILE       also write the full report as JSON
  --help`;

interface Args {
  seed: number;
  udpCount: number;
  httpCount: number;
  maxSeconds: number;
  configs: string[];
  strictHttp10: boolean;
  rssBoundMb: number;
  report: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    seed: randomBytes(4).readUInt32BE(0), udpCount: 1_000_000, httpCount: 200_000, maxSeconds: 3600,
    configs: CONFIGS.map((c) => c.name), strictHttp10: false, rssBoundMb: 200, report: null,
  };
  const num = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${flag} needs a non-negative integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.includes('=') ? argv[i]!.split(/=(.*)/s, 2) as [string, string] : [argv[i]!, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--seed': a.seed = num(flag, value()) >>> 0; break;
      case '--udp-count': a.udpCount = num(flag, value()); break;
      case '--http-count': a.httpCount = num(flag, value()); break;
      case '--max-seconds': a.maxSeconds = num(flag, value()); break;
      case '--rss-bound-mb': a.rssBoundMb = num(flag, value()); break;
      case '--strict-http10': a.strictHttp10 = true; break;
      case '--report': a.report = value() ?? null; break;
      case '--configs': {
        a.configs = (value() ?? '').split(',').filter((s) => s !== '');
        const unknown = a.configs.filter((n) => !CONFIGS.some((c) => c.name === n));
        if (unknown.length > 0 || a.configs.length === 0) throw new Error(`--configs: unknown ${unknown.join(',')}; known: ${CONFIGS.map((c) => c.name).join(',')}`);
        break;
      }
      case '--help': case '-h':
        console.log(USAGE);
        process.exit(0);
      // falls through (process.exit does not return)
      default:
        throw new Error(`unknown flag ${flag}`);
    }
  }
  return a;
}

const mb = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const fmt = (r: Record<string, number>): string => Object.entries(r).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ');

function describe(r: ConfigResult): string {
  const lines = [`== ${r.name}: ${(r.runtimeMs / 1000).toFixed(1)} s ==`];
  if (r.udp !== null) {
    const u = r.udp;
    lines.push(`udp: ${u.sent} datagrams (${u.sentIPv6} from ::1) in ${(u.elapsedMs / 1000).toFixed(1)} s = ${u.datagramsPerSec}/s, stopped by ${u.stoppedBy}`);
    lines.push(`  replies ${u.replies} {${fmt(u.repliesByAction)}}; owed a reply but none within 2 s: ${u.unanswered}; late (> 2 s): ${u.late}; unmatched (left the ring): ${u.unmatched}`);
    lines.push(`  error texts {${fmt(u.errorTexts)}}`);
    if (u.latency !== null) lines.push(`  reply latency: ${formatLatency(u.latency)}`);
  }
  if (r.http !== null) {
    const h = r.http;
    lines.push(`http: ${h.requests} requests (${h.keepAliveRequests} keep-alive, ${h.rawCases} raw-socket cases) in ${(h.elapsedMs / 1000).toFixed(1)} s = ${h.requestsPerSec}/s, stopped by ${h.stoppedBy}`);
    lines.push(`  responses ${h.responses} by status {${fmt(h.byStatus)}}; announces served ${h.announcesServed}, scrapes served ${h.scrapesServed}`);
    lines.push(`  failure reasons {${fmt(h.failureReasons)}}`);
    if (h.latency !== null) lines.push(`  keep-alive response latency: ${formatLatency(h.latency)}`);
  }
  if (r.firstJwtMs !== undefined) lines.push(`jwt: the first announce with a valid token was answered in ${r.firstJwtMs} ms (before fuzzing)`);
  if (r.monitor !== null) {
    const m = r.monitor;
    lines.push(`rss: start ${mb(m.startKiB)}, max ${mb(m.maxKiB)} (+${mb(m.maxKiB - m.startKiB)}), final ${mb(m.finalKiB)} (${m.samples} samples); /check: ${m.checks} asked, ${m.checkFailures} failed, slowest ${m.checkMaxMs} ms`);
  }
  if (r.trackerStats !== null) lines.push(`tracker /stats: ${JSON.stringify(r.trackerStats)}`);
  lines.push(`exit: ${r.exit}`);
  lines.push(formatTallies('violations', r.findings.violations));
  lines.push(formatTallies('reported (not violations)', r.findings.categories));
  return lines.join('\n');
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`fuzz: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const ipv6 = await canBind('::1');
  const configs = CONFIGS.filter((c) => args.configs.includes(c.name));
  console.log(`fuzz: seed ${args.seed}; ${args.udpCount} UDP datagrams and ${args.httpCount} HTTP requests per config; configs ${configs.map((c) => c.name).join(', ')}; ` +
    `at most ${args.maxSeconds} s; ::1 ${ipv6 ? 'available' : 'NOT available (IPv4 sources only)'}${args.strictHttp10 ? '; strict HTTP/1.0' : ''}`);
  const runEnd = Date.now() + args.maxSeconds * 1000;
  const results: ConfigResult[] = [];
  const total = new Findings();
  for (let i = 0; i < configs.length; i++) {
    const budgetSec = Math.max(1, (runEnd - Date.now()) / 1000 / (configs.length - i));
    const r = await fuzzConfig(configs[i]!, {
      seed: args.seed, udpCount: args.udpCount, httpCount: args.httpCount, budgetSec, strictHttp10: args.strictHttp10,
      rssBoundMiB: args.rssBoundMb, ipv6, log: (l) => console.log(l),
    });
    console.log(describe(r));
    results.push(r);
    total.merge(r.findings);
  }
  if (args.report !== null) {
    writeFileSync(args.report, JSON.stringify({
      seed: args.seed, args, ipv6,
      configs: results.map((r) => ({
        name: r.name, runtimeMs: r.runtimeMs, firstJwtMs: r.firstJwtMs, udp: r.udp, http: r.http, monitor: r.monitor, trackerStats: r.trackerStats, exit: r.exit,
        violations: talliesJson(r.findings.violations), reported: talliesJson(r.findings.categories),
      })),
    }, null, 2));
    console.log(`report written to ${args.report}`);
  }
  const n = total.violationCount;
  if (n > 0) {
    console.log(`\nFAIL: ${n} violations (seed ${args.seed}). Same inputs again: npm run fuzz -- --seed ${args.seed} --udp-count ${args.udpCount} --http-count ${args.httpCount} --configs ${args.configs.join(',')}${args.strictHttp10 ? ' --strict-http10' : ''}`);
    console.log(formatTallies('violations (all configs)', total.violations));
    process.exit(1);
  }
  console.log(`\nOK: no violations (seed ${args.seed})`);
}

await main();
