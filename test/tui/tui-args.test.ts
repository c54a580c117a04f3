/** raft-tui's command line. */
import t from 'tap';
import { parseTuiArgs } from '../../src/tui/tui-args.js';

t.test('good command lines', async (t) => {
  t.same(parseTuiArgs([]), { help: false });
  t.same(parseTuiArgs(['--config', 'c.json']), { help: false, config: 'c.json' });
  t.same(parseTuiArgs(['--config=x/c.json']), { help: false, config: 'x/c.json' });
  t.same(parseTuiArgs(['-h']), { help: true });
  t.same(parseTuiArgs(['--help', '--config', 'c']), { help: true, config: 'c' });
});

t.test('bad command lines say what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--nope'], /unknown flag "--nope"/],
    [['-x'], /unknown flag "-x"/],
    [['extra'], /unexpected argument "extra"/],
    [['--config'], /--config: needs a value/],
    [['--config', '--help'], /--config: needs a value/],
    [['--config='], /non-empty/],
    [['--config', 'a', '--config', 'b'], /given twice/],
  ];
  for (const [argv, message] of cases) {
    t.throws(() => parseTuiArgs(argv), { code: 'BAD_FLAG', message }, argv.join(' '));
  }
});
