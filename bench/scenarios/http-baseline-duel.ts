// http-baseline-duel: the hayate of --baseline DIR (A) against this hayate (B), keep-alive announces over
// the standard pool, both loaded at once on the server CPUs; ratioToBaseline of requests per server
// CPU-second (common/baseline-duel.ts). Not in the standard suite (needs --baseline; use --generator wrk).
import { baselineDuel } from './common/baseline-duel.js';

export const httpBaselineDuel = baselineDuel('http', 'http-baseline-duel',
  'duel: hayate of --baseline DIR vs this hayate, keep-alive HTTP announces at once; ratio B/A of req per server CPU-second');
