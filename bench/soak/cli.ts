// `npm run soak -- --minutes N` (node build/bench/soak/cli.js): mixed HTTP + UDP announces at a steady
// rate (half of the capacity measured first, or --rate) over a large pool (100,000 torrents × 10 peers)
// for minutes, against a hayate it starts (dist/main.js) or --target. A line every --interval seconds:
// elapsed, the tracker's RSS and CPU, requests/s, p99 over the interval (HTTP and UDP), failures by
// reason, timeouts, resets. At the end: RSS against minute 1, p99 of the last minute against the first,
// and the series written to bench/results/<date>-<name>.{json,md} (git-ignored; --out DIR).
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Targets, type Target } from '../env/targets.js';
import type { PacedLoadOptions } from '../load/paced/paced-load.js';
import { gitInfo, machineInfo } from '../runner/machine.js';
import { helpText, parseSoakOptions, UsageError, type SoakOptions } from './options.js';
import { ProcessFigures } from './process-figures.js';
import { consoleHeader, consoleRow, markdownTable, sampleOf, verdicts, type SoakSample } from './report.js';
import { SoakThreads, type MergedWindow } from './soak-threads.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url)); // build/bench/soak/cli.js -> repository root
const PRELOAD_BOUND_MS = 30 * 60_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describeWindow(w: MergedWindow): string {
  const answered = (f: MergedWindow['http']): number => f.ok + Object.values(f.failures).reduce((a, b) => a + b, 0);
  const failures = { ...w.http.failures };
  for (const [k, v] of Object.entries(w.udp.failures)) failures[k] = (failures[k] ?? 0) + v;
  const lost = w.http.lost.timeout + w.http.lost.reset + w.http.lost['bad-reply'] + w.udp.lost.timeout + w.udp.lost.reset + w.udp.lost['bad-reply'];
  return `${answered(w.http)} HTTP + ${answered(w.udp)} UDP answers in ${(w.elapsedMs / 1000).toFixed(1)} s ` +
    `(${Math.round((answered(w.http) + answered(w.udp)) / (w.elapsedMs / 1000))}/s), failures ${JSON.stringify(failures)}, lost ${lost}`;
}

async function main(argv: string[]): Promise<number> {
  let opts: SoakOptions;
  try {
    opts = parseSoakOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`soak: ${err.message}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const machine = machineInfo();
  const git = gitInfo();
  const targets = new Targets({
    mainJs: resolve(REPO, 'dist/main.js'),
    serverCpus: null,
    baseConfig: { workers: opts.workers ?? 0, ioThreads: opts.ioThreads ?? 0 },
    external: opts.target === null ? null : { http: opts.target, udp: opts.udpTarget, api: opts.apiTarget, pid: opts.pid },
  });
  let target: Target | null = null;
  const threads = new SoakThreads(opts.threads);
  try {
    target = await targets.acquire();
    const t = target;
    const useUdp = t.udpPort !== null && opts.udpShare > 0;
    const useHttp = opts.udpShare < 1;
    if (opts.udpShare > 0 && t.udpPort === null) say(`soak: no UDP (${t.udpNote}): HTTP only`);
    const figures = new ProcessFigures(t.pid, t.apiBase);
    const size = opts.torrents * opts.peers;
    const spanOf = (i: number): { first: number; count: number } => {
      const first = Math.floor((size * i) / opts.threads);
      return { first, count: Math.floor((size * (i + 1)) / opts.threads) - first };
    };
    const loadOf = (i: number, httpRate: number, udpRate: number, durationMs: number, maxRequests: number): PacedLoadOptions => ({
      host: t.host, udpHost: t.udpHost, httpPort: useHttp ? t.httpPort : null, udpPort: useUdp ? t.udpPort : null,
      pool: { salt: 'soak', torrents: opts.torrents, peersPerTorrent: opts.peers, numwant: opts.numwant },
      httpRate, udpRate, httpConnections: opts.httpConnections, udpSockets: opts.udpSockets, udpWindow: opts.udpWindow,
      timeoutMs: opts.timeoutMs, durationMs, maxRequests, span: spanOf(i),
    });
    const command = `npm run soak -- ${argv.join(' ')}`.trim();
    say(`soak: ${command}`);
    say(`tracker: ${t.kind === 'self' ? `dist/main.js pid ${t.pid} (${JSON.stringify({ workers: t.config?.workers, ioThreads: t.config?.ioThreads })})` : `${t.host}:${t.httpPort}`}` +
      `; machine: ${machine.cpuModel}, ${machine.cores} CPUs, Node ${machine.node}; commit ${git.commit}${git.dirty ? ' (dirty)' : ''}`);
    say(`pool: ${opts.torrents.toLocaleString('en-US')} torrents × ${opts.peers} peers, numwant ${opts.numwant}; ` +
      `${opts.threads} generator thread(s), each ${useHttp ? opts.httpConnections : 0} HTTP keep-alive connections, ${useUdp ? opts.udpSockets : 0} UDP sockets × ${opts.udpWindow} in flight`);

    let preload: string | null = null;
    if (opts.preload) {
      const p = await threads.run((i) => loadOf(i, Infinity, Infinity, PRELOAD_BOUND_MS, spanOf(i).count));
      preload = describeWindow(p);
      say(`preload (every peer once, unpaced): ${preload}`);
    }
    let rate = opts.rate;
    let capacity: string | null = null;
    if (rate === null) {
      figures.cpuSinceLast();
      figures.generatorSinceLast();
      const c = await threads.run((i) => loadOf(i, Infinity, Infinity, opts.capacitySec * 1000, 50_000_000));
      const tracker = figures.cpuSinceLast();
      const generator = figures.generatorSinceLast();
      // Whoever is busier is the bound: with one generator thread it is often the generator, and then
      // "capacity" is what this generator can drive, not what the tracker can serve.
      capacity = `${describeWindow(c)}; CPU: tracker ${tracker === null ? 'n/a' : tracker.toFixed(2)} cores, generator ${generator.toFixed(2)} cores` +
        (tracker !== null && generator >= 0.9 * opts.threads && tracker < 0.9 * generator ? ' (generator-bound: more --threads, or --rate)' : '');
      const answered = c.http.ok + c.udp.ok + Object.values(c.http.failures).reduce((a, b) => a + b, 0) + Object.values(c.udp.failures).reduce((a, b) => a + b, 0);
      rate = Math.max(1, Math.round(answered / (c.elapsedMs / 1000) / 2));
      say(`capacity (unpaced, ${opts.capacitySec} s): ${capacity}; soaking at half: ${rate}/s`);
    }
    const udpRate = useUdp ? (useHttp ? rate * opts.udpShare : rate) : 0;
    const httpRate = useHttp ? rate - udpRate : 0;
    const durationMs = opts.minutes * 60_000;
    say(`soak: ${rate}/s (HTTP ${Math.round(httpRate)}/s, UDP ${Math.round(udpRate)}/s) for ${opts.minutes} min, a line every ${opts.intervalSec} s`);
    say(consoleHeader());
    const running = threads.run((i) => loadOf(i, Math.max(httpRate, 0.001) / opts.threads, Math.max(udpRate, 0.001) / opts.threads,
      durationMs + 30_000, Math.ceil(rate! * (durationMs / 1000) * 1.5) + 1_000));
    await threads.take(); // start the first window now
    figures.cpuSinceLast();
    figures.generatorSinceLast();
    figures.othersSinceLast();
    const started = performance.now();
    const samples: SoakSample[] = [];
    let crashed = false;
    for (let n = 1; ; n++) {
      const due = started + n * opts.intervalSec * 1000;
      if (due > started + durationMs + 1) break;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      const w = await threads.take();
      const cpu = { tracker: figures.cpuSinceLast(), generator: figures.generatorSinceLast(), others: figures.othersSinceLast() };
      const s = sampleOf((performance.now() - started) / 1000, w, await figures.rssBytes(), cpu);
      samples.push(s);
      say(consoleRow(s));
      if (t.child !== null && !t.child.running) {
        crashed = true;
        say(`soak: the tracker exited (${JSON.stringify(t.child.exitInfo)}): ${t.child.output().slice(-1500)}`);
        break;
      }
    }
    threads.stop();
    const rest = await running;
    say(`after the last line: ${describeWindow(rest)}${rest.late > 0 ? `; ${rest.late} UDP replies after their timeout over the whole soak` : ''}`);
    const v = verdicts(samples);
    say(v.text);
    const exit = await targets.release(t);
    target = null;
    if (exit !== null) say(`tracker stopped: ${JSON.stringify(exit)}`);

    const out = opts.outDir === null ? resolve(REPO, 'bench/results') : resolve(opts.outDir);
    mkdirSync(out, { recursive: true });
    const base = resolve(out, `${new Date().toISOString().slice(0, 10)}-${opts.name}`);
    const doc = { command, machine, git, options: opts, tracker: { kind: t.kind, pid: t.pid, config: t.config, exit }, preload, capacity, rate, httpRate, udpRate, samples, verdicts: v };
    writeFileSync(`${base}.json`, `${JSON.stringify(doc, null, 2)}\n`);
    writeFileSync(`${base}.md`, `# soak ${new Date().toISOString()}\n\n\`${command}\`, commit ${git.commit}${git.dirty ? ' (dirty)' : ''}; ` +
      `${machine.cpuModel}, ${machine.cores} CPUs, Node ${machine.node}\n\n` +
      `${preload === null ? '' : `Preload: ${preload}\n\n`}${capacity === null ? '' : `Capacity: ${capacity}\n\n`}` +
      `Rate: ${rate}/s (HTTP ${Math.round(httpRate)}/s, UDP ${Math.round(udpRate)}/s)\n\n${markdownTable(samples)}\n\n${v.text.split('\n').map((l) => `- ${l}`).join('\n')}\n`);
    say(`results: ${base}.json, ${base}.md`);
    return crashed || (exit !== null && exit.unexpected) ? 1 : 0;
  } finally {
    threads.stop();
    await threads.close();
    if (target !== null) await targets.release(target);
    targets.close();
  }
}

// Ctrl-C (or a SIGTERM) must not leave the tracker it started running: exiting runs the children's
// exit hook (bench/env/child.ts), which a death by signal would not.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
