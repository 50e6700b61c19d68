// A server program the e2e suites start for real (nginx, HAProxy): spawned in the foreground with its
// output captured, waited for with a bound (failing early, with its output, when it exits), and stopped
// by its own pid: SIGTERM, then SIGKILL when it does not exit in time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { waitFor, within } from './tracker.js';

export const PROGRAM_WAIT_MS = 10_000;

/** True when `cmd args` runs and exits 0 (e.g. `nginx -v`). */
export function hasProgram(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

export interface Program {
  name: string;
  child: ChildProcess;
  /** stdout and stderr so far. */
  output: () => string;
  alive: () => boolean;
  stop: () => Promise<void>;
}

const running = new Set<Program>();

/**
 * Spawns `cmd args` and waits until `ready()` says true (at most PROGRAM_WAIT_MS); fails with the
 * program's output when it exits first or never gets ready.
 */
export async function startProgram(name: string, cmd: string, args: string[], ready: () => Promise<boolean>): Promise<Program> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => { done = true; resolve(); });
    child.on('error', (err) => { out += `\nspawn ${cmd}: ${err.message}`; done = true; resolve(); });
  });
  const program: Program = {
    name,
    child,
    output: () => out,
    alive: () => !done,
    stop: async () => {
      running.delete(program);
      if (done) return;
      child.kill('SIGTERM');
      try {
        await within(PROGRAM_WAIT_MS, `${name} exits after SIGTERM`, exited);
      } catch {
        child.kill('SIGKILL');
        await within(PROGRAM_WAIT_MS, `${name} exits after SIGKILL`, exited);
      }
    },
  };
  running.add(program);
  try {
    await waitFor(`${name} to be ready`, async () => {
      if (done) throw new Error('exited');
      return ready();
    }, PROGRAM_WAIT_MS, 50);
  } catch (err) {
    await program.stop();
    throw new Error(`${name} (${cmd} ${args.join(' ')}) did not start: ${String(err)}\n--- its output ---\n${out}`);
  }
  return program;
}

/** Stops every program still running; for `after` hooks. */
export async function stopAllPrograms(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}
