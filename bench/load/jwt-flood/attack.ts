// The attacker side of the jwt-flood scenario: a worker thread (attack-thread.ts) sending announces with
// forged tokens (bench/jwt/tokens.ts ForgedTokens: each one RSA verification for the tracker, none
// cacheable) from a few source addresses, as fast as the tracker answers: HTTP over keep-alive
// connections bound to each address, or BEP 15 UDP (the token in BEP 41 URL data) with a window of
// datagrams in flight per address. Bounded by time and by a request count; the thread is terminated
// if it has not reported 30 s after its deadline.
import { Worker } from 'node:worker_threads';

export interface AttackTask {
  protocol: 'http' | 'udp';
  host: string;
  /** The HTTP or the UDP port, as `protocol` says. */
  port: number;
  /** Source addresses (127.0.0.2 ...): each is one attacker. */
  addresses: string[];
  /** HTTP: keep-alive connections per address; UDP: datagrams in flight per address (over sockets of 256). */
  concurrency: number;
  durationSec: number;
  maxRequests: number;
  kid: string;
  issuer: string;
  audience: string;
  /** The torrent the attackers announce (hex); their tokens name it, so they pass the screen. */
  infoHashHex: string;
  /**
   * HTTP only: connect from the default address and name the attacker's address in an
   * `X-Forwarded-For` header instead, as requests relayed by a proxy do (the tracker's realIPHeader).
   */
  forwardedFor?: boolean;
}

export interface AttackerFigures {
  address: string;
  sent: number;
  answered: number;
  /** Answers by failure reason ("" = an announce answer). */
  byText: Record<string, number>;
  errors: number;
}

export interface AttackResult {
  elapsedSec: number;
  attackers: AttackerFigures[];
}

export type AttackMessage = { type: 'result'; result: AttackResult } | { type: 'error'; message: string };

const THREAD = new URL('./attack-thread.js', import.meta.url);

export async function runAttack(task: AttackTask): Promise<AttackResult> {
  const w = new Worker(THREAD, { workerData: task });
  let watchdog: NodeJS.Timeout | undefined;
  try {
    return await new Promise<AttackResult>((resolve, reject) => {
      watchdog = setTimeout(() => reject(new Error(`attack thread did not finish within ${task.durationSec + 30} s`)), (task.durationSec + 30) * 1000);
      w.on('message', (m: AttackMessage) => (m.type === 'result' ? resolve(m.result) : reject(new Error(`attack thread: ${m.message}`))));
      w.on('error', (err) => reject(new Error(`attack thread: ${err.message}`)));
      w.on('exit', (code) => reject(new Error(`attack thread exited (${code}) without a result`)));
    });
  } finally {
    clearTimeout(watchdog);
    await w.terminate();
  }
}

/** Sums of every attacker's figures. */
export function attackTotals(r: AttackResult): { sent: number; answered: number; errors: number; byText: Record<string, number> } {
  const byText: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  let errors = 0;
  for (const a of r.attackers) {
    sent += a.sent;
    answered += a.answered;
    errors += a.errors;
    for (const [k, v] of Object.entries(a.byText)) byText[k] = (byText[k] ?? 0) + v;
  }
  return { sent, answered, errors, byText };
}
