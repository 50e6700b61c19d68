// cluster-http-duel: hayate standalone against hayate in cluster mode, keep-alive HTTP announces over the
// standard pool, both loaded at once on the server CPUs (common/cluster-duel.ts). Use --generator wrk:
// autocannon cannot saturate two servers from one load core. Not in the standard suite.
import { clusterDuel } from './common/cluster-duel.js';

export const clusterHttpDuel = clusterDuel('http', 'cluster-http-duel',
  'duel: hayate standalone vs hayate in cluster mode, keep-alive HTTP announces (use --generator wrk); ratio of req per server CPU-second');
