// The no-frills baseline other scenarios state their ratios against (heavy-swarm, jwt-warm, jwt-cold):
// this invocation's http-announce result, or a run of it made now (unrecorded) when it was not asked for.
import type { RunContext } from '../../runner/context.js';
import type { ScenarioResult } from '../../runner/result.js';
import { httpAnnounce } from '../http-announce.js';

/** The http-announce result of this invocation (run now, unrecorded, if it was not asked for). */
export async function announceBaseline(ctx: RunContext): Promise<ScenarioResult> {
  const done = ctx.done.get('http-announce') ?? (ctx.shared.get('baseline:http-announce') as ScenarioResult | undefined);
  if (done !== undefined && done.status === 'ok') return done;
  ctx.log('  (measuring http-announce as the baseline for a ratio)');
  const r = await httpAnnounce.run(ctx);
  ctx.shared.set('baseline:http-announce', r);
  return r;
}
