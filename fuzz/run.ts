// One config of the matrix, end to end: start the JWK-set server (JWT config), start hayate as a child
// process, run the UDP fuzzer then the HTTP fuzzer under the RSS and /check monitor, then the closing
// checks: still alive, /check answers, no internal error in its log, RSS within the bound, clean exit
// on SIGTERM.
import { Findings, RecentInputs } from './assertions.js';
import { DEFAULT_EXPECTATIONS, type FuzzConfig } from './configs.js';
import { runHttpFuzzer, type HttpRunStats } from './http-fuzzer.js';
import { INFO_HASH_POOL, PEER_ID_POOL, makeTokenBook, type TokenBook } from './identities.js';
import { announceParams, announceUrl, request } from '../test/helpers/tracker.js';
import { AUDIENCE, JwksServer } from '../test/helpers/jwt-fixtures.js';
import { Monitor, checkAlive, startTracker, stats as trackerStats, type MonitorReport } from './tracker-process.js';
import type { TrackerExpectations } from './udp-checks.js';
import { runUdpFuzzer, type UdpRunStats } from './udp-fuzzer.js';

export interface ConfigRunOptions {
  seed: number;
  udpCount: number;
  httpCount: number;
  /** wall-clock budget for this config (both fuzzers), seconds */
  budgetSec: number;
  strictHttp10: boolean;
  /** RSS may grow this much over its value after start-up */
  rssBoundMiB: number;
  /** ::1 can be bound here (UDP from an IPv6 source is fuzzed when the config listens on both) */
  ipv6: boolean;
  log?: (line: string) => void;
}

export interface ConfigResult {
  name: string;
  findings: Findings;
  udp: UdpRunStats | null;
  http: HttpRunStats | null;
  monitor: MonitorReport | null;
  /** selected /stats counters at the end */
  trackerStats: Record<string, unknown> | null;
  exit: string;
  runtimeMs: number;
  /** JWT config: how long the first announce with a valid token took (verifier start-up) */
  firstJwtMs?: number;
}

/** One HTTP announce with a valid token, answered (ms), before any fuzzing. */
async function firstJwtAnnounce(port: number, tokens: TokenBook): Promise<number> {
  const ih = INFO_HASH_POOL[0]!;
  const url = announceUrl(`http://127.0.0.1:${port}`, { ...announceParams(ih, PEER_ID_POOL[0]!), jwt: tokens.valid.get(ih.toString('hex'))! });
  const t0 = performance.now();
  const res = await request('GET', url, {}, 30_000);
  if (res.status !== 200 || !res.body.includes('8:interval')) throw new Error(`warm-up announce with a valid JWT was refused: ${res.status} ${res.body.toString('latin1')}`);
  return Math.round(performance.now() - t0);
}

const STATS_KEYS = ['requestsHandled', 'requestsErrored', 'requestsBad', 'udpPacketsBad', 'udpRepliesDropped', 'trackerAnnounces', 'trackerScrapes', 'torrentsSize'];

export async function fuzzConfig(fc: FuzzConfig, o: ConfigRunOptions): Promise<ConfigResult> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  const deadline = Date.now() + o.budgetSec * 1000;
  const findings = new Findings();
  const recent = new RecentInputs();
  const result: ConfigResult = { name: fc.name, findings, udp: null, http: null, monitor: null, trackerStats: null, exit: '', runtimeMs: 0 };
  const where = (what: string): string => `${what}/${fc.name}`;
  const whole = (detail: string) => ({ where: fc.name, index: -1, tags: '', detail, input: [] });

  let tokens: TokenBook | null = null;
  let jwks: JwksServer | null = null;
  const config: Record<string, unknown> = { ...fc.config };
  if (fc.jwt) {
    tokens = await makeTokenBook();
    jwks = await new JwksServer().listen();
    jwks.keys = [tokens.key.jwk];
    config.jwkSetURI = jwks.url;
    config.jwtAudience = AUDIENCE;
  }
  const expect: TrackerExpectations = { ...DEFAULT_EXPECTATIONS, tokens, whitelist: fc.whitelist };
  const udpDual = fc.udpDual && o.ipv6;
  const tracker = await startTracker(config, udpDual);
  const alive = (): boolean => tracker.run.alive();
  const monitor = new Monitor(tracker.pid, tracker.apiPort).start();
  log(`[${fc.name}] hayate pid ${tracker.pid}: http ${tracker.httpPort}, udp ${udpDual ? '[::]' : '127.0.0.1'}:${tracker.udpPort}, api ${tracker.apiPort}`);
  try {
    if (tokens !== null) {
      // The first verified token starts the verifier threads: timed here, so it does not read as a late reply.
      result.firstJwtMs = await firstJwtAnnounce(tracker.httpPort, tokens);
      log(`[${fc.name}] first announce with a valid JWT answered in ${result.firstJwtMs} ms`);
    }
    if (o.udpCount > 0) {
      const udpDeadline = o.httpCount > 0 ? Date.now() + (deadline - Date.now()) / 2 : deadline;
      result.udp = await runUdpFuzzer({
        seed: o.seed, where: where('udp'), count: o.udpCount, deadline: udpDeadline, port: tracker.udpPort, ipv6: udpDual, expect, findings, alive, recent,
      });
      log(`[${fc.name}] udp: ${result.udp.sent} datagrams in ${(result.udp.elapsedMs / 1000).toFixed(1)} s (${result.udp.datagramsPerSec}/s), stopped by ${result.udp.stoppedBy}`);
    }
    if (o.httpCount > 0 && alive()) {
      result.http = await runHttpFuzzer({
        seed: o.seed, where: where('http'), count: o.httpCount, deadline, port: tracker.httpPort, expect, findings, alive, recent,
        strictHttp10: o.strictHttp10,
      });
      log(`[${fc.name}] http: ${result.http.requests} requests in ${(result.http.elapsedMs / 1000).toFixed(1)} s (${result.http.requestsPerSec}/s), stopped by ${result.http.stoppedBy}`);
    }
    // closing checks
    await new Promise((r) => setTimeout(r, 1_000));
    if (!alive()) {
      const { code, signal } = await tracker.run.exited;
      findings.violation('process: the tracker exited during the fuzz',
        recent.example(`exit code ${code}, signal ${signal}; stderr tail: ${tracker.run.stderr().slice(-2000)}`));
    } else {
      const check = await checkAlive(tracker.apiPort);
      if (!check.ok) findings.violation('process: /check does not answer STILL-ALIVE after the fuzz', whole(`after ${Math.round(check.ms)} ms`));
      const s = await trackerStats(tracker.apiPort);
      if (s !== null) result.trackerStats = Object.fromEntries(STATS_KEYS.map((k) => [k, s[k]]));
    }
  } finally {
    result.monitor = monitor.stop();
    const wasAlive = alive();
    const exit = await tracker.stop();
    result.exit = wasAlive ? `code ${exit.code}, signal ${exit.signal} after SIGTERM` : `died: code ${exit.code}, signal ${exit.signal}`;
    if (wasAlive && (exit.code !== 0 || exit.signal !== null)) findings.violation('process: no clean exit 0 on SIGTERM after the fuzz', whole(result.exit));
    await jwks?.close();
  }
  const m = result.monitor;
  const growthMiB = (m.maxKiB - m.startKiB) / 1024;
  if (growthMiB > o.rssBoundMiB) {
    findings.violation(`process: RSS grew more than ${o.rssBoundMiB} MiB`, whole(`start ${(m.startKiB / 1024).toFixed(0)} MiB, max ${(m.maxKiB / 1024).toFixed(0)} MiB, final ${(m.finalKiB / 1024).toFixed(0)} MiB`));
  }
  const lines = tracker.run.stderr().split('\n');
  lines.forEach((line, i) => { // the line and the stack under it
    if (/internal error|uncaught|unhandled/i.test(line)) findings.violation('process: the tracker logged an internal error', whole(lines.slice(i, i + 8).join('\n').slice(0, 1500)));
  });
  if (m.checkFailures > 0) {
    findings.note('process: /check did not answer within 2 s during the fuzz (under load; reported)', whole(`${m.checkFailures} of ${m.checks}`));
  }
  result.runtimeMs = Math.round(performance.now() - started);
  return result;
}
