import t from 'tap';
import { ShellHistory } from '../../../src/tui/shell/history.js';

t.test('up walks back, down walks forward and restores the draft', async (t) => {
  const h = new ShellHistory();
  h.push('SET a 1');
  h.push('GET a');
  t.equal(h.up('GE'), 'GET a');
  t.equal(h.up('GET a'), 'SET a 1');
  t.equal(h.up('SET a 1'), 'SET a 1', 'stays at the oldest');
  t.equal(h.down('SET a 1'), 'GET a');
  t.equal(h.down('GET a'), 'GE', 'past the newest: the draft typed before browsing');
  t.equal(h.down('GE'), 'GE', 'not browsing: the current line is kept');
});

t.test('empty history leaves the line alone', async (t) => {
  const h = new ShellHistory();
  t.equal(h.up('abc'), 'abc');
  t.equal(h.down('abc'), 'abc');
});

t.test('push skips blanks and repeats, and ends browsing', async (t) => {
  const h = new ShellHistory();
  h.push('PING');
  h.push('PING');
  h.push('   ');
  h.push('');
  t.same(h.list(), ['PING']);
  h.push('GET x');
  t.equal(h.up(''), 'GET x');
  h.push('SET x 1');
  t.equal(h.up(''), 'SET x 1', 'browsing restarts from the newest');
});

t.test('bounded', async (t) => {
  const h = new ShellHistory(3);
  for (const l of ['a', 'b', 'c', 'd']) h.push(l);
  t.same(h.list(), ['b', 'c', 'd']);
  t.equal(h.size, 3);
  t.throws(() => new ShellHistory(0), /HISTORY_BAD_MAX/);
});
