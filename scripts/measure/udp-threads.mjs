// Measures UDP answered per second with 2 I/O threads: one socket shared by both (bind({ fd })) against
// one SO_REUSEPORT socket per thread, with 1 thread as the baseline. The responder is trivial
// (udp-threads-server.mjs); the load is the bench's native generator (bench/native/udp-load.c, BEP 15
// connects from many client sockets, i.e. many source ports). Variants are interleaved round by round
// (one, shared, reuseport, one, ...; the order rotates) so that other load on the machine hits them
// alike; the table gives medians over the rounds.
//
//   npm run build && node scripts/measure/udp-threads.mjs [--rounds 3] [--sec 5] [--sockets 128]
//        [--window 8] [--pins unpinned,pinned,split] [--json FILE]
// Pins: unpinned (scheduler's choice); pinned (server process on CPU 1, generator on CPU 0: server
// efficiency on one core); split (the two I/O threads on CPUs 0 and 1, generator unpinned).
// CPU per thread comes from /proc/<pid>/task/<tid>/stat (utime + stime) over the measured window.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER = join(root, 'scripts', 'measure', 'udp-threads-server.mjs');
const GEN_SRC = join(root, 'bench', 'native', 'udp-load.c');
const GEN = join(root, 'build', 'native', 'udp-load');
const TICKS_PER_SEC = 100; // getconf CLK_TCK on Linux
const WARMUP_SEC = 1;
const MODES = ['one', 'shared', 'reuseport'];

function opt(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
}
const rounds = Math.min(20, Number(opt('rounds', '3')));
const sec = Math.min(60, Number(opt('sec', '5')));
const sockets = Number(opt('sockets', '128'));
const window = Number(opt('window', '8'));
const pins = opt('pins', 'unpinned,pinned').split(',');
const jsonOut = opt('json', null);

if (!existsSync(GEN) || statSync(GEN).mtimeMs < statSync(GEN_SRC).mtimeMs) {
  mkdirSync(dirname(GEN), { recursive: true });
  const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-std=gnu11', '-pthread', '-o', GEN, GEN_SRC], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('cannot build the udp-load generator');
}

function freePort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** Context switches of a thread so far (voluntary + involuntary): a wake-up costs one voluntary switch. */
function switches(statusPath) {
  const t = readFileSync(statusPath, 'utf8');
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(t)[1]) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(t)[1]);
}

function ticks(path) {
  const stat = readFileSync(path, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return Number(f[11]) + Number(f[12]); // utime (14), stime (15)
}

/** Busy and total jiffies of the whole machine (/proc/stat "cpu" line). */
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], irq: f[5] + f[6], total };
}

function runGenerator(port, durationSec, taskset) {
  const args = ['--host', '127.0.0.1', '--port', String(port), '--action', 'connect', '--count', '1', '--threads', '1',
    '--sockets', String(sockets), '--window', String(window), '--duration-sec', String(durationSec), '--timeout-ms', '1000'];
  // /usr/bin/time reports the generator's own CPU (user, system seconds) on stderr.
  const cmd = ['/usr/bin/time', '-f', 'GENCPU %U %S', ...(taskset === null ? [] : ['taskset', '-c', taskset]), GEN, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: (durationSec + 30) * 1000 });
  const m = /^HAYATE_UDP_SUMMARY (.*)$/m.exec(r.stdout ?? '');
  if (m === null) throw new Error(`udp-load: ${r.stderr || r.error}`);
  const cpu = /GENCPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { ...JSON.parse(m[1]), cpuSec: cpu === null ? NaN : Number(cpu[1]) + Number(cpu[2]) };
}

async function runOne(mode, pin) {
  const port = await freePort();
  const node = [process.execPath, SERVER, mode, String(port)];
  const cmd = pin === 'pinned' ? ['taskset', '-c', '1', ...node] : node;
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const r = await lines.next();
    clearTimeout(timer);
    if (r.done) throw new Error(`server ${mode} ended early`);
    return r.value;
  };
  try {
    const tids = (await next()).replace(/^READY /, '').split(',').map(Number);
    if (pin === 'split') tids.forEach((tid, i) => spawnSync('taskset', ['-p', '-c', String(i % 2), String(tid)]));
    const genCpu = pin === 'pinned' ? '0' : null;
    runGenerator(port, WARMUP_SEC, genCpu);
    // Let the server drain what the warm-up left queued, so the window counts only the measured clients.
    await new Promise((resolve) => setTimeout(resolve, 300));
    let flows = [];
    const counts = async () => {
      child.stdin.write('COUNTS\n');
      const m = /^COUNTS ([\d,]+) FLOWS ([\d,]+)$/.exec(await next());
      flows = m[2].split(',').map(Number);
      return m[1].split(',').map(Number);
    };
    const taskPath = (tid) => `/proc/${child.pid}/task/${tid}/stat`;
    const c0 = await counts();
    const t0 = tids.map((t) => ticks(taskPath(t)));
    const s0 = tids.map((t) => switches(`/proc/${child.pid}/task/${t}/status`));
    const p0 = ticks(`/proc/${child.pid}/stat`);
    const m0 = machineTicks();
    const started = process.hrtime.bigint();
    const gen = runGenerator(port, sec, genCpu);
    const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
    const t1 = tids.map((t) => ticks(taskPath(t)));
    const s1 = tids.map((t) => switches(`/proc/${child.pid}/task/${t}/status`));
    const p1 = ticks(`/proc/${child.pid}/stat`);
    const m1 = machineTicks();
    // CPU of the machine's 2 cores taken by neither the server nor the generator: other helpers' load.
    // (Interrupt and softirq time, where loopback delivers datagrams, is counted apart: it is no task's.)
    const irqTicks = m1.irq - m0.irq;
    const othersPct = (100 * ((m1.busy - m0.busy) - irqTicks - (p1 - p0) - gen.cpuSec * TICKS_PER_SEC)) / TICKS_PER_SEC / wallSec;
    const c1 = await counts();
    const answered = c1.map((c, i) => c - c0[i]);
    const total = answered.reduce((a, b) => a + b, 0);
    return {
      mode, pin,
      reqPerSec: gen.requests / gen.elapsedSec,
      timeouts: gen.timeouts,
      threadCpuPct: t1.map((t, i) => (100 * (t - t0[i])) / TICKS_PER_SEC / wallSec),
      processCpuPct: (100 * (p1 - p0)) / TICKS_PER_SEC / wallSec,
      generatorCpuPct: (100 * gen.cpuSec) / wallSec,
      othersCpuPct: othersPct,
      irqCpuPct: (100 * irqTicks) / TICKS_PER_SEC / wallSec,
      share: answered.map((a) => (total > 0 ? a / total : 0)),
      answered: total,
      flows, // distinct client source ports answered per thread during the measured window
      // Wake-ups of the I/O threads per 1000 datagrams answered (all threads together).
      switchesPer1000: total > 0 ? (1000 * s1.reduce((a, v, i) => a + v - s0[i], 0)) / total : 0,
    };
  } finally {
    child.stdin.write('EXIT\n');
    await new Promise((resolve) => { child.once('exit', resolve); setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5000); });
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const results = [];
for (let r = 0; r < rounds; r++) {
  for (const pin of pins) {
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(k + r) % MODES.length];
      const res = await runOne(mode, pin);
      results.push({ round: r + 1, ...res });
      console.error(`round ${r + 1} ${pin} ${mode}: ${Math.round(res.reqPerSec)} req/s, threads CPU ${res.threadCpuPct.map((c) => c.toFixed(0)).join('/')}%, process ${res.processCpuPct.toFixed(0)}%, generator ${res.generatorCpuPct.toFixed(0)}%, softirq ${res.irqCpuPct.toFixed(0)}%, others ${res.othersCpuPct.toFixed(0)}%, share ${res.share.map((s) => (100 * s).toFixed(1)).join('/')}%, switches/1000 dgrams ${res.switchesPer1000.toFixed(1)}, flows per thread ${res.flows.join('/')}, timeouts ${res.timeouts}`);
    }
  }
}
console.log(`| pinning | variant | req/s (median of ${rounds}) | runs | thread CPU % (median) | process CPU % | req per process CPU-s | split % (median) | flows per thread (median) | I/O-thread context switches per 1000 datagrams | generator CPU % | softirq CPU % | others' CPU % | timeouts |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const pin of pins) {
  for (const mode of MODES) {
    const rs = results.filter((x) => x.pin === pin && x.mode === mode);
    const n = rs[0].threadCpuPct.length;
    const cpu = Array.from({ length: n }, (_, i) => median(rs.map((x) => x.threadCpuPct[i])).toFixed(0)).join(' / ');
    const share = Array.from({ length: n }, (_, i) => median(rs.map((x) => 100 * x.share[i])).toFixed(1)).join(' / ');
    const eff = median(rs.map((x) => x.reqPerSec / (x.processCpuPct / 100)));
    console.log(`| ${pin} | ${mode} | ${Math.round(median(rs.map((x) => x.reqPerSec))).toLocaleString('en-US')} | ${rs.map((x) => Math.round(x.reqPerSec / 1000) + 'k').join(', ')} | ${cpu} | ${median(rs.map((x) => x.processCpuPct)).toFixed(0)} | ${Math.round(eff).toLocaleString('en-US')} | ${share} | ${Array.from({ length: n }, (_, i) => median(rs.map((x) => x.flows[i]))).join(' / ')} | ${median(rs.map((x) => x.switchesPer1000)).toFixed(1)} | ${median(rs.map((x) => x.generatorCpuPct)).toFixed(0)} | ${median(rs.map((x) => x.irqCpuPct)).toFixed(0)} | ${median(rs.map((x) => x.othersCpuPct)).toFixed(0)} | ${rs.reduce((a, x) => a + x.timeouts, 0)} |`);
  }
}
if (jsonOut !== null) writeFileSync(jsonOut, JSON.stringify({ rounds, sec, sockets, window, results }, null, 2));
