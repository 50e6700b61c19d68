// Command-line options of `npm run soak` (node build/bench/soak/cli.js): parsing, validation, defaults,
// --help. Unknown options are an error.
import { readFlags, UsageError, type Spec } from '../runner/flags.js';

export interface SoakOptions {
  help: boolean;
  minutes: number;
  /** Announces per second, HTTP + UDP; null: half of the capacity measured first. */
  rate: number | null;
  /** Share of the rate sent over UDP (0..1). */
  udpShare: number;
  torrents: number;
  peers: number;
  numwant: number;
  intervalSec: number;
  capacitySec: number;
  preload: boolean;
  threads: number;
  httpConnections: number;
  udpSockets: number;
  udpWindow: number;
  timeoutMs: number;
  /** External tracker: HTTP host:port; null: start dist/main.js. */
  target: string | null;
  udpTarget: string | null;
  apiTarget: string | null;
  pid: number | null;
  workers: number | null;
  ioThreads: number | null;
  outDir: string | null;
  name: string;
}

export { UsageError };


const SPECS: Spec[] = [
  { flag: 'help', arg: null, help: 'this text' },
  { flag: 'minutes', arg: 'N', help: 'length of the soak (default 10; fractions allowed, e.g. 0.1)' },
  { flag: 'rate', arg: 'R', help: 'announces per second, HTTP + UDP (default: half of the capacity measured first)' },
  { flag: 'udp-share', arg: 'X', help: 'share of the announces sent over UDP, 0..1 (default 0.5)' },
  { flag: 'torrents', arg: 'N', help: 'torrents in the pool (default 100000)' },
  { flag: 'peers', arg: 'N', help: 'peers per torrent (default 10)' },
  { flag: 'numwant', arg: 'N', help: 'numwant of every announce (default 50)' },
  { flag: 'interval', arg: 'S', help: 'seconds between report lines (default 10)' },
  { flag: 'capacity-sec', arg: 'S', help: 'seconds of the unpaced capacity probe, when --rate is not given (default 5)' },
  { flag: 'no-preload', arg: null, help: 'skip the first pass that announces every peer once before the clock starts' },
  { flag: 'threads', arg: 'N', help: 'generator worker threads, each with its part of the pool (default 1)' },
  { flag: 'http-connections', arg: 'N', help: 'keep-alive HTTP connections per generator thread (default 32)' },
  { flag: 'udp-sockets', arg: 'N', help: 'UDP sockets per generator thread (default 8)' },
  { flag: 'udp-window', arg: 'N', help: 'UDP announces in flight per socket, 1..255 (default 16)' },
  { flag: 'timeout', arg: 'MS', help: 'a request unanswered this long is a timeout (default 5000)' },
  { flag: 'target', arg: 'HOST:PORT', help: 'soak a running tracker (its HTTP port) instead of starting dist/main.js' },
  { flag: 'udp-target', arg: 'HOST:PORT', help: 'its UDP port (with --target; without it: HTTP only)' },
  { flag: 'api-target', arg: 'HOST:PORT', help: 'its admin API (with --target; for Memory.RSS from /stats when --pid is not given)' },
  { flag: 'pid', arg: 'PID', help: 'its process id (with --target; RSS from /proc/PID/status)' },
  { flag: 'workers', arg: 'N', help: 'workers of the hayate it starts (default 0)' },
  { flag: 'io-threads', arg: 'N', help: 'ioThreads of the hayate it starts (default 0: one per CPU)' },
  { flag: 'out', arg: 'DIR', help: 'where the results go (default bench/results/, git-ignored)' },
  { flag: 'name', arg: 'NAME', help: 'results file name part (default soak)' },
];

export function helpText(): string {
  const lines = SPECS.map((s) => `  --${s.flag}${s.arg === null ? '' : ` ${s.arg}`}`.padEnd(28) + s.help);
  return `npm run soak -- [options]: mixed HTTP + UDP announces at a steady rate over a large pool for minutes,\n` +
    `a line every --interval seconds: elapsed, tracker RSS and CPU, requests/s, p99 over the interval\n` +
    `(HTTP and UDP), failures by reason, timeouts, resets; then RSS and p99 drift, and results files.\n\n${lines.join('\n')}\n`;
}

function num(flag: string, v: string, min: number, max = Infinity, integer = false): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got "${v}"`);
  }
  return n;
}

export function parseSoakOptions(argv: string[]): SoakOptions {
  const { raw } = readFlags(argv, SPECS);
  const str = (f: string): string | null => {
    const v = raw.get(f);
    return typeof v === 'string' ? v : null;
  };
  const n = (f: string, def: number, min: number, max = Infinity, integer = false): number => {
    const v = str(f);
    return v === null ? def : num(f, v, min, max, integer);
  };
  const target = str('target');
  for (const f of ['udp-target', 'api-target', 'pid']) if (str(f) !== null && target === null) throw new UsageError(`--${f} goes with --target`);
  for (const f of ['workers', 'io-threads']) if (str(f) !== null && target !== null) throw new UsageError(`--${f} applies to a hayate the soak starts, not to --target`);
  const o: SoakOptions = {
    help: raw.has('help'),
    minutes: n('minutes', 10, 0.01),
    rate: str('rate') === null ? null : n('rate', 0, 1),
    udpShare: n('udp-share', 0.5, 0, 1),
    torrents: n('torrents', 100_000, 1, 1 << 24, true),
    peers: n('peers', 10, 1, 1000, true),
    numwant: n('numwant', 50, 0, 200, true),
    intervalSec: n('interval', 10, 0.5),
    capacitySec: n('capacity-sec', 5, 1),
    preload: !raw.has('no-preload'),
    threads: n('threads', 1, 1, 16, true),
    httpConnections: n('http-connections', 32, 0, 4096, true),
    udpSockets: n('udp-sockets', 8, 0, 1024, true),
    udpWindow: n('udp-window', 16, 1, 255, true),
    timeoutMs: n('timeout', 5_000, 100),
    target,
    udpTarget: str('udp-target'),
    apiTarget: str('api-target'),
    pid: str('pid') === null ? null : n('pid', 0, 1, Infinity, true),
    workers: str('workers') === null ? null : n('workers', 0, 0, 64, true),
    ioThreads: str('io-threads') === null ? null : n('io-threads', 0, 0, 64, true),
    outDir: str('out'),
    name: str('name') ?? 'soak',
  };
  if (o.torrents * o.peers > 1 << 24) throw new UsageError('--torrents × --peers must be at most 16,777,216 (peers get 10.x.y.z addresses)');
  if (o.torrents * o.peers < o.threads) throw new UsageError('fewer peers than generator threads');
  if (!/^[A-Za-z0-9._-]+$/.test(o.name)) throw new UsageError('--name: letters, digits, ".", "_", "-" only');
  return o;
}
