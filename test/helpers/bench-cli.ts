// Runs the built bench CLI (build/bench/runner/cli.js) as a child process for the bench's own tests, bounded
// by a timeout, and hands back its exit code and output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url)); // build/test/helpers/ -> repository root
const CLI = join(REPO, 'build/bench/runner/cli.js');
export const BENCH_TIMEOUT_MS = 120_000;

export function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench ${args.join(' ')} did not finish within ${BENCH_TIMEOUT_MS} ms\n${stderr.slice(-3000)}`));
    }, BENCH_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
