/** The CLI flag parser: accepted shapes, typed values, and a clear UsageError for each mistake. */
import t from 'tap';
import { expectPositionals, formatFlagsHelp, parseArgs, UsageError, type FlagSpec } from '../../src/cli/args.js';

const SPECS: FlagSpec[] = [
  { name: 'config', type: 'string', valueName: 'F', help: 'cluster file' },
  { name: 'nodes', type: 'int', min: 1, max: 99, help: 'node count' },
  { name: 'base-port', type: 'int', min: 1, max: 65535, help: 'first port' },
  { name: 'json', type: 'boolean', help: 'json output' },
];

t.test('accepted shapes', async (tt) => {
  tt.same(parseArgs(['get', 'k'], SPECS), { flags: {}, positionals: ['get', 'k'], help: false });
  tt.same(parseArgs(['--config', 'a.json', 'x'], SPECS).flags, { config: 'a.json' });
  tt.same(parseArgs(['--config=a=b.json'], SPECS).flags, { config: 'a=b.json' }, 'only the first = splits');
  tt.same(parseArgs(['--nodes', '5', '--base-port=7000'], SPECS).flags, { nodes: 5, 'base-port': 7000 }, 'ints are numbers');
  tt.same(parseArgs(['--json'], SPECS).flags, { json: true });
  tt.same(parseArgs(['--json=false'], SPECS).flags, { json: false });
  tt.same(parseArgs(['set', 'k', '-1'], SPECS).positionals, ['set', 'k', '-1'], 'negative numbers are values');
  tt.same(parseArgs(['set', 'k', '-'], SPECS).positionals, ['set', 'k', '-'], 'a lone dash is a value');
  tt.same(parseArgs(['--', '--json', '-h'], SPECS), { flags: {}, positionals: ['--json', '-h'], help: false }, '-- ends flags');
  tt.equal(parseArgs(['x', '--help'], SPECS).help, true);
  tt.equal(parseArgs(['-h'], SPECS).help, true);
  tt.same(parseArgs(['a', '--json', 'b'], SPECS).positionals, ['a', 'b'], 'flags may come between positionals');
});

/** [argv, message] for mistakes. */
const MISTAKES: Array<[string[], RegExp]> = [
  [['--bogus'], /unknown option --bogus/],
  [['--bogus=1'], /unknown option --bogus/],
  [['-x'], /unknown option "-x"/],
  [['--config'], /--config: missing value \(F\)/],
  [['--config', '--json'], /--config: missing value/],
  [['--config='], /--config: needs a non-empty value/],
  [['--nodes', 'three'], /--nodes: must be an integer, got "three"/],
  [['--nodes', '1.5'], /--nodes: must be an integer, got "1\.5"/],
  [['--nodes', '0'], /--nodes: must be >= 1, got 0/],
  [['--nodes', '100'], /--nodes: must be <= 99, got 100/],
  [['--nodes', '99999999999999999999'], /--nodes: integer out of range/],
  [['--nodes', '3', '--nodes', '4'], /--nodes: given more than once/],
  [['--json=yes'], /--json: takes no value/],
  [['--nodes', '\u0000\u00ff'], /--nodes: must be an integer/],
];

t.test('mistakes throw UsageError (code BAD_FLAG) with a clear message', async (tt) => {
  for (const [argv, message] of MISTAKES) {
    tt.throws(() => parseArgs(argv, SPECS), { code: 'BAD_FLAG', message, constructor: UsageError }, argv.join(' '));
  }
});

t.test('expectPositionals checks the count', async (tt) => {
  const args = parseArgs(['a', 'b'], SPECS);
  tt.same(expectPositionals(args, 2, 2, 'K V'), ['a', 'b']);
  tt.throws(() => expectPositionals(args, 3, 3, 'K E V'), { code: 'BAD_FLAG', message: 'missing argument: expected K E V' });
  tt.throws(() => expectPositionals(args, 1, 1, 'KEY'), { code: 'BAD_FLAG', message: /too many arguments: expected KEY, got \["b"\] extra/ });
});

t.test('help lists every flag, aligned', async (tt) => {
  const help = formatFlagsHelp(SPECS);
  const lines = help.split('\n');
  tt.equal(lines.length, SPECS.length + 1);
  tt.match(lines[0], /^  --config F\s+cluster file$/);
  tt.match(lines.at(-1)!, /^  -h, --help\s+show this help$/);
  const column = lines.map((l) => l.search(/ {2}\S+( \S+)*$/));
  tt.equal(new Set(column).size, 1, 'descriptions start in one column');
});
