// One torrent preloaded with --heavy-peers peers (100,000) by announces (numwant=0), then re-announces of
// its peers with numwant=50 (--heavy-numwant). Peer selection must not scale with the swarm: req/s and p99
// should be close to http-announce's 10-peer swarms (the ratios are printed). Note that those answers
// carry at most 9 peers where these carry 50: --heavy-numwant 9 compares equal answer sizes.
import { fillAnnounces } from '../workload/pools.js';
import type { SwarmFill } from '../workload/paths.js';
import { sampleHttp } from '../runner/checks.js';
import { announceBaseline } from './common/baseline.js';
import { withTarget, type Scenario } from '../runner/scenario.js';

const MEASURED_PEERS = 20_000; // re-announcing peers (a wrk script embeds every request)

export const heavySwarm: Scenario = {
  name: 'heavy-swarm',
  summary: 'announces into one torrent preloaded with 100,000 peers; ratio to http-announce',
  standard: true,
  run: async (ctx) => {
    const baseline = await announceBaseline(ctx);
    return withTarget(ctx, {}, async (t) => {
      const peers = ctx.opts.heavyPeers;
      const fill: SwarmFill = { salt: 'heavy', torrents: 1, peersPerTorrent: peers, numwant: 0 };
      const pre = await ctx.preload(t, {
        connections: ctx.opts.connections, durationSec: Math.max(30, peers / 1000),
        source: { kind: 'fill', fill, count: peers },
      }, `preload ${peers.toLocaleString('en-US')} peers`, peers);
      const st = await ctx.stats(t);
      const paths = fillAnnounces({ ...fill, numwant: ctx.opts.heavyNumwant }, Math.min(peers, MEASURED_PEERS));
      const r = await ctx.measureHttp('heavy-swarm', t, {
        connections: ctx.opts.connections, durationSec: ctx.opts.durationSec, source: { kind: 'rotate', paths },
      });
      r.sample = await sampleHttp(t, paths, 'announce');
      r.extra.preloadAnnounces = pre.requests;
      r.extra.preloadReqPerSec = Math.round(pre.reqPerSec);
      r.extra.preloadErrors = pre.errors + pre.timeouts + pre.non2xx;
      r.extra.swarmPeers = st?.peers ?? null;
      r.extra.numwant = ctx.opts.heavyNumwant;
      r.extra.ratioToHttpAnnounce = baseline.reqPerSec > 0 ? Math.round((r.reqPerSec / baseline.reqPerSec) * 1000) / 1000 : null;
      // Server CPU per request is what generator-bound runs can still compare (and it drifts less).
      r.extra.cpuCostRatioToHttpAnnounce = r.reqPerCpuSec !== null && baseline.reqPerCpuSec !== null
        ? Math.round((baseline.reqPerCpuSec / r.reqPerCpuSec) * 1000) / 1000 : null;
      r.extra.p99RatioToHttpAnnounce = baseline.latencyUs.p99 > 0 ? Math.round((r.latencyUs.p99 / baseline.latencyUs.p99) * 1000) / 1000 : null;
      if (st?.peers !== null && st?.peers !== undefined && st.peers < peers * 0.99) {
        r.notes.push(`the tracker holds ${st.peers} peers after the preload of ${peers}`);
      }
      return r;
    });
  },
};
