/** Raft log entries as the detail pane shows them: KV commands as typed, anything else as JSON. */
import t from 'tap';
import { commandText, entryView, entryViews, quoteWord, sameEntries } from '../../src/tui/entry-view.js';

t.test('commands render as the shell command that made them', async (t) => {
  const cases: [unknown, string][] = [
    [{ op: 'set', key: 'x', value: '1', clientId: 'c', seq: 3 }, 'SET x 1'],
    [{ op: 'set', key: 'greeting', value: 'hello world' }, 'SET greeting "hello world"'],
    [{ op: 'set', key: 'k', value: '' }, 'SET k ""'],
    [{ op: 'set', key: 'q', value: 'say "hi"' }, 'SET q "say \\"hi\\""'],
    [{ op: 'del', keys: ['a', 'b'] }, 'DEL a b'],
    [{ op: 'cas', key: 'k', expected: 'old', value: 'new' }, 'CAS k old new'],
    [{ op: 'cas', key: 'k', expected: null, value: 'new' }, 'CAS k (nil) new'],
    [{ op: 'weird', n: 1 }, '{"op":"weird","n":1}'],
    [{ op: 'set', key: 5, value: '1' }, '{"op":"set","key":5,"value":"1"}'],
    ['text', '"text"'],
    [undefined, 'undefined'],
  ];
  for (const [data, text] of cases) t.equal(commandText(data), text, text);
});

t.test('a huge value is cut', async (t) => {
  const text = commandText({ op: 'set', key: 'k', value: 'v'.repeat(10_000) });
  t.equal(text.length, 200);
  t.ok(text.endsWith('…'));
});

t.test('quoteWord leaves plain words bare', async (t) => {
  t.equal(quoteWord('abc-1_:x'), 'abc-1_:x');
  t.equal(quoteWord("it's"), '"it\'s"');
  t.equal(quoteWord('tab\there'), '"tab\\there"');
});

t.test('entries: no-ops, commands, and garbage dropped', async (t) => {
  t.same(entryView({ index: 1, term: 1, kind: 'noop' }), { index: 1, term: 1, kind: 'noop', command: '' });
  t.same(entryView({ index: 2, term: 1, kind: 'cmd', data: { op: 'set', key: 'x', value: '1' } }), {
    index: 2,
    term: 1,
    kind: 'cmd',
    command: 'SET x 1',
  });
  t.equal(entryView(null), undefined);
  t.equal(entryView({ index: '1', term: 1 }), undefined);
  t.same(
    entryViews([{ index: 1, term: 1, kind: 'noop' }, 'junk', { index: 2, term: 2, kind: 'noop' }]).map((e) => e.index),
    [1, 2],
  );
});

t.test('sameEntries compares by content', async (t) => {
  const a = entryViews([{ index: 1, term: 1, kind: 'noop' }]);
  const b = entryViews([{ index: 1, term: 1, kind: 'noop' }]);
  t.ok(sameEntries(a, b));
  t.notOk(sameEntries(a, entryViews([{ index: 1, term: 2, kind: 'noop' }])));
  t.notOk(sameEntries(a, []));
});

t.test('membership changes (config entries) say what changed', async (t) => {
  const address = { host: '127.0.0.1', port: 7004, peerPort: 7104 };
  const config = (change: unknown) => entryView({ index: 9, term: 3, kind: 'config', data: { change, membership: { voters: [1], learners: [], addresses: {} } } });
  t.same(config({ type: 'addLearner', id: 4, address }), { index: 9, term: 3, kind: 'config', command: 'add learner 4 127.0.0.1:7004' });
  t.equal(config({ type: 'addVoter', id: 4, address })?.command, 'add voter 4 127.0.0.1:7004');
  t.equal(config({ type: 'promote', id: 4 })?.command, 'promote 4');
  t.equal(config({ type: 'remove', id: 2 })?.command, 'remove 2');
  t.equal(config({ type: 'explode', id: 2 })?.command, '{"type":"explode","id":2}', 'an unknown change as JSON');
  t.equal(entryView({ index: 9, term: 3, kind: 'config', data: 'junk' })?.command, '"junk"', 'garbage as JSON, not trusted');
});
