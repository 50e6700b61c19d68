// An observer that counts: answers (peer lists and failures by reason), lost requests by reason,
// connection events, a latency histogram per protocol, and optionally which peers were admitted
// (answered with a peer list at least once). take() returns the figures and starts a new window, for
// reports every few seconds.
import { encodeHistogram, newHistogram, recordMicros, summarize, type Histogram, type LatencySummary } from '../histogram.js';
import type { AnnounceObserver, ConnectionEvent, LostReason, Proto } from './observer.js';

export interface ProtoFigures {
  /** Answers with a peer list. */
  ok: number;
  /** Peer lists whose swarm counts differ from `Tally.expectSwarm` (when set). */
  wrongCounts: number;
  /** Answers with a failure reason, by text. */
  failures: Record<string, number>;
  lost: Record<LostReason, number>;
  events: Partial<Record<ConnectionEvent, number>>;
  latency: LatencySummary;
}

export interface TallyWindow {
  elapsedMs: number;
  http: ProtoFigures;
  udp: ProtoFigures;
  /** The window's latency histograms (hdr-histogram compressed base64, µs), to merge across threads. */
  histograms: { http: string; udp: string };
}

interface Counts {
  ok: number;
  wrongCounts: number;
  failures: Map<string, number>;
  lost: Record<LostReason, number>;
  events: Map<ConnectionEvent, number>;
  hist: Histogram;
}

function newCounts(): Counts {
  return { ok: 0, wrongCounts: 0, failures: new Map(), lost: { timeout: 0, reset: 0, 'bad-reply': 0 }, events: new Map(), hist: newHistogram() };
}

function figures(c: Counts): ProtoFigures {
  return {
    ok: c.ok,
    wrongCounts: c.wrongCounts,
    failures: Object.fromEntries(c.failures),
    lost: { ...c.lost },
    events: Object.fromEntries(c.events) as Partial<Record<ConnectionEvent, number>>,
    latency: summarize(c.hist),
  };
}

/** Distinct failure texts kept per window (a flood of distinct texts would be a finding in itself). */
const MAX_REASONS = 32;

export class Tally implements AnnounceObserver {
  /** Peers answered with a peer list at least once (when tracking was asked for). */
  readonly admitted: Uint8Array | null;
  /**
   * What peer g's swarm must report, when known (the chaos tests: every peer announced, none stops);
   * a peer list that says otherwise counts in `wrongCounts`, the first few are kept in `wrongExamples`.
   */
  expectSwarm: ((g: number) => { seeders: number; leechers: number }) | null = null;
  readonly wrongExamples: string[] = [];
  /** Hook for tests: called for every answer and loss, after counting. */
  onAnswer: ((proto: Proto, g: number, failure: string | null) => void) | null = null;
  private cur = { http: newCounts(), udp: newCounts() };
  private total = { http: newCounts(), udp: newCounts() };
  private windowStart = performance.now();

  constructor(trackPeers = 0) {
    this.admitted = trackPeers > 0 ? new Uint8Array(trackPeers) : null;
  }

  answered(proto: Proto, g: number, failure: string | null, latencyUs: number, seeders: number, leechers: number): void {
    let wrong = false;
    if (failure === null && this.expectSwarm !== null) {
      const e = this.expectSwarm(g);
      wrong = e.seeders !== seeders || e.leechers !== leechers;
      if (wrong && this.wrongExamples.length < 10) {
        this.wrongExamples.push(`${proto} peer ${g}: ${seeders} seeders + ${leechers} leechers, expected ${e.seeders} + ${e.leechers}`);
      }
    }
    for (const c of [this.cur[proto], this.total[proto]]) {
      if (wrong) c.wrongCounts++;
      recordMicros(c.hist, latencyUs);
      if (failure === null) c.ok++;
      else if (c.failures.has(failure) || c.failures.size < MAX_REASONS) c.failures.set(failure, (c.failures.get(failure) ?? 0) + 1);
      else c.failures.set('(other texts)', (c.failures.get('(other texts)') ?? 0) + 1);
    }
    if (failure === null && this.admitted !== null) this.admitted[g] = 1;
    this.onAnswer?.(proto, g, failure);
  }

  lost(proto: Proto, g: number, why: LostReason): void {
    this.cur[proto].lost[why]++;
    this.total[proto].lost[why]++;
    this.onAnswer?.(proto, g, `(lost: ${why})`);
  }

  connection(proto: Proto, event: ConnectionEvent): void {
    for (const c of [this.cur[proto], this.total[proto]]) c.events.set(event, (c.events.get(event) ?? 0) + 1);
  }

  /** The figures since the last take() (or the start), and a new window. */
  take(): TallyWindow {
    const now = performance.now();
    const w: TallyWindow = {
      elapsedMs: now - this.windowStart, http: figures(this.cur.http), udp: figures(this.cur.udp),
      histograms: { http: encodeHistogram(this.cur.http.hist), udp: encodeHistogram(this.cur.udp.hist) },
    };
    this.cur = { http: newCounts(), udp: newCounts() };
    this.windowStart = now;
    return w;
  }

  /** The figures since the start. */
  totals(): { http: ProtoFigures; udp: ProtoFigures } {
    return { http: figures(this.total.http), udp: figures(this.total.udp) };
  }

  /** How many of peers 0..n-1 were admitted. */
  admittedCount(): number {
    let n = 0;
    if (this.admitted !== null) for (const a of this.admitted) n += a;
    return n;
  }
}

/** Answers of one protocol's figures: peer lists + failures. */
export function answeredOf(f: ProtoFigures): number {
  let n = f.ok;
  for (const v of Object.values(f.failures)) n += v;
  return n;
}

/** Lost requests of one protocol's figures. */
export function lostOf(f: ProtoFigures): number {
  return f.lost.timeout + f.lost.reset + f.lost['bad-reply'];
}
