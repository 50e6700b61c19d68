// The sides the duel scenarios pit against each other: a server (a hayate the bench started, or a trivial
// responder seen as a target) and its own generator over the standard pool, with the same settings a
// solo scenario would use (UDP: --udp-threads x --udp-sockets x --udp-window; HTTP: --connections).
import type { Responder } from '../../env/responders.js';
import type { Target } from '../../env/targets.js';
import { runHttpLoad, runUdpLoad } from '../../load/generators.js';
import type { RunContext } from '../../runner/context.js';
import type { DuelSide } from '../../runner/duel/duel.js';
import { udpLoadBase, udpWarmup } from './udp.js';

/** A trivial responder as a target: its pid for CPU time, its child to notice a crash, no admin API. */
export function responderTarget(r: Responder): Target {
  return {
    kind: 'self', host: '127.0.0.1', httpPort: r.kind === 'http' ? r.port : 0,
    udpHost: '127.0.0.1', udpPort: r.kind === 'udp' ? r.port : null, udpNote: r.kind === 'udp' ? '' : 'an HTTP responder',
    apiBase: null, pid: r.child.pid, config: null, child: r.child,
  };
}

/** BEP 15 announces over the standard pool (--udp-generator: native or node:dgram). */
export function udpSide(ctx: RunContext, label: string, t: Target): DuelSide {
  if (t.udpPort === null) throw new Error(`${label}: no UDP port (${t.udpNote})`);
  const port = t.udpPort;
  const fill = ctx.standardFill;
  return {
    label,
    target: t,
    warm: () => udpWarmup(ctx, t, `warm-up (${label})`),
    load: (durationSec) => runUdpLoad(ctx.generator, {
      ...udpLoadBase(ctx), host: t.udpHost, port, durationSec, action: 'announce', fill,
      count: fill.torrents * fill.peersPerTorrent, once: false, hashesPerScrape: 1,
    }, null),
  };
}

/** Keep-alive HTTP requests rotating through `paths` (--generator: wrk or autocannon). */
export function httpSide(ctx: RunContext, label: string, t: Target, paths: string[]): DuelSide {
  return {
    label,
    target: t,
    warm: async () => {
      await ctx.warmup(t, paths, `warm-up (${label})`);
    },
    load: (durationSec) => runHttpLoad(ctx.generator, {
      host: t.host, port: t.httpPort, connections: ctx.opts.connections, durationSec, source: { kind: 'rotate', paths },
    }, null),
  };
}
