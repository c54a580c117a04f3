import t from 'tap';
import { formatReply, formatReplyLines, quoteBulk } from '../../../src/tui/shell/format-reply.js';
import type { ShellReply } from '../../../src/tui/shell/reply.js';

const bulk = (value: string | null): ShellReply => ({ type: 'bulk', value });

// Each row: a reply and exactly what interactive redis-cli prints for it.
const TABLE: Array<[string, ShellReply, string]> = [
  ['status', { type: 'simple', value: 'OK' }, 'OK'],
  ['pong', { type: 'simple', value: 'PONG' }, 'PONG'],
  ['bulk', bulk('v'), '"v"'],
  ['empty bulk', bulk(''), '""'],
  ['nil', bulk(null), '(nil)'],
  ['integer', { type: 'integer', value: 1 }, '(integer) 1'],
  ['negative integer', { type: 'integer', value: -2 }, '(integer) -2'],
  ['error', { type: 'error', message: 'ERR unknown command' }, '(error) ERR unknown command'],
  ['coded error', { type: 'error', message: 'TIMEOUT no reply within 5000 ms' }, '(error) TIMEOUT no reply within 5000 ms'],
  ['empty array', { type: 'array', items: [] }, '(empty array)'],
  ['null array', { type: 'array', items: null }, '(nil)'],
  ['array', { type: 'array', items: [bulk('a'), bulk('b')] }, '1) "a"\n2) "b"'],
  ['array with nil', { type: 'array', items: [bulk('a'), bulk(null)] }, '1) "a"\n2) (nil)'],
  [
    'ten items align numbers',
    { type: 'array', items: Array.from({ length: 10 }, (_, i) => bulk(`k${i}`)) },
    Array.from({ length: 10 }, (_, i) => `${String(i + 1).padStart(2)}) "k${i}"`).join('\n'),
  ],
  [
    'nested array',
    { type: 'array', items: [bulk('a'), { type: 'array', items: [bulk('b'), bulk('c')] }, { type: 'integer', value: 3 }] },
    '1) "a"\n2) 1) "b"\n   2) "c"\n3) (integer) 3',
  ],
  ['nested empty', { type: 'array', items: [{ type: 'array', items: [] }] }, '1) (empty array)'],
];

t.test('formats replies as redis-cli does', async (t) => {
  for (const [name, reply, expected] of TABLE) t.equal(formatReply(reply), expected, name);
});

t.test('escapes like sdscatrepr', async (t) => {
  t.equal(quoteBulk('a"b\\c'), '"a\\"b\\\\c"');
  t.equal(quoteBulk('line\nnext\r\t'), '"line\\nnext\\r\\t"');
  t.equal(quoteBulk('\x07\b'), '"\\a\\b"');
  t.equal(quoteBulk('\x00\x01\x7f'), '"\\x00\\x01\\x7f"');
  t.equal(quoteBulk('€'), '"\\xe2\\x82\\xac"', 'UTF-8 bytes, as redis-cli shows them');
  t.equal(quoteBulk('~ok '), '"~ok "');
});

t.test('splits into screen lines', async (t) => {
  t.same(formatReplyLines({ type: 'array', items: [bulk('a'), bulk('b')] }), ['1) "a"', '2) "b"']);
  t.same(formatReplyLines(bulk('multi\nline')), ['"multi\\nline"'], 'a newline in a value never breaks the line');
});
