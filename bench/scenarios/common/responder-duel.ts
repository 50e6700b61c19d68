// The duel of udp-duel and http-duel: the trivial responder (bench/responders) against hayate, both on the
// server CPUs and loaded at once (runner/duel/duel.ts), for hayate's requests per server CPU-second as a ratio to the responder's:
// a figure this VM's drift leaves alone, where udp-announce's %ceil (two runs a minute apart) swings by
// ±15%. The responder is also measured alone, before and after the rounds, for projectedReqPerSec =
// ratio x its solo rate: what hayate would answer on that core (the target is phrased that way).
import { startResponder } from '../../env/responders.js';
import { SkipScenario, type Target } from '../../env/targets.js';
import { sampleHttp } from '../../runner/checks.js';
import type { RunContext } from '../../runner/context.js';
import { runDuel, type DuelSide } from '../../runner/duel/duel.js';
import { duelResult } from '../../runner/duel/duel-result.js';
import { httpSide, responderTarget, udpSide } from './duel-sides.js';
import type { ScenarioResult } from '../../runner/result.js';
import { withTarget, type Scenario } from '../../runner/scenario.js';

/** Seconds of each solo run of the responder: half a round, at least 1 (wrk runs whole seconds). */
function soloSecOf(ctx: RunContext): number {
  return Math.max(1, Math.round(ctx.opts.duelSec / 2));
}

export function responderDuel(kind: 'udp' | 'http', name: string, summary: string, standard: boolean): Scenario {
  return {
    name,
    summary,
    standard,
    run: (ctx) => {
      if (ctx.targets.isExternal) throw new SkipScenario('a duel needs both servers on the server CPUs: it runs against a hayate the bench starts');
      return withTarget(ctx, {}, async (t): Promise<ScenarioResult> => {
        if (kind === 'udp' && t.udpPort === null) throw new SkipScenario(`no UDP tracker: ${t.udpNote}`);
        const responder = await startResponder(kind, ctx.opts.serverCpus);
        try {
          const paths = ctx.standardAnnounces();
          const side = (label: string, target: Target): DuelSide =>
            kind === 'udp' ? udpSide(ctx, label, target) : httpSide(ctx, label, target, paths);
          const run = await runDuel(ctx, {
            name, a: side(`trivial ${kind.toUpperCase()} responder`, responderTarget(responder)), b: side('hayate', t),
            rounds: ctx.opts.duelRounds, roundSec: ctx.opts.duelSec, soloSec: soloSecOf(ctx),
          });
          const r = duelResult(ctx, name, run, t, {
            ratioKey: 'ratioToTrivial', aReqPerCpuSecKey: 'trivialReqPerCpuSec', protocol: kind,
            connections: kind === 'udp' ? ctx.opts.udpThreads * ctx.opts.udpSockets * ctx.opts.udpWindow : ctx.opts.connections,
          });
          if (kind === 'http') r.sample = await sampleHttp(t, paths, 'announce');
          r.extra.poolPeers = ctx.opts.poolTorrents * ctx.opts.poolPeers;
          return r;
        } finally {
          await responder.child.stop();
        }
      });
    },
  };
}
