// Command-line flags with Go `flag` package syntax, because deployments start chihaya v1 as
// `chihaya -config=/config.json -v=5` and must keep working unchanged (docs/compatibility.md, "How it is started").
// Accepted forms: -name, --name, -name=value, and -name value for flags that take a value.

/** A bad command line. `message` names the flag; the entrypoint prints it with usageText(). */
export class FlagError extends Error {
  readonly code = 'HAYATE_FLAG';
  constructor(message: string, readonly flag?: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface Flags {
  help: boolean;           // -h / -help: print usageText() and exit 0
  config: string;          // -config: path to config.json; "" = built-in defaults
  v: number;               // -v: log verbosity 0..5
  logtostderr: boolean;    // -logtostderr: accepted; we always log to stderr
  maxprocs?: number;       // -maxprocs: accepted (Go's GOMAXPROCS has no Node equivalent)
  debug: string;           // -debug: address for a debug/profiler listener; "" = none
  ignored: string[];       // glog/chihaya flags given that have no effect here (to log once)
}

type FlagKind = 'bool' | 'string' | 'int';

interface FlagSpec {
  readonly kind: FlagKind;
  readonly arg: string; // placeholder in usage
  readonly help: string;
}

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { kind: 'string', arg: 'PATH', help: 'configuration file (chihaya v1 config.json); default: built-in defaults' },
  v: { kind: 'int', arg: 'N', help: 'log verbosity 0..5 (>=2 logs each refused request and why, >=3 each request line); default 0' },
  logtostderr: { kind: 'bool', arg: '', help: 'accepted for chihaya compatibility; logs always go to stderr' },
  maxprocs: { kind: 'int', arg: 'N', help: 'accepted for chihaya compatibility; no effect' },
  debug: { kind: 'string', arg: 'ADDR', help: 'accepted for chihaya compatibility; no effect (no debug listener is started)' },
  // chihaya v1 linked glog, which registered these; old scripts may still pass them.
  alsologtostderr: { kind: 'bool', arg: '', help: 'accepted for glog compatibility; no effect' },
  stderrthreshold: { kind: 'string', arg: 'LEVEL', help: 'accepted for glog compatibility; no effect' },
  log_dir: { kind: 'string', arg: 'DIR', help: 'accepted for glog compatibility; no effect' },
  vmodule: { kind: 'string', arg: 'SPEC', help: 'accepted for glog compatibility; no effect' },
  log_backtrace_at: { kind: 'string', arg: 'FILE:N', help: 'accepted for glog compatibility; no effect' },
  profile: { kind: 'string', arg: 'PATH', help: 'accepted for chihaya compatibility; no effect' },
};

const MAX_VERBOSITY = 5;

// strconv.ParseBool's spellings.
const BOOLS: Readonly<Record<string, boolean>> = {
  '1': true, t: true, T: true, true: true, TRUE: true, True: true,
  '0': false, f: false, F: false, false: false, FALSE: false, False: false,
};

function parseInt10(name: string, text: string): number {
  if (!/^[+-]?[0-9]{1,15}$/.test(text)) {
    throw new FlagError(`invalid value ${JSON.stringify(text)} for flag -${name}: not an integer`, name);
  }
  return Number(text);
}

function apply(flags: Flags, name: string, text: string): void {
  switch (name) {
    case 'config':
      flags.config = text;
      return;
    case 'v': {
      const v = parseInt10(name, text);
      if (v < 0 || v > MAX_VERBOSITY) {
        throw new FlagError(`invalid value ${JSON.stringify(text)} for flag -v: must be 0..${MAX_VERBOSITY}`, name);
      }
      flags.v = v;
      return;
    }
    case 'logtostderr':
      flags.logtostderr = BOOLS[text]!;
      return;
    case 'maxprocs':
      flags.maxprocs = parseInt10(name, text);
      return;
    case 'debug':
      flags.debug = text;
      return;
    default:
      if (!flags.ignored.includes(name)) flags.ignored.push(name);
  }
}

/**
 * Parses argv (without the node and script paths) like Go's flag.Parse. The last occurrence of a flag
 * wins, so `-config` given by the image entrypoint can be overridden after it. Returns `{ help: true, ... }`
 * as soon as -h/-help is seen. Throws FlagError for an unknown flag, a bad value or a positional argument.
 */
export function parseFlags(argv: string[]): Flags {
  const flags: Flags = { help: false, config: '', v: 0, logtostderr: false, debug: '', ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (i + 1 < argv.length) throw new FlagError(`unexpected argument ${JSON.stringify(argv[i + 1])}: hayate takes only flags`);
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') {
      throw new FlagError(`unexpected argument ${JSON.stringify(arg)}: hayate takes only flags`);
    }
    const body = arg[1] === '-' ? arg.slice(2) : arg.slice(1);
    if (body === '' || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);

    if (name === 'h' || name === 'help') return { ...flags, help: true };
    const spec = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (spec === undefined) throw new FlagError(`flag provided but not defined: -${name}`, name);

    let value: string;
    if (spec.kind === 'bool') {
      // As in Go, a boolean flag never consumes the next argument: `-logtostderr false` is positional.
      value = inline ?? 'true';
      if (!Object.hasOwn(BOOLS, value)) {
        throw new FlagError(`invalid boolean value ${JSON.stringify(value)} for flag -${name}: use true or false`, name);
      }
    } else if (inline !== undefined) {
      value = inline;
    } else if (i + 1 < argv.length) {
      value = argv[++i]!; // Go takes the next argument whatever it looks like
    } else {
      throw new FlagError(`flag needs an argument: -${name}`, name);
    }
    apply(flags, name, value);
  }
  return flags;
}

/** The help text, one line per flag; printed for -h and after a FlagError. */
export function usageText(): string {
  const rows = Object.entries(FLAGS).map(([name, spec]) => [`  -${name}${spec.arg === '' ? '' : ' ' + spec.arg}`, spec.help]);
  rows.push(['  -h, -help', 'print this help']);
  const width = Math.max(...rows.map(([left]) => left!.length)) + 2;
  const lines = ['Usage: hayate [flags]', '', ...rows.map(([left, help]) => left!.padEnd(width) + help)];
  lines.push('', 'Flags may be written -name, --name, -name=value or -name value (booleans: -name or -name=false).');
  return lines.join('\n') + '\n';
}
