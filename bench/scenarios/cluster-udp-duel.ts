// cluster-udp-duel: hayate standalone against hayate in cluster mode (publishing every announce to a
// redis-server the bench starts, a second cluster instance consuming it), BEP 15 announces over the
// standard pool, both loaded at once on the server CPUs; ratio of requests per server CPU-second
// (common/cluster-duel.ts). Not in the standard suite (needs redis-server).
import { clusterDuel } from './common/cluster-duel.js';

export const clusterUdpDuel = clusterDuel('udp', 'cluster-udp-duel',
  'duel: hayate standalone vs hayate in cluster mode (Redis + a 2nd instance on the load CPUs), UDP announces; ratio of req per server CPU-second');
