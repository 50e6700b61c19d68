import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseFlags, usageText, type Flags } from '../../../src/cli/flags.js';

const DEFAULTS: Flags = { help: false, config: '', v: 0, logtostderr: false, debug: '', ignored: [] };

test('parseFlags accepts Go flag syntax', () => {
  const cases: Array<[string[], Partial<Flags>]> = [
    [[], {}],
    [['-v=5'], { v: 5 }],
    [['-v', '3'], { v: 3 }],
    [['--v=2'], { v: 2 }],
    [['-v=+1'], { v: 1 }],
    [['-config=/x.json'], { config: '/x.json' }],
    [['--config', '/x.json'], { config: '/x.json' }],
    [['-config', '/x.json'], { config: '/x.json' }],
    [['--config=/x.json'], { config: '/x.json' }],
    [['-config='], { config: '' }],
    [['-config', '-v=5'], { config: '-v=5' }], // as in Go: a value flag takes the next argument verbatim
    [['-config=/a.json', '-config=/b.json'], { config: '/b.json' }], // last one wins
    [['-logtostderr'], { logtostderr: true }],
    [['--logtostderr'], { logtostderr: true }],
    [['-logtostderr=true'], { logtostderr: true }],
    [['-logtostderr=false'], { logtostderr: false }],
    [['-logtostderr=1'], { logtostderr: true }],
    [['-logtostderr=F'], { logtostderr: false }],
    [['-debug', 'localhost:6060'], { debug: 'localhost:6060' }],
    [['-debug=:6060'], { debug: ':6060' }],
    [['-maxprocs=4'], { maxprocs: 4 }],
    [['-maxprocs', '-1'], { maxprocs: -1 }],
    [['-config=/config.json', '-logtostderr=true', '-v=5'], { config: '/config.json', logtostderr: true, v: 5 }],
    [['-alsologtostderr', '-stderrthreshold=INFO', '-log_dir', '/tmp', '-vmodule=x=2', '-alsologtostderr'],
      { ignored: ['alsologtostderr', 'stderrthreshold', 'log_dir', 'vmodule'] }],
    [['-profile=/tmp/cpu.out'], { ignored: ['profile'] }],
    [['-v=1', '--'], { v: 1 }],
    [['-h'], { help: true }],
    [['-help'], { help: true }],
    [['--help'], { help: true }],
    [['-v=1', '-h', '-nonsense'], { v: 1, help: true }], // Go stops at -h
  ];
  for (const [argv, expected] of cases) {
    assert.deepEqual(parseFlags(argv), { ...DEFAULTS, ...expected }, argv.join(' '));
  }
});

test('parseFlags rejects bad command lines with a FlagError naming the flag', () => {
  const cases: Array<[string[], string]> = [
    [['-nonsense'], 'flag provided but not defined: -nonsense'],
    [['--port=80'], 'flag provided but not defined: -port'],
    [['-V=5'], 'flag provided but not defined: -V'],
    [['-v=6'], 'invalid value "6" for flag -v: must be 0..5'],
    [['-v=-1'], 'invalid value "-1" for flag -v: must be 0..5'],
    [['-v=abc'], 'invalid value "abc" for flag -v: not an integer'],
    [['-v='], 'invalid value "" for flag -v: not an integer'],
    [['-v=1.5'], 'invalid value "1.5" for flag -v: not an integer'],
    [['-maxprocs=x'], 'invalid value "x" for flag -maxprocs: not an integer'],
    [['-v'], 'flag needs an argument: -v'],
    [['-config'], 'flag needs an argument: -config'],
    [['-debug'], 'flag needs an argument: -debug'],
    [['-logtostderr=yes'], 'invalid boolean value "yes" for flag -logtostderr: use true or false'],
    [['-logtostderr', 'false'], 'unexpected argument "false": hayate takes only flags'],
    [['/config.json'], 'unexpected argument "/config.json": hayate takes only flags'],
    [['-v=1', 'serve'], 'unexpected argument "serve": hayate takes only flags'],
    [['-'], 'unexpected argument "-": hayate takes only flags'],
    [['--', 'x'], 'unexpected argument "x": hayate takes only flags'],
    [['---v=1'], 'bad flag syntax: ---v=1'],
    [['-=1'], 'bad flag syntax: -=1'],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseFlags(argv), (e: unknown) => {
      assert.ok(e instanceof FlagError, argv.join(' '));
      assert.equal(e.message, message);
      assert.equal(e.code, 'HAYATE_FLAG');
      return true;
    });
  }
});

test('usageText lists every flag on its own line', () => {
  const text = usageText();
  for (const name of ['config PATH', 'v N', 'logtostderr', 'maxprocs N', 'debug ADDR', 'h, -help']) {
    const lines = text.split('\n').filter((l) => l.startsWith(`  -${name} `));
    assert.equal(lines.length, 1, `usage has one line for -${name}`);
  }
  assert.match(text, /^Usage: hayate \[flags\]/);
  assert.ok(text.endsWith('\n'));
});
