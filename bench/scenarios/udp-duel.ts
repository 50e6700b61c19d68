// udp-duel: the trivial node:dgram responder against hayate, BEP 15 announces over the standard pool,
// both loaded at once on the server CPUs; hayate's requests per server CPU-second as a ratio to the
// responder's (common/responder-duel.ts).
import { responderDuel } from './common/responder-duel.js';

export const udpDuel = responderDuel('udp', 'udp-duel',
  'duel: trivial node:dgram responder vs hayate, UDP announces at once on the server CPUs; ratio of req per server CPU-second', true);
