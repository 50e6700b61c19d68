// Every scenario, in the order the standard suite runs them.
import { httpDuel, udpDuel } from './duels.js';
import { heavySwarm } from './heavy-swarm.js';
import { httpAnnounce, httpAnnounceNewConn, httpScrape } from './http.js';
import { jwtCold, jwtWarm } from './jwt.js';
import { jwtDuel } from './jwt-duel.js';
import { memory } from './memory.js';
import type { Scenario } from './scenario.js';
import { uniform, zipf } from './skewed.js';
import { udpAnnounce, udpConnect, udpScrape } from './udp.js';

export const SCENARIOS: readonly Scenario[] = [
  httpAnnounce, httpAnnounceNewConn, httpScrape,
  udpConnect, udpAnnounce, udpScrape,
  uniform, zipf, heavySwarm,
  jwtWarm, jwtCold,
  udpDuel, httpDuel, jwtDuel,
  memory,
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
