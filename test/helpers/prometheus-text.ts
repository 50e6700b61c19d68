// A strict reader of the Prometheus text exposition format (version 0.0.4), for the /metrics tests:
// every line is a HELP/TYPE comment or a sample, every sample belongs to a family with a TYPE, label
// values are quoted and escaped, values are numbers (or +Inf/-Inf/NaN). Throws on anything else.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: PromSample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/;

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (/^nan$/i.test(text)) return NaN; // Prometheus parses floats as Go does (prom-client writes "Nan")
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`not a number in ${JSON.stringify(line)}`);
  return v;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL.exec(rest);
    if (m === null) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    if (m[1]! in labels) throw new Error(`label ${m[1]} twice in ${JSON.stringify(line)}`);
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    rest = rest.slice(m[0].length);
  }
  return labels;
}

/** The family a sample belongs to: histogram samples carry _bucket/_sum/_count suffixes. */
export function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' || types.get(base) === 'summary' ? base : undefined;
}

export function parseExposition(text: string): Exposition {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const [name, ...words] = line.slice(7).split(' ');
      help.set(name!, words.join(' '));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!)) throw new Error(`bad TYPE line ${JSON.stringify(line)}`);
      if (types.has(name!)) throw new Error(`TYPE of ${name} twice`);
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    if (familyOf(name, types) === undefined) throw new Error(`sample ${name} before (or without) its TYPE line`);
    samples.push({ name, labels: m[3] === undefined ? {} : parseLabels(m[3], line), value: parseValue(m[4]!, line) });
  }
  return { samples, types, help };
}

/** Samples named `name` whose labels include every one of `labels`. */
export function select(e: Exposition, name: string, labels: Record<string, string> = {}): PromSample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The sum of those samples' values (0 when there is none). */
export function sumOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  return select(e, name, labels).reduce((a, s) => a + s.value, 0);
}

/** The one sample named `name` with exactly these labels; throws when absent. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const exact = e.samples.filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (exact.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${exact.length} samples`);
  return exact[0]!.value;
}

/**
 * Checks every histogram of `name`: for each label set, buckets in ascending `le` order, cumulative
 * (never decreasing), +Inf last and equal to _count, `le` values exactly `bounds` then +Inf.
 */
export function checkHistograms(e: Exposition, name: string, bounds: readonly number[]): void {
  const sets = new Map<string, PromSample[]>();
  for (const s of select(e, `${name}_bucket`)) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    if (!sets.has(key)) sets.set(key, []);
    sets.get(key)!.push(s);
  }
  for (const [key, buckets] of sets) {
    const les = buckets.map((b) => b.labels.le);
    const want = [...bounds.map((b) => String(b)), '+Inf'];
    if (JSON.stringify(les) !== JSON.stringify(want)) throw new Error(`${name}${key}: le ${JSON.stringify(les)}, expected ${JSON.stringify(want)}`);
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${name}${key}: bucket le=${les[i]} below the one before`);
    }
    const labels = JSON.parse(key) as Record<string, string>;
    const count = valueOf(e, `${name}_count`, labels);
    if (buckets.at(-1)!.value !== count) throw new Error(`${name}${key}: +Inf ${buckets.at(-1)!.value} != _count ${count}`);
    const sum = valueOf(e, `${name}_sum`, labels);
    if (!(sum >= 0) || (count === 0 && sum !== 0)) throw new Error(`${name}${key}: _sum ${sum} with _count ${count}`);
  }
}
