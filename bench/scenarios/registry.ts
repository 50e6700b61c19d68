// Every scenario (one file each in this folder; what several share is in common/), in the order the
// standard suite runs them.
import type { Scenario } from '../runner/scenario.js';
import { clusterHttpDuel } from './cluster-http-duel.js';
import { clusterJoin } from './cluster-join.js';
import { clusterLag } from './cluster-lag.js';
import { clusterUdpDuel } from './cluster-udp-duel.js';
import { heavySwarm } from './heavy-swarm.js';
import { httpAnnounce } from './http-announce.js';
import { httpAnnounceNewConn } from './http-announce-new-conn.js';
import { httpBaselineDuel } from './http-baseline-duel.js';
import { httpDuel } from './http-duel.js';
import { httpScrape } from './http-scrape.js';
import { jwtCold } from './jwt-cold.js';
import { jwtDuel } from './jwt-duel.js';
import { jwtFlood } from './jwt-flood.js';
import { jwtWarm } from './jwt-warm.js';
import { memory } from './memory.js';
import { metricsDuel } from './metrics-duel.js';
import { udpAnnounce } from './udp-announce.js';
import { udpBaselineDuel } from './udp-baseline-duel.js';
import { udpConnect } from './udp-connect.js';
import { udpDuel } from './udp-duel.js';
import { udpScrape } from './udp-scrape.js';
import { uniform } from './uniform.js';
import { zipf } from './zipf.js';

export const SCENARIOS: readonly Scenario[] = [
  httpAnnounce, httpAnnounceNewConn, httpScrape,
  udpConnect, udpAnnounce, udpScrape,
  uniform, zipf, heavySwarm,
  jwtWarm, jwtCold, jwtFlood,
  udpDuel, httpDuel, jwtDuel, metricsDuel,
  udpBaselineDuel, httpBaselineDuel,
  memory,
  clusterUdpDuel, clusterHttpDuel, clusterLag, clusterJoin,
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function standardSuite(): string[] {
  return SCENARIOS.filter((s) => s.standard).map((s) => s.name);
}

export function scenarioHelpLines(): string[] {
  return SCENARIOS.map((s) => `  ${s.standard ? '*' : ' '} ${s.name.padEnd(24)} ${s.summary}`);
}
