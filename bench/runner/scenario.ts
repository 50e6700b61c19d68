// A scenario: a name, a line for --help, whether the standard suite runs it, and `run`. `withTarget`
// gives a scenario its own tracker (fresh for each scenario when the bench starts hayate) and records an
// unexpected exit, a crash mid-run or a slow shutdown on the result.
import type { Target, TrackerConfig } from '../env/targets.js';
import type { RunContext } from './context.js';
import type { ScenarioResult } from './result.js';

export interface Scenario {
  name: string;
  summary: string;
  standard: boolean;
  run(ctx: RunContext): Promise<ScenarioResult>;
}

export class TrackerFailure extends Error {}

export async function withTarget(ctx: RunContext, overrides: TrackerConfig,
  fn: (t: Target) => Promise<ScenarioResult>): Promise<ScenarioResult> {
  const t = await ctx.targets.acquire(overrides);
  let result: ScenarioResult;
  try {
    result = await fn(t);
  } catch (err) {
    if (t.child !== null && !t.child.running) {
      const e = t.child.exitInfo!;
      throw new TrackerFailure(`tracker exited during the scenario (code ${e.code}, signal ${e.signal}): ` +
        `${t.child.output().trim().slice(-1500)} [scenario error: ${err instanceof Error ? err.message : String(err)}]`);
    }
    throw err;
  } finally {
    await ctx.targets.release(t);
  }
  if (t.child !== null) result.trackerLog = t.child.output().trim().split('\n').slice(-20);
  const exit = t.child?.exitInfo ?? null;
  if (exit !== null && (exit.unexpected || exit.forced || exit.code !== 0)) {
    result.trackerExit = exit;
    const what = exit.unexpected ? 'exited on its own' : exit.forced ? 'ignored SIGTERM and was killed' : `exited with code ${exit.code}`;
    result.notes.push(`tracker ${what}: ${t.child!.output().trim().slice(-800)}`);
  }
  return result;
}
