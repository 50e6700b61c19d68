// What the UDP scenarios (BEP 15, over the standard pool) share: the generator settings from the options,
// the warm-up pass, and the scenario itself, which differs only in its action. Load comes from the native
// generator (bench/load/native/udp-load.c) or bench/load/udp-loop.ts (--udp-generator). Skipped when the
// tracker has no UDP frontend answering.
import type { UdpAction } from '../../load/types.js';
import type { RunContext } from '../../runner/context.js';
import { withTarget, type Scenario } from '../../runner/scenario.js';
import type { ScenarioResult } from '../../runner/result.js';
import { SkipScenario, type Target } from '../../env/targets.js';

export function udpLoadBase(ctx: RunContext): { threads: number; sockets: number; window: number; timeoutMs: number } {
  return { threads: ctx.opts.udpThreads, sockets: ctx.opts.udpSockets, window: ctx.opts.udpWindow, timeoutMs: ctx.opts.udpTimeoutMs };
}

/** Every peer of the standard pool announces once over UDP (not measured). */
export async function udpWarmup(ctx: RunContext, t: Target, label = 'warm-up'): Promise<void> {
  const fill = ctx.standardFill;
  const count = fill.torrents * fill.peersPerTorrent;
  const r = await ctx.preloadUdp({
    ...udpLoadBase(ctx), host: t.udpHost, port: t.udpPort!, durationSec: ctx.opts.warmupSec + 5, action: 'announce',
    fill, count, once: true, hashesPerScrape: 1,
  }, label, count);
  if (r.requests === 0) throw new Error(`UDP warm-up: no announce answered (${r.timeouts} timeouts, ${r.errors} socket errors)`);
}

export function udpScenario(name: string, action: UdpAction, summary: string): Scenario {
  return {
    name,
    summary,
    standard: true,
    run: (ctx) => withTarget(ctx, {}, async (t): Promise<ScenarioResult> => {
      if (t.udpPort === null) throw new SkipScenario(`no UDP tracker: ${t.udpNote}`);
      if (action !== 'connect') await udpWarmup(ctx, t);
      const fill = ctx.standardFill;
      const r = await ctx.measureUdp(name, t, {
        ...udpLoadBase(ctx), durationSec: ctx.opts.durationSec, action, fill,
        count: action === 'scrape' ? fill.torrents : fill.torrents * fill.peersPerTorrent, once: false, hashesPerScrape: 1,
      });
      if (r.requests === 0) r.notes.push('no request was answered');
      return r;
    }),
  };
}
