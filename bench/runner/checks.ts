// Answers are checked, not only counted: a tracker that answers fast with `failure reason` (HTTP 200)
// must not look fast. A few requests of each pool go through node:http and their bodies are read.
import { httpGet } from '../env/api-client.js';
import type { Target } from '../env/targets.js';
import type { SampleCheck } from './result.js';

/** The failure text of a bencoded tracker answer, or null when it is not a failure. */
export function failureReason(body: Buffer): string | null {
  const m = /^d14:failure reason(\d+):/.exec(body.toString('latin1', 0, 40));
  if (m === null) return null;
  const start = m[0].length;
  return body.toString('utf8', start, start + Number(m[1]));
}

export type Expect = 'announce' | 'scrape';

/** Why this answer is wrong, or null. */
export function judge(status: number, body: Buffer, expect: Expect): string | null {
  if (status !== 200) return `HTTP ${status}: ${body.toString('latin1', 0, 120)}`;
  const failure = failureReason(body);
  if (failure !== null) return `failure reason: ${failure}`;
  if (body[0] !== 0x64 /* d */) return `not a bencoded dictionary: ${body.toString('latin1', 0, 60)}`;
  const text = body.toString('latin1');
  if (expect === 'announce' && !text.includes('8:intervali')) return 'announce answer without interval';
  if (expect === 'scrape' && !text.includes('5:filesd')) return 'scrape answer without files';
  return null;
}

/**
 * GETs `n` targets spread over `paths`, all at once (concurrent requests are where shared state goes
 * wrong); every answer must be a well-formed tracker success.
 */
export async function sampleHttp(target: Target, paths: string[], expect: Expect, n = 10): Promise<SampleCheck> {
  const step = Math.max(1, Math.floor(paths.length / n));
  const picked: string[] = [];
  for (let i = 0; i < paths.length && picked.length < n; i += step) picked.push(paths[i]!);
  const verdicts = await Promise.all(picked.map(async (p) => {
    try {
      const r = await httpGet(`http://${target.host}:${target.httpPort}${p}`, 5000);
      return judge(r.status, r.body, expect);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }));
  const out: SampleCheck = { checked: picked.length, failed: 0, firstFailure: null };
  for (const why of verdicts) {
    if (why === null) continue;
    out.failed++;
    out.firstFailure ??= why;
  }
  return out;
}
