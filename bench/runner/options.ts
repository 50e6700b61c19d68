// Command-line options of `npm run bench` (node build/bench/runner/cli.js): parsing, validation, defaults (the
// standard suite and the --smoke sizes), and the --help text. Unknown options are an error.
import type { GeneratorKind, UdpGeneratorKind } from '../load/generators.js';
import { readFlags, UsageError, type Spec } from './flags.js';

export interface Options {
  help: boolean;
  scenarios: string[] | null;   // null: the standard suite
  smoke: boolean;
  durationSec: number;
  connections: number;
  generator: GeneratorKind;
  threads: number;
  wrkThreads: number;
  timeoutSec: number;
  udpGenerator: UdpGeneratorKind | null;  // null: native where it compiles, else node
  udpThreads: number;
  udpSockets: number;
  udpWindow: number;
  udpTimeoutMs: number;
  poolTorrents: number;         // the standard pool (http-announce, scrape, udp, jwt)
  poolPeers: number;
  torrents: number;             // zipf / uniform
  zipfS: number;
  sequence: number;
  heavyPeers: number;
  heavyNumwant: number;
  memoryPeers: number;
  jwtColdTokens: number;
  jwtFloodSec: number;          // jwt-flood: seconds of flood (and of the baseline before it)
  jwtFloodClients: number;      // jwt-flood: new legitimate clients per second
  jwtFloodProtocol: 'http' | 'udp';
  jwtFloodConcurrency: number;  // jwt-flood: connections (HTTP) or datagrams in flight (UDP) per attacker address
  duelRounds: number;           // rounds of each duel scenario (udp-duel, http-duel, jwt-duel)
  duelSec: number;              // seconds of each duel round
  scrapeMs: number;             // metrics-duel: side B's /metrics scraped this often
  metricsDuelProtocol: 'udp' | 'http';
  clusterRate: number;          // cluster-lag: announces per second across the cluster
  clusterSec: number;           // cluster-lag: seconds of that load
  joinRuns: number;             // cluster-join: joins timed against the loaded cluster
  warmupSec: number;
  ceilingSec: number;
  ceilings: boolean;
  target: string | null;
  udpTarget: string | null;
  apiTarget: string | null;
  serverPid: number | null;
  workers: number | null;
  shards: number | null;
  trackerConfig: string | null;
  trackerV: number | null;
  serverCpus: string | null;
  loadCpus: string | null;
  sweep: Record<string, string[]> | null;
  sweepScenario: string;
  name: string | null;
  outDir: string | null;       // null: bench/results of the repository (git-ignored)
  compare: [string, string] | null;
  noisePct: number;
  strict: boolean;
  mainJs: string | null;       // null: dist/main.js of the repository
  baseline: string | null;     // another checkout with a built dist/ (the *-baseline-duel scenarios' side A)
  baselineConfig: string | null; // JSON merged into side A's config only
}


const SPECS: Spec[] = [
  { flag: 'help', arg: null, help: 'this text' },
  { flag: 'scenarios', arg: 'a,b', help: 'scenarios to run (default: the standard suite, see below)' },
  { flag: 'smoke', arg: null, help: 'seconds-long run with tiny load and pools (CI); checks the machinery, not speed' },
  { flag: 'duration', arg: 'S', help: 'seconds of load per scenario (default 8; smoke 1)' },
  { flag: 'connections', arg: 'N', help: 'HTTP connections / concurrent new-connection loops (default 64; smoke 4)' },
  { flag: 'generator', arg: 'autocannon|wrk', help: 'HTTP keep-alive generator (default autocannon; wrk if installed is ~4x faster)' },
  { flag: 'threads', arg: 'N', help: 'generator threads for autocannon and the new-connection loop (default 1)' },
  { flag: 'wrk-threads', arg: 'N', help: 'wrk -t (default 1)' },
  { flag: 'timeout', arg: 'S', help: 'HTTP request timeout (default 5)' },
  { flag: 'udp-generator', arg: 'native|node', help: 'UDP generator: C (recvmmsg/sendmmsg, built with cc into build/native) or node:dgram (default native when a C compiler builds it, else node)' },
  { flag: 'udp-threads', arg: 'N', help: 'UDP generator threads (native: pthreads; node: worker threads) (default 1)' },
  { flag: 'udp-sockets', arg: 'N', help: 'UDP sockets (simulated clients) per thread (default 4)' },
  { flag: 'udp-window', arg: 'N', help: 'UDP requests in flight per socket, 1..256 (default 64)' },
  { flag: 'udp-timeout', arg: 'MS', help: 'UDP reply timeout (default 1000)' },
  { flag: 'pool-torrents', arg: 'N', help: 'torrents of the standard pool (default 1000)' },
  { flag: 'pool-peers', arg: 'N', help: 'peers per torrent of the standard pool (default 10)' },
  { flag: 'torrents', arg: 'N', help: 'torrents for zipf / uniform (default 10000)' },
  { flag: 'zipf-s', arg: 'X', help: 'Zipf exponent (default 1.0)' },
  { flag: 'sequence', arg: 'N', help: 'announces in the zipf / uniform sequence (default 50000)' },
  { flag: 'heavy-peers', arg: 'N', help: 'peers preloaded into the heavy swarm (default 100000)' },
  { flag: 'heavy-numwant', arg: 'N', help: 'numwant of the heavy-swarm announces (default 50; 9 matches http-announce answer sizes)' },
  { flag: 'memory-peers', arg: 'N', help: 'peers loaded by the memory scenario, 10 per torrent (default 1000000)' },
  { flag: 'jwt-cold-tokens', arg: 'N', help: 'distinct tokens minted for jwt-cold; bounds its request count (default 8000)' },
  { flag: 'jwt-flood-sec', arg: 'S', help: 'jwt-flood: seconds of forged-token flood, and of the baseline before it (default 15; smoke 1)' },
  { flag: 'jwt-flood-clients', arg: 'N', help: 'jwt-flood: new legitimate clients per second, each with a fresh token (default 50; smoke 10)' },
  { flag: 'jwt-flood-protocol', arg: 'P', help: 'jwt-flood: the attackers\' protocol, http or udp (default http; new clients always use HTTP)' },
  { flag: 'jwt-flood-concurrency', arg: 'N', help: 'jwt-flood: per attacker address, keep-alive connections (http) or datagrams in flight (udp, 256 per socket) (default 64)' },
  { flag: 'duel-rounds', arg: 'N', help: 'rounds of each duel scenario, 1..100 (default 5; smoke 2)' },
  { flag: 'duel-sec', arg: 'S', help: 'seconds of each duel round, both sides loaded at once (default duration/2, at least 3; smoke 1)' },
  { flag: 'scrape-ms', arg: 'MS', help: 'metrics-duel: how often side B\'s /metrics is scraped (default 1000)' },
  { flag: 'metrics-duel-protocol', arg: 'udp|http', help: 'metrics-duel: the announces both sides get (default udp; http: keep-alive, use --generator wrk)' },
  { flag: 'cluster-rate', arg: 'N', help: 'cluster-lag: announces per second across the cluster, split over its two instances (default 20000; smoke 2000)' },
  { flag: 'cluster-sec', arg: 'S', help: 'cluster-lag: seconds of that load (default 30; smoke 2)' },
  { flag: 'join-runs', arg: 'N', help: 'cluster-join: new instances started and timed against the loaded cluster, 1..20 (default 3; smoke 1)' },
  { flag: 'warmup', arg: 'S', help: 'longest warm-up pass before measuring (default 3)' },
  { flag: 'ceiling-duration', arg: 'S', help: 'seconds of each generator-ceiling measurement, taken right before each scenario (default min(duration/4, 2))' },
  { flag: 'no-ceiling', arg: null, help: 'skip the generator-ceiling measurements' },
  { flag: 'target', arg: 'HOST:PORT', help: 'load an HTTP tracker already running instead of starting hayate' },
  { flag: 'udp-target', arg: 'HOST:PORT', help: 'its UDP tracker' },
  { flag: 'api-target', arg: 'HOST:PORT', help: 'its admin API (chihaya /check, /stats)' },
  { flag: 'server-pid', arg: 'PID', help: 'its process id, for CPU figures' },
  { flag: 'workers', arg: 'N', help: 'hayate config `workers` (swarm worker threads)' },
  { flag: 'shards', arg: 'N', help: 'hayate config `torrentMapShards`' },
  { flag: 'tracker-config', arg: 'FILE', help: 'JSON merged into the config of every hayate the bench starts' },
  { flag: 'tracker-v', arg: 'N', help: 'start hayate with -v=N (its log tail is kept per scenario in the JSON: trackerLog)' },
  { flag: 'server-cpus', arg: 'LIST', help: 'taskset CPU list for the tracker and the trivial responders (e.g. 0)' },
  { flag: 'load-cpus', arg: 'LIST', help: 'taskset CPU list for the bench and its generators (e.g. 1)' },
  { flag: 'sweep', arg: 'K=V,V [K=V,V]', help: 'grid of hayate configs, e.g. --sweep workers=0,1,2 shards=1,16,64' },
  { flag: 'sweep-scenario', arg: 'NAME', help: 'scenario measured in each sweep cell (default http-announce)' },
  { flag: 'strict', arg: null, help: 'exit 3 when a scenario ends in error (default: 0 once results are written)' },
  { flag: 'name', arg: 'NAME', help: 'results file name part (default: suite, smoke, sweep or the scenario list)' },
  { flag: 'out', arg: 'DIR', help: 'where a run writes its files (default bench/results, git-ignored)' },
  { flag: 'results-dir', arg: 'DIR', help: 'the same as --out (its former name)' },
  { flag: 'compare', arg: 'A.json B.json', help: 'print B/A ratios per scenario, flag regressions beyond --noise; write an HTML report of both into --out' },
  { flag: 'noise', arg: 'PCT', help: 'regression threshold for --compare, req/s (p99: twice this) (default 10)' },
  { flag: 'main', arg: 'FILE', help: 'tracker entry point to start (default dist/main.js)' },
  { flag: 'baseline', arg: 'DIR', help: 'another checkout with a built dist/ (git worktree add DIR <commit>; npm ci; npm run build): side A of udp-baseline-duel / http-baseline-duel' },
  { flag: 'baseline-config', arg: 'FILE', help: 'JSON merged into side A\'s config only, over --tracker-config (without --baseline, side A is this build: a duel of two configs, e.g. ioThreads 1 vs 2)' },
];

export { UsageError };

function positiveInt(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag}: expected an integer >= ${min}, got "${v}"`);
  return n;
}

function positiveNumber(flag: string, v: string, min = 0): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${flag}: expected a number >= ${min}, got "${v}"`);
  return n;
}

export function parseOptions(argv: string[]): Options {
  const { raw, multi } = readFlags(argv, SPECS, ['sweep', 'compare']);
  const sweepDims = multi.get('sweep')!;
  const compareFiles = multi.get('compare')!;
  const str = (f: string): string | null => {
    const v = raw.get(f);
    return typeof v === 'string' ? v : null;
  };
  const smoke = raw.has('smoke');
  const int = (f: string, def: number, min = 1): number => (str(f) === null ? def : positiveInt(f, str(f)!, min));
  const numOpt = (f: string, def: number, min = 0): number => (str(f) === null ? def : positiveNumber(f, str(f)!, min));

  const durationSec = numOpt('duration', smoke ? 1 : 8, 0.5);
  const generator = str('generator') ?? 'autocannon';
  if (generator !== 'autocannon' && generator !== 'wrk') throw new UsageError(`--generator: autocannon or wrk, got "${generator}"`);

  let sweep: Record<string, string[]> | null = null;
  if (raw.has('sweep')) {
    if (sweepDims.length === 0) throw new UsageError('--sweep needs at least one KEY=V1,V2 dimension');
    sweep = {};
    for (const d of sweepDims) {
      const m = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/.exec(d);
      if (m === null) throw new UsageError(`--sweep: expected KEY=V1,V2,..., got "${d}"`);
      sweep[m[1]!] = m[2]!.split(',').filter((v) => v !== '');
    }
  }
  let compare: [string, string] | null = null;
  if (raw.has('compare')) {
    if (compareFiles.length !== 2) throw new UsageError('--compare needs exactly two result files: A.json B.json');
    compare = [compareFiles[0]!, compareFiles[1]!];
  }
  const cpuList = (f: string): string | null => {
    const v = str(f);
    if (v !== null && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new UsageError(`--${f}: expected a CPU list such as 0 or 0,1 or 0-3, got "${v}"`);
    return v;
  };
  const udpGenerator = str('udp-generator');
  if (udpGenerator !== null && udpGenerator !== 'native' && udpGenerator !== 'node') throw new UsageError(`--udp-generator: native or node, got "${udpGenerator}"`);
  const duelRounds = int('duel-rounds', smoke ? 2 : 5);
  if (duelRounds > 100) throw new UsageError('--duel-rounds: at most 100');
  const jwtFloodProtocol = str('jwt-flood-protocol') ?? 'http';
  if (jwtFloodProtocol !== 'http' && jwtFloodProtocol !== 'udp') throw new UsageError(`--jwt-flood-protocol: http or udp, got "${jwtFloodProtocol}"`);
  const metricsDuelProtocol = str('metrics-duel-protocol') ?? 'udp';
  if (metricsDuelProtocol !== 'udp' && metricsDuelProtocol !== 'http') throw new UsageError(`--metrics-duel-protocol: udp or http, got "${metricsDuelProtocol}"`);
  const joinRuns = int('join-runs', smoke ? 1 : 3);
  if (joinRuns > 20) throw new UsageError('--join-runs: at most 20');
  const udpWindow = int('udp-window', 64);
  if (udpWindow > 256) throw new UsageError('--udp-window: at most 256');

  return {
    help: raw.has('help'),
    scenarios: str('scenarios') === null ? null : str('scenarios')!.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    smoke,
    durationSec,
    connections: int('connections', smoke ? 4 : 64),
    generator,
    threads: int('threads', 1),
    wrkThreads: int('wrk-threads', 1),
    timeoutSec: numOpt('timeout', 5, 0.1),
    udpGenerator,
    udpThreads: int('udp-threads', 1),
    udpSockets: int('udp-sockets', smoke ? 2 : 4),
    udpWindow: smoke && str('udp-window') === null ? 8 : udpWindow,
    udpTimeoutMs: int('udp-timeout', 1000),
    poolTorrents: int('pool-torrents', smoke ? 100 : 1000),
    poolPeers: int('pool-peers', 10),
    torrents: int('torrents', smoke ? 1000 : 10_000),
    zipfS: numOpt('zipf-s', 1.0),
    sequence: int('sequence', smoke ? 2000 : 50_000),
    heavyPeers: int('heavy-peers', smoke ? 2000 : 100_000),
    heavyNumwant: int('heavy-numwant', 50, 0),
    memoryPeers: int('memory-peers', smoke ? 20_000 : 1_000_000, 10),
    jwtColdTokens: int('jwt-cold-tokens', smoke ? 100 : 8000),
    jwtFloodSec: numOpt('jwt-flood-sec', smoke ? 1 : 15, 0.5),
    jwtFloodClients: int('jwt-flood-clients', smoke ? 10 : 50),
    jwtFloodProtocol,
    jwtFloodConcurrency: int('jwt-flood-concurrency', 64),
    duelRounds,
    // At least 1 s: wrk runs whole seconds (rounded up), and a shorter round is mostly start-up.
    duelSec: numOpt('duel-sec', smoke ? 1 : Math.max(3, durationSec / 2), 1),
    scrapeMs: int('scrape-ms', 1000, 10),
    metricsDuelProtocol,
    clusterRate: int('cluster-rate', smoke ? 2000 : 20_000),
    clusterSec: numOpt('cluster-sec', smoke ? 2 : 30, 1),
    joinRuns,
    warmupSec: numOpt('warmup', smoke ? 1 : 3),
    ceilingSec: numOpt('ceiling-duration', Math.max(0.5, Math.min(durationSec / 4, 2)), 0.2),
    ceilings: !raw.has('no-ceiling'),
    target: str('target'),
    udpTarget: str('udp-target'),
    apiTarget: str('api-target'),
    serverPid: str('server-pid') === null ? null : positiveInt('server-pid', str('server-pid')!),
    workers: str('workers') === null ? null : positiveInt('workers', str('workers')!, 0),
    shards: str('shards') === null ? null : positiveInt('shards', str('shards')!),
    trackerConfig: str('tracker-config'),
    trackerV: str('tracker-v') === null ? null : positiveInt('tracker-v', str('tracker-v')!, 0),
    serverCpus: cpuList('server-cpus'),
    loadCpus: cpuList('load-cpus'),
    sweep,
    sweepScenario: str('sweep-scenario') ?? 'http-announce',
    name: str('name'),
    outDir: str('out') ?? str('results-dir'),
    compare,
    noisePct: numOpt('noise', 10),
    strict: raw.has('strict'),
    mainJs: str('main'),
    baseline: str('baseline'),
    baselineConfig: str('baseline-config'),
  };
}

export function helpText(scenarioLines: string[]): string {
  const opts = SPECS.map((s) => {
    const left = `  --${s.flag}${s.arg === null ? '' : ' ' + s.arg}`;
    return `${left.padEnd(34)} ${s.help}`;
  });
  return [
    'hayate bench: load generators and a standard suite for the tracker (and any BitTorrent tracker).',
    '',
    'usage: npm run bench -- [options]      (or: node build/bench/runner/cli.js [options])',
    '',
    'With no options: the standard suite against a hayate the bench starts (dist/main.js on free ports).',
    'Every result is printed beside its generator ceiling (the same generator against a trivial responder);',
    'results at >= 90% of the ceiling are marked generator-bound. Each run writes into --out DIR (default',
    'bench/results/, git-ignored): <date>-<name>.json (every figure), .md (the table), .html (latency charts,',
    'sweep table) and one .hgrm percentile distribution per scenario.',
    '',
    'scenarios (* = in the standard suite):',
    ...scenarioLines,
    '',
    'options:',
    ...opts,
    '',
    'examples:',
    '  npm run bench -- --server-cpus 0 --load-cpus 1',
    '  npm run bench -- --scenarios http-announce,udp-announce --generator wrk --duration 15',
    '  npm run bench -- --scenarios udp-announce --udp-generator node     # the node:dgram UDP generator',
    '  npm run bench -- --sweep workers=0,1,2 shards=1,16,64 --duration 5',
    '  npm run bench -- --scenarios memory',
    '  npm run bench -- --scenarios udp-duel,http-duel,jwt-duel --server-cpus 0 --load-cpus 1 --generator wrk',
    '  npm run bench -- --target 127.0.0.1:6881 --udp-target 127.0.0.1:6882 --api-target 127.0.0.1:6880',
    '  npm run bench -- --compare bench/results/A.json bench/results/B.json   # and an HTML report of both',
    '  npm run bench -- --sweep ioThreads=1,2 workers=0,1,2 --sweep-scenario udp-announce --udp-sockets 16',
    '  npm run bench -- --scenarios udp-baseline-duel,http-baseline-duel --baseline /tmp/base --server-cpus 0 --load-cpus 1 --generator wrk',
    '',
  ].join('\n');
}
