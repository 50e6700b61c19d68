// http-duel: the trivial uWebSockets.js responder against hayate, keep-alive announces over the standard
// pool, both loaded at once on the server CPUs (common/responder-duel.ts). Not in the standard suite.
import { responderDuel } from './common/responder-duel.js';

export const httpDuel = responderDuel('http', 'http-duel',
  'duel: trivial uWebSockets.js responder vs hayate, keep-alive HTTP announces at once; ratio of req per server CPU-second',
  false); // two HTTP generators need more than the one load core here (see bench/README.md)
