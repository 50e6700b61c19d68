// Runs the built bench CLI (build/bench/runner/cli.js), or another built bench command (the soak), as a
// child process for the bench's own tests, bounded by a timeout, and hands back its exit code and output. The child leads its own process group, so a
// timeout ends it together with the trackers and responders it started (a SIGKILL to the CLI alone would
// leave them running).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url)); // build/test/helpers/ -> repository root
const CLI = join(REPO, 'build/bench/runner/cli.js');
/** The smoke suite takes ~60-90 s here when other work shares the two cores; room for that. */
export const BENCH_TIMEOUT_MS = 180_000;

export function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runBuilt(CLI, args, BENCH_TIMEOUT_MS);
}

/** The soak command (build/bench/soak/cli.js). */
export function runSoak(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runBuilt(join(REPO, 'build/bench/soak/cli.js'), args, timeoutMs);
}

function runBuilt(cli: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the group: the CLI and every process it started
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`${cli} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
