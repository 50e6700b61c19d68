// `npm run bench` (node build/bench/runner/cli.js): the standard suite, chosen scenarios, a config sweep, or a
// comparison of two result files. See bench/README.md and --help.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareFiles, comparisonText } from './compare.js';
import { hasTaskset, pinSelf } from '../env/pinning.js';
import { chooseUdpGenerator } from '../load/generators.js';
import { gitInfo, machineInfo } from './machine.js';
import { helpText, parseOptions, UsageError, type Options } from './options.js';
import { ceilingLines, consoleTable, HEADERS, PER_THREAD_HEAD, perThreadLines, rowsOf, sweepTable, type SweepCell } from './report.js';
import { reserveBase, writeCompareReport, writeReport } from './results.js';
import { Ceilings } from './ceilings.js';
import { histogramWriter, RunContext } from './context.js';
import { scenarioByName, scenarioHelpLines, standardSuite } from '../scenarios/registry.js';
import { baselineConfig, baselineMain } from '../scenarios/common/baseline-duel.js';
import { baseTrackerConfig, generatorOptions, makeTargets, reportSkeleton, runScenarios } from './suite.js';
import { cellConfig, cellLabel, cells, layoutNote, sweepCell } from './sweep.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url)); // build/bench/runner/cli.js -> repository root

/** --out DIR, else bench/results/ of the repository (git-ignored). */
function outDir(opts: Options): string {
  return opts.outDir === null ? resolve(REPO, 'bench/results') : resolve(opts.outDir);
}

async function main(argv: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(helpText(scenarioHelpLines()));
    return 0;
  }
  if (opts.compare !== null) {
    const c = compareFiles(opts.compare[0], opts.compare[1], opts.noisePct);
    const html = writeCompareReport(outDir(opts), c, opts.compare[0], opts.compare[1]);
    process.stdout.write(`${comparisonText(c)}\nreport: ${html}\n`);
    return c.regressions > 0 ? 3 : 0;
  }

  const usage = (msg: string): number => {
    process.stderr.write(`bench: ${msg}\n`);
    return 2;
  };
  const machine = machineInfo();
  if (opts.generator === 'wrk' && machine.wrk === null) return usage('--generator wrk: wrk is not installed (apt install wrk), use autocannon');
  if ((opts.serverCpus !== null || opts.loadCpus !== null) && !hasTaskset()) return usage('--server-cpus/--load-cpus need taskset (util-linux)');
  const names = opts.sweep !== null ? [opts.sweepScenario] : opts.scenarios ?? standardSuite();
  for (const n of names) if (scenarioByName(n) === undefined) return usage(`unknown scenario "${n}" (see --help)`);
  const mainJs = opts.mainJs === null ? resolve(REPO, 'dist/main.js') : resolve(opts.mainJs);
  if (opts.target === null && !existsSync(mainJs)) return usage(`${mainJs} does not exist: build first (npm run build), or give --target`);
  if (opts.sweep !== null && opts.target !== null) return usage('--sweep restarts hayate per cell: it cannot be used with --target');
  try {
    if (opts.baseline !== null) baselineMain(opts.baseline);
    baselineConfig(opts.baselineConfig);
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  try {
    baseTrackerConfig(opts);
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  const udp = chooseUdpGenerator(opts.udpGenerator);
  if (udp.error !== null) return usage(udp.error);
  if (opts.loadCpus !== null) pinSelf(opts.loadCpus);

  const started = new Date();
  const dir = outDir(opts);
  const name = opts.name ?? (opts.sweep !== null ? `sweep-${opts.sweepScenario}` : opts.smoke ? 'smoke'
    : opts.scenarios === null ? 'suite' : opts.scenarios.join('+'));
  const base = reserveBase(dir, name);
  const generator = generatorOptions(opts, udp.kind);
  let standardPaths: () => string[] = () => [];
  const ceilings = new Ceilings(opts, generator, () => standardPaths());
  const histograms = histogramWriter(dir, base);
  const git = gitInfo();

  process.stderr.write(`hayate bench: ${names.join(', ')}${opts.sweep !== null ? ' (sweep)' : ''}\n` +
    `  ${machine.cpuModel}, ${machine.cores} cores; node ${machine.node}; git ${git.commit}; ` +
    `server CPUs ${opts.serverCpus ?? 'any'}, load CPUs ${opts.loadCpus ?? 'any'}; UDP generator ${udp.kind}; ` +
    `${opts.target === null ? `hayate ${mainJs}` : `target ${opts.target}`}\n`);
  if (udp.note !== null) process.stderr.write(`  ${udp.note}\n`);

  const load1 = loadavg()[0]!;
  if (load1 > 0.3 * machine.cores) {
    process.stderr.write(`  warning: load average ${load1.toFixed(2)} on ${machine.cores} cores: other work is running; figures will be disturbed\n`);
  }
  const targets = makeTargets(opts, mainJs);
  const report = reportSkeleton(opts, name, started, machine, git, targets, null, udp.kind);
  const contexts: RunContext[] = [];
  try {
    if (opts.sweep === null) {
      const ctx = new RunContext(opts, targets, generator, ceilings, histograms);
      contexts.push(ctx);
      standardPaths = () => ctx.standardAnnounces();
      report.scenarios = await runScenarios(ctx, names);
    } else {
      const grid = cells(opts.sweep);
      const out: SweepCell[] = [];
      for (const cell of grid) {
        const cellTargets = makeTargets(opts, mainJs, cellConfig(cell));
        const ctx = new RunContext(opts, cellTargets, generator, ceilings, histograms);
        contexts.push(ctx);
        standardPaths = () => ctx.standardAnnounces();
        const key = `${opts.sweepScenario}[${cellLabel(cell)}]`;
        const res = await runScenarios(ctx, names, () => key);
        cellTargets.close();
        const r = res[key]!;
        const wrong = r.status === 'ok' ? layoutNote(cell, r) : null;
        if (wrong !== null) {
          r.notes.push(`LAYOUT: ${wrong}`);
          ctx.log(`  warning: ${wrong}`);
        }
        report.scenarios[key] = r;
        out.push(sweepCell(cell, opts.sweepScenario, key, r));
      }
      report.sweep = { scenario: opts.sweepScenario, dimensions: opts.sweep, cells: out };
    }
  } finally {
    for (const ctx of contexts) for (const c of ctx.cleanups) await c().catch(() => undefined);
    targets.close();
  }
  report.ceilings = ceilings.all();
  report.loadAvg.end = Math.round(loadavg()[0]! * 100) / 100;
  report.wallSec = Math.round((Date.now() - started.getTime()) / 100) / 10;
  const files = writeReport(dir, base, report);

  const out: string[] = [''];
  if (report.sweep !== null) out.push(`sweep of ${report.sweep.scenario}:`, sweepTable(report.sweep));
  else out.push(consoleTable(HEADERS, rowsOf(report)));
  const perThread = perThreadLines(report);
  if (perThread.length > 0) out.push('', PER_THREAD_HEAD, ...perThread.map((l) => `  ${l}`));
  const ceilingText = ceilingLines(report);
  if (ceilingText.length > 0) out.push('', 'generator ceilings (same generator against a trivial responder on the server CPUs):', ...ceilingText.map((c) => `  ${c}`));
  const bound = Object.entries(report.scenarios).filter(([, r]) => r.generatorBound === true).map(([n]) => n);
  if (bound.length > 0) {
    out.push('', `generator-bound (>= 90% of the ceiling: the tracker may be faster than shown): ${bound.join(', ')}`);
    const udpBound = bound.some((n) => report.scenarios[n]!.protocol === 'udp');
    if (bound.some((n) => report.scenarios[n]!.protocol !== 'udp') && opts.generator === 'autocannon' && machine.wrk !== null) {
      out.push('  try --generator wrk (installed here) and/or --threads N with spare cores');
    }
    if (udpBound) {
      out.push(udp.kind === 'node' ? '  UDP: try --udp-generator native (needs a C compiler: cc or gcc)' : '  UDP: try --udp-threads N with spare load CPUs');
    }
  }
  out.push('', `report:  ${files.html}`, `results: ${files.json}`, `         ${files.md}`, `took ${report.wallSec} s`, '');
  process.stdout.write(out.join('\n'));
  const errored = Object.values(report.scenarios).some((r) => r.status === 'error');
  return opts.strict && errored ? 3 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench: fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
