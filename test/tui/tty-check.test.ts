import t from 'tap';
import { NO_TTY, ttyProblem } from '../../src/tui/tty-check.js';

t.test('a terminal on both ends is fine', async (t) => {
  t.equal(ttyProblem({ isTTY: true }, { isTTY: true }), undefined);
});

t.test('pipes get a clear message with a stable code', async (t) => {
  const both = ttyProblem({}, { isTTY: false });
  t.equal(both?.code, NO_TTY);
  t.match(both?.message, /input and output are not one/);
  t.match(both?.message, /raftkv ctl status/);
  t.match(ttyProblem({ isTTY: true }, {})?.message, /its output is not one/);
  t.match(ttyProblem({ isTTY: false }, { isTTY: true })?.message, /its input is not one/);
});
