// What a fuzz run found: violations (any one fails the run) and reported categories (counted, shown,
// not failing: e.g. "no answer within 2 s" to an HTTP/1.0 request, while that is a known gap). Each
// kind keeps its count and the first few offending inputs, hex-encoded, with the input's index in its
// fuzzer's sequence so a run with the same seed finds it again.

/** Inputs shown per kind in the text report; the JSON report keeps the same ones at full length. */
export const EXAMPLES_PER_KIND = 4;
/** Hex shown per input in the text report (the JSON report has up to MAX_JSON_INPUT_BYTES). */
const TEXT_HEX_BYTES = 256;
const MAX_JSON_INPUT_BYTES = 128 * 1024;

export interface Example {
  /** e.g. "udp/jwt" */
  where: string;
  /** position in that fuzzer's input sequence (-1: not tied to one input) */
  index: number;
  /** what was generated (template and mutation names) */
  tags: string;
  detail: string;
  /** the bytes sent, one entry per write (several for split HTTP writes) */
  input: Buffer[];
  /** what came back, when something did (truncated) */
  reply?: Buffer;
}

export interface Tally {
  count: number;
  examples: Example[];
}

export class Findings {
  readonly violations = new Map<string, Tally>();
  readonly categories = new Map<string, Tally>();

  violation(kind: string, ex: Example): void {
    add(this.violations, kind, ex);
  }

  note(kind: string, ex: Example): void {
    add(this.categories, kind, ex);
  }

  /** A violation when `strict`, a reported category otherwise. */
  noteOrViolation(strict: boolean, kind: string, ex: Example): void {
    if (strict) this.violation(kind, ex);
    else this.note(kind, ex);
  }

  get violationCount(): number {
    let n = 0;
    for (const t of this.violations.values()) n += t.count;
    return n;
  }

  /** Folds another run's findings in (the CLI sums the configs). */
  merge(other: Findings): void {
    for (const [k, t] of other.violations) for (const e of t.examples) add(this.violations, k, e, 0);
    for (const [k, t] of other.violations) this.violations.get(k)!.count += t.count;
    for (const [k, t] of other.categories) for (const e of t.examples) add(this.categories, k, e, 0);
    for (const [k, t] of other.categories) this.categories.get(k)!.count += t.count;
  }
}

function add(map: Map<string, Tally>, kind: string, ex: Example, count = 1): void {
  let t = map.get(kind);
  if (t === undefined) {
    t = { count: 0, examples: [] };
    map.set(kind, t);
  }
  t.count += count;
  if (t.examples.length < EXAMPLES_PER_KIND) t.examples.push(ex);
}

export function hex(b: Buffer, max = TEXT_HEX_BYTES): string {
  return b.length <= max ? b.toString('hex') : `${b.subarray(0, max).toString('hex')}... (${b.length} bytes)`;
}

/** Printable view of bytes: ASCII as is, the rest as \xNN. */
export function printable(b: Buffer, max = 200): string {
  let s = '';
  const n = Math.min(b.length, max);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : c === 0x0d ? '\\r' : c === 0x0a ? '\\n' : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return b.length > max ? `${s}... (${b.length} bytes)` : s;
}

function formatExample(e: Example): string {
  const lines = [`      ${e.where} #${e.index} [${e.tags}] ${e.detail}`];
  e.input.forEach((b, i) => lines.push(`        input${e.input.length > 1 ? `[${i}]` : ''} hex: ${hex(b)}`));
  if (e.reply !== undefined) lines.push(`        reply hex: ${hex(e.reply, 128)}`);
  return lines.join('\n');
}

export function formatTallies(title: string, map: Map<string, Tally>): string {
  if (map.size === 0) return `${title}: none`;
  const lines = [`${title}:`];
  for (const [kind, t] of [...map].sort((a, b) => b[1].count - a[1].count)) {
    lines.push(`  ${t.count} x ${kind}`);
    for (const e of t.examples) lines.push(formatExample(e));
  }
  return lines.join('\n');
}

export function talliesJson(map: Map<string, Tally>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [kind, t] of map) {
    out[kind] = {
      count: t.count,
      examples: t.examples.map((e) => ({
        where: e.where, index: e.index, tags: e.tags, detail: e.detail,
        input: e.input.map((b) => b.subarray(0, MAX_JSON_INPUT_BYTES).toString('hex')),
        inputBytes: e.input.map((b) => b.length),
        reply: e.reply?.toString('hex'),
      })),
    };
  }
  return out;
}

/** The last few inputs sent, for the report when the process dies (the culprit is usually among them). */
export class RecentInputs {
  private readonly items: { where: string; index: number; tags: string; bytes: Buffer[] }[] = [];

  constructor(private readonly keep = 16) {}

  add(where: string, index: number, tags: string, bytes: Buffer[]): void {
    this.items.push({ where, index, tags, bytes });
    if (this.items.length > this.keep) this.items.shift();
  }

  /** One example holding the last inputs (each case's writes joined), oldest first. */
  example(detail: string): Example {
    const first = this.items[0];
    const last = this.items[this.items.length - 1];
    return {
      where: last?.where ?? '', index: last?.index ?? -1,
      tags: first === undefined ? 'no input sent' : `the last ${this.items.length} inputs: ${this.items.map((i) => `${i.where}#${i.index}`).join(' ')}`,
      detail, input: this.items.map((i) => Buffer.concat(i.bytes)),
    };
  }
}
