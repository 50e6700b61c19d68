// The command-line reading the bench's commands share (`npm run bench`, `npm run soak`): `--flag value`,
// `--flag=value` and boolean `--flag`, against a table of known flags; anything else is a UsageError.
// Flags named in `multi` take every following argument up to the next `--flag` (e.g. `--sweep a=1,2 b=3`).

export class UsageError extends Error {}

export interface Spec {
  flag: string;
  arg: string | null;           // null: boolean flag
  help: string;
}

export interface ReadFlags {
  /** Each flag given: its value, or true for a boolean flag (or a multi-valued one). */
  raw: Map<string, string | true>;
  /** The values of each multi-valued flag, in order. */
  multi: Map<string, string[]>;
}

export function readFlags(argv: readonly string[], specs: readonly Spec[], multi: readonly string[] = []): ReadFlags {
  const raw = new Map<string, string | true>();
  const values = new Map<string, string[]>(multi.map((m) => [m, []]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    let flag = a.slice(2);
    let inline: string | null = null;
    const eq = flag.indexOf('=');
    if (eq >= 0) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const spec = specs.find((s) => s.flag === flag);
    if (spec === undefined) throw new UsageError(`unknown option --${flag} (see --help)`);
    if (spec.arg === null) {
      raw.set(flag, true);
      continue;
    }
    const into = values.get(flag);
    if (into !== undefined) {
      if (inline !== null) into.push(inline);
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) into.push(argv[++i]!);
      raw.set(flag, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${flag} needs a value (${spec.arg})`);
    raw.set(flag, value);
  }
  return { raw, multi: values };
}
