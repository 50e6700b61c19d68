// `npm run bench:micro [-- NAME ...]`: runs the micro-benchmarks of this folder (every bench/micro/*.ts but
// this file), each in its own node process so one's JIT state and garbage do not weigh on the next, one
// after the other, with its output as it comes. NAME picks some (e.g. udp-packets); an unknown name is
// an error. Each is bounded in time: a micro-benchmark still running after RUN_LIMIT_MS is killed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));                          // build/bench/micro/
const SOURCES = fileURLToPath(new URL('../../../bench/micro/', import.meta.url));  // bench/micro/
const SELF = basename(fileURLToPath(import.meta.url), '.js');
const RUN_LIMIT_MS = 10 * 60_000;

function available(): string[] {
  return readdirSync(SOURCES).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3))
    .filter((n) => n !== SELF).sort();
}

function main(argv: string[]): number {
  const all = available();
  if (argv.includes('--help')) {
    process.stdout.write(`usage: npm run bench:micro [-- NAME ...]\nmicro-benchmarks: ${all.join(', ')}\n`);
    return 0;
  }
  const unknown = argv.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`bench:micro: unknown micro-benchmark ${unknown.join(', ')} (have: ${all.join(', ')})\n`);
    return 2;
  }
  const chosen = argv.length > 0 ? argv : all;
  let failed = 0;
  for (const name of chosen) {
    const js = join(HERE, `${name}.js`);
    if (!existsSync(js)) {
      process.stderr.write(`bench:micro: ${js} is missing: compile first (npx tsc -p tsconfig.test.json)\n`);
      return 2;
    }
    process.stdout.write(`\n== ${name} (node ${process.version})\n`);
    const r = spawnSync(process.execPath, [js], { stdio: 'inherit', timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' });
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`bench:micro: ${name} ${r.error !== undefined ? `failed: ${r.error.message}` : r.signal !== null ? `killed (${r.signal})` : `exited ${r.status}`}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exit(main(process.argv.slice(2)));
