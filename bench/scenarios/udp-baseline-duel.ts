// udp-baseline-duel: the hayate of --baseline DIR (A) against this hayate (B), BEP 15 announces over the
// standard pool, both loaded at once on the server CPUs; ratioToBaseline of requests per server
// CPU-second (common/baseline-duel.ts). Not in the standard suite (needs --baseline).
import { baselineDuel } from './common/baseline-duel.js';

export const udpBaselineDuel = baselineDuel('udp', 'udp-baseline-duel',
  'duel: hayate of --baseline DIR vs this hayate, UDP announces at once on the server CPUs; ratio B/A of req per server CPU-second');
