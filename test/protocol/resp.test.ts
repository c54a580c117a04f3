import t from 'tap';
import {
  encodeBulk,
  encodeBulkArray,
  encodeBulkBuffer,
  encodeCommand,
  encodeError,
  encodeInteger,
  encodeReply,
  encodeSimple,
  RespReplyParser,
  type RespReply,
} from '../../src/protocol/resp.js';
import { RaftKvError } from '../../src/protocol/errors.js';

t.test('encoders, byte-exact', async (t) => {
  const cases: Array<[string, string]> = [
    [encodeSimple('OK'), '+OK\r\n'],
    [encodeSimple('a\r\nb'), '+a  b\r\n'],
    [encodeError('ERR bad\nthing'), '-ERR bad thing\r\n'],
    [encodeInteger(0), ':0\r\n'],
    [encodeInteger(-42), ':-42\r\n'],
    [encodeInteger(2n ** 62n), `:${2n ** 62n}\r\n`],
    [encodeBulk('bar'), '$3\r\nbar\r\n'],
    [encodeBulk(''), '$0\r\n\r\n'],
    [encodeBulk(null), '$-1\r\n'],
    [encodeBulk('é'), '$2\r\né\r\n'],
    [encodeBulk('日本'), '$6\r\n日本\r\n'],
    [encodeBulk('😀'), '$4\r\n😀\r\n'],
    [encodeBulk('a\r\nb'), '$4\r\na\r\nb\r\n'],
    [encodeBulkArray([]), '*0\r\n'],
    [encodeBulkArray(null), '*-1\r\n'],
    [encodeBulkArray(['a', null, 'é']), '*3\r\n$1\r\na\r\n$-1\r\n$2\r\né\r\n'],
  ];
  for (const [got, want] of cases) t.equal(got, want, JSON.stringify(want));
  t.throws(() => encodeInteger(1.5), { code: 'INTERNAL' });
  t.throws(() => encodeInteger(Number.NaN), { code: 'INTERNAL' });
  t.same([...encodeBulkBuffer(Buffer.from([0, 0xff]))], [...Buffer.from('$2\r\n\x00\xff\r\n', 'latin1')]);
  t.equal(encodeBulkBuffer(null).toString(), '$-1\r\n');
  t.equal(encodeCommand(['SET', 'k', 'é']).toString(), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  t.same([...encodeCommand([Buffer.from([0xff])])], [...Buffer.from('*1\r\n$1\r\n\xff\r\n', 'latin1')]);
});

const NESTED: RespReply = {
  type: 'array',
  items: [
    { type: 'simple', value: 'OK' },
    { type: 'error', message: 'ERR x' },
    { type: 'integer', value: -7 },
    { type: 'bulk', value: 'é\r\n' },
    { type: 'bulk', value: null },
    { type: 'array', items: null },
    { type: 'array', items: [] },
    { type: 'array', items: [{ type: 'array', items: [{ type: 'bulk', value: '' }] }, { type: 'integer', value: 1 }] },
  ],
};

t.test('encodeReply nests; the parser round-trips it', async (t) => {
  const wire = encodeReply(NESTED);
  t.equal(
    wire,
    '*8\r\n+OK\r\n-ERR x\r\n:-7\r\n$4\r\né\r\n\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n*1\r\n$0\r\n\r\n:1\r\n',
  );
  const p = new RespReplyParser();
  t.same(p.feed(Buffer.from(wire)), [NESTED]);
  t.notOk(p.inProgress);
});

t.test('parser: split at every byte boundary, and byte by byte', async (t) => {
  const replies: RespReply[] = [
    NESTED,
    { type: 'simple', value: 'PONG' },
    { type: 'bulk', value: '日本語テキスト' },
    { type: 'integer', value: 123456789 },
  ];
  const wire = Buffer.from(replies.map(encodeReply).join(''));
  for (let cut = 0; cut <= wire.length; cut++) {
    const p = new RespReplyParser();
    const got = [...p.feed(wire.subarray(0, cut)), ...p.feed(wire.subarray(cut))];
    t.same(got, replies, `cut at ${cut}`);
  }
  const p = new RespReplyParser();
  const got: RespReply[] = [];
  for (const byte of wire) got.push(...p.feed(Buffer.from([byte])));
  t.same(got, replies, 'one byte at a time');
  t.equal(p.bufferedBytes, 0);
});

t.test('parser: a big bulk in many chunks', async (t) => {
  const value = 'x'.repeat(300_000) + 'é';
  const wire = Buffer.from(encodeBulk(value) + '+OK\r\n');
  const p = new RespReplyParser();
  const got: RespReply[] = [];
  for (let i = 0; i < wire.length; i += 1000) got.push(...p.feed(wire.subarray(i, i + 1000)));
  t.same(got, [{ type: 'bulk', value }, { type: 'simple', value: 'OK' }]);
});

t.test('parser: malformed streams fail with PROTOCOL_ERROR and stay failed', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['?x\r\n', /unexpected byte 0x3f/],
    [':abc\r\n', /invalid integer/],
    [':\r\n', /invalid integer/],
    [':99999999999999999999\r\n', /invalid integer/],
    ['$-2\r\n', /invalid bulk length/],
    ['$abc\r\n', /invalid bulk length/],
    ['$3\r\nabcd\r\n', /not terminated by CRLF/],
    ['*-2\r\n', /invalid array length/],
    ['*x\r\n', /invalid array length/],
    ['+OK\n', /CRLF/],
    ['\n', /unexpected byte 0x0a/],
  ];
  for (const [wire, message] of bad) {
    const p = new RespReplyParser();
    t.throws(() => p.feed(Buffer.from(wire)), { code: 'PROTOCOL_ERROR', message }, JSON.stringify(wire));
    t.throws(() => p.feed(Buffer.from('+OK\r\n')), { code: 'PROTOCOL_ERROR' }, 'stays failed');
  }
});

t.test('parser: limits bound memory', async (t) => {
  const lim = { maxBulkBytes: 10, maxLineBytes: 8, maxArrayLength: 3, maxDepth: 2 };
  t.throws(() => new RespReplyParser(lim).feed(Buffer.from('$11\r\n')), { message: /invalid bulk length/ });
  t.throws(() => new RespReplyParser(lim).feed(Buffer.from('*4\r\n')), { message: /invalid array length/ });
  t.throws(() => new RespReplyParser(lim).feed(Buffer.from('*1\r\n*1\r\n*1\r\n')), { message: /nested deeper/ });
  t.throws(() => new RespReplyParser(lim).feed(Buffer.from('+123456789')), { message: /line longer/ });
  t.throws(() => new RespReplyParser(lim).feed(Buffer.from('+123456789\r\n')), { message: /line longer/ });
  const p = new RespReplyParser(lim);
  // The limit counts the whole line, type byte included, CRLF excluded.
  t.same(p.feed(Buffer.from('+1234567\r\n')), [{ type: 'simple', value: '1234567' }], 'exactly the limit is fine');
  // A long line arriving in pieces is refused as soon as it passes the limit, not at its end.
  const q = new RespReplyParser(lim);
  t.same(q.feed(Buffer.from('+1234')), []);
  t.throws(() => q.feed(Buffer.from('567890')), { message: /line longer/ });
});

t.test('parser: random garbage never escapes as anything but RaftKvError', async (t) => {
  let seed = 99;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const pieces = ['+', '-', ':', '$', '*', '\r\n', '1', '-1', '0', 'x', '\n', '\r', '3', '99999999999'];
  let ok = 0;
  let failed = 0;
  for (let i = 0; i < 1000; i++) {
    const p = new RespReplyParser({ maxBulkBytes: 1000, maxArrayLength: 1000 });
    let s = '';
    for (let j = 0; j < 12; j++) s += pieces[Math.floor(rand() * pieces.length)];
    try {
      p.feed(Buffer.from(s));
      ok++;
    } catch (err) {
      if (!(err instanceof RaftKvError) || err.code !== 'PROTOCOL_ERROR') throw err;
      failed++;
    }
  }
  t.equal(ok + failed, 1000, `seed 99: ${ok} parsed or pending, ${failed} refused`);
});
