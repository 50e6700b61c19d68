// metrics-duel: hayate against hayate whose /metrics a Prometheus stand-in scrapes every --scrape-ms
// (1 s) while it is loaded, both on the server CPUs at once (runner/duel/duel.ts). ratioScrapedToPlain =
// (scraped req per server CPU-second) / (plain req per server CPU-second): what scraping costs the
// announce path, CPU of the scrapes included (they run on the scraped process's main thread). UDP
// announces by default (the steadiest duel here); --metrics-duel-protocol http for keep-alive HTTP.
import { SkipScenario, type Target } from '../env/targets.js';
import type { DuelSide } from '../runner/duel/duel.js';
import { runDuel } from '../runner/duel/duel.js';
import { duelResult } from '../runner/duel/duel-result.js';
import { median, round3 } from '../runner/duel/duel-record.js';
import type { ScenarioResult } from '../runner/result.js';
import type { Scenario } from '../runner/scenario.js';
import { httpSide, udpSide } from './common/duel-sides.js';
import { withScrapes } from './common/metrics-scraper.js';

export const metricsDuel: Scenario = {
  name: 'metrics-duel',
  summary: 'duel: hayate vs hayate with /metrics scraped every --scrape-ms (UDP announces; --metrics-duel-protocol http); ratio of req per server CPU-second',
  standard: false,
  run: async (ctx): Promise<ScenarioResult> => {
    if (ctx.targets.isExternal) throw new SkipScenario('a duel needs both servers on the server CPUs: it runs against hayates the bench starts');
    const kind = ctx.opts.metricsDuelProtocol;
    const plain = await ctx.targets.acquire({});
    const scrapedT = await ctx.targets.acquire({});
    try {
      if (scrapedT.apiBase === null) throw new SkipScenario('no admin API to scrape');
      if (kind === 'udp' && (plain.udpPort === null || scrapedT.udpPort === null)) throw new SkipScenario(`no UDP tracker: ${plain.udpNote}`);
      const paths = ctx.standardAnnounces();
      const side = (label: string, t: Target): DuelSide => (kind === 'udp' ? udpSide(ctx, label, t) : httpSide(ctx, label, t, paths));
      const scraped = withScrapes(side(`hayate, /metrics every ${ctx.opts.scrapeMs} ms`, scrapedT), scrapedT.apiBase, ctx.opts.scrapeMs);
      const run = await runDuel(ctx, {
        name: 'metrics-duel', a: side('hayate', plain), b: scraped.side,
        rounds: ctx.opts.duelRounds, roundSec: ctx.opts.duelSec, soloSec: 0,
      });
      const r = duelResult(ctx, 'metrics-duel', run, scrapedT, {
        ratioKey: 'ratioScrapedToPlain', aReqPerCpuSecKey: 'plainReqPerCpuSec', protocol: kind,
        connections: kind === 'udp' ? ctx.opts.udpThreads * ctx.opts.udpSockets * ctx.opts.udpWindow : ctx.opts.connections,
      });
      const f = scraped.figures;
      r.extra.scrapeMs = ctx.opts.scrapeMs;
      r.extra.scrapes = f.scrapes;
      r.extra.scrapesFailed = f.failed;
      r.extra.scrapeMsMedian = f.ms.length === 0 ? null : round3(median(f.ms)!);
      r.extra.scrapeMsMax = f.ms.length === 0 ? null : round3(Math.max(...f.ms));
      r.extra.metricsBytes = f.lastBytes;
      return r;
    } finally {
      await ctx.targets.release(scrapedT);
      await ctx.targets.release(plain);
    }
  },
};
