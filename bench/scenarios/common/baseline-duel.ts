// The duel of udp-baseline-duel and http-baseline-duel: a previous build of hayate (--baseline DIR: another
// checkout with its own built dist/, e.g. `git worktree add DIR <commit> && cd DIR && npm ci && npm run
// build`) as side A against this build as side B, both started by the bench with the same config on the
// server CPUs and loaded at once (runner/duel/duel.ts). ratioToBaseline = B's requests per server
// CPU-second / A's: whether this build costs more or less CPU per request than the previous one, without
// the drift two runs a minute apart carry. A previous build may not know newer config keys (ioThreads):
// it warns about them and runs as it always did. --baseline-config FILE changes side A's config only;
// without --baseline, side A is this build with that config: a duel of two configs of one build (say
// ioThreads 1 against 2), under the same drift and the same disturbance from other processes.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkipScenario, Targets, type Target, type TrackerConfig } from '../../env/targets.js';
import { sampleHttp } from '../../runner/checks.js';
import { runDuel, type DuelSide } from '../../runner/duel/duel.js';
import { duelResult } from '../../runner/duel/duel-result.js';
import { gitInfo } from '../../runner/machine.js';
import type { ScenarioResult } from '../../runner/result.js';
import { withTarget, type Scenario } from '../../runner/scenario.js';
import { httpSide, udpSide } from './duel-sides.js';

/** DIR/dist/main.js of --baseline DIR; throws a usage-style message when it is not there. */
export function baselineMain(dir: string): string {
  const main = join(resolve(dir), 'dist/main.js');
  if (!existsSync(main)) throw new Error(`--baseline ${dir}: ${main} does not exist (build that checkout: npm ci && npm run build)`);
  return main;
}

/** --baseline-config FILE: a JSON object; {} when not given. */
export function baselineConfig(file: string | null): TrackerConfig {
  if (file === null) return {};
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`--baseline-config ${file}: not a JSON object`);
  return parsed as TrackerConfig;
}

/** "ioThreads=1 workers=0": the keys of `config` whose values differ from `base`. */
function configDiff(config: TrackerConfig, base: TrackerConfig): string {
  return Object.entries(config).filter(([k, v]) => JSON.stringify(base[k]) !== JSON.stringify(v)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}

export function baselineDuel(kind: 'udp' | 'http', name: string, summary: string): Scenario {
  return {
    name,
    summary,
    standard: false,
    run: (ctx) => {
      if (ctx.opts.baseline === null && ctx.opts.baselineConfig === null) {
        throw new SkipScenario('needs --baseline DIR (another checkout with a built dist/) or --baseline-config FILE (another config of this build)');
      }
      if (ctx.targets.isExternal) throw new SkipScenario('a duel needs both servers on the server CPUs: it runs against hayates the bench starts');
      const dir = ctx.opts.baseline;
      const aConfig = baselineConfig(ctx.opts.baselineConfig);
      const git = dir === null ? null : gitInfo(resolve(dir));
      const changed = configDiff(aConfig, ctx.targets.opts.baseConfig);
      const aLabel = git === null ? `hayate (${changed === '' ? 'same config' : changed})`
        : `baseline hayate (${git.commit}${git.dirty === true ? ', uncommitted changes' : ''}${changed === '' ? '' : `; ${changed}`})`;
      const baseTargets = new Targets({
        ...ctx.targets.opts, mainJs: dir === null ? ctx.targets.opts.mainJs : baselineMain(dir),
        baseConfig: { ...ctx.targets.opts.baseConfig, ...aConfig },
      });
      return withTarget(ctx, {}, async (t): Promise<ScenarioResult> => {
        if (kind === 'udp' && t.udpPort === null) throw new SkipScenario(`no UDP tracker: ${t.udpNote}`);
        let base: Target | null = null;
        try {
          base = await baseTargets.acquire({});
          if (kind === 'udp' && base.udpPort === null) throw new SkipScenario(`the baseline build answers no UDP: ${base.udpNote}`);
          const paths = ctx.standardAnnounces();
          const side = (label: string, target: Target): DuelSide =>
            kind === 'udp' ? udpSide(ctx, label, target) : httpSide(ctx, label, target, paths);
          const run = await runDuel(ctx, {
            name, a: side(aLabel, base), b: side('hayate', t),
            rounds: ctx.opts.duelRounds, roundSec: ctx.opts.duelSec, soloSec: 0,
          });
          const r = duelResult(ctx, name, run, t, {
            ratioKey: 'ratioToBaseline', aReqPerCpuSecKey: 'baselineReqPerCpuSec', protocol: kind,
            connections: kind === 'udp' ? ctx.opts.udpThreads * ctx.opts.udpSockets * ctx.opts.udpWindow : ctx.opts.connections,
          });
          if (kind === 'http') r.sample = await sampleHttp(t, paths, 'announce');
          r.extra.baselineDir = dir === null ? null : resolve(dir);
          r.extra.baselineCommit = git?.commit ?? null;
          if (changed !== '') r.extra.baselineConfig = changed;
          r.extra.poolPeers = ctx.opts.poolTorrents * ctx.opts.poolPeers;
          const warned = base.child?.output().split('\n').filter((l) => /unknown|ignor/i.test(l)).slice(0, 3) ?? [];
          for (const w of warned) r.notes.push(`baseline build said: ${w.trim()}`);
          return r;
        } finally {
          if (base !== null) await baseTargets.release(base);
          baseTargets.close();
        }
      });
    },
  };
}
