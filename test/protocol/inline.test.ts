import t from 'tap';
import { splitInlineArgs, splitInlineArgsBytes, UNBALANCED_QUOTES_MESSAGE } from '../../src/protocol/inline.js';

// [line, words or null (unbalanced)] — behaviour of Redis's sdssplitargs.
const TABLE: Array<[string, string[] | null]> = [
  ['SET k v', ['SET', 'k', 'v']],
  ['  a   b  ', ['a', 'b']],
  ['', []],
  ['   ', []],
  ['\t\v\f\r\n ', []],
  ['a\vb', ['a\vb']], // \v ends no unquoted word
  ['a\tb\rc\nd', ['a', 'b', 'c', 'd']],
  ['"hello world"', ['hello world']],
  ['"a\\nb"', ['a\nb']],
  ['"\\r\\t\\b\\a"', ['\r\t\b\x07']],
  ['"\\x41\\x4a\\x4A"', ['AJJ']],
  ['"\\x4"', ['x4']], // \x without two hex digits is just x
  ['"\\xzz"', ['xzz']],
  ['"\\xc3\\xa9"', ['é']],
  ['"\\"quoted\\""', ['"quoted"']],
  ['"a\\\\b"', ['a\\b']],
  ['"\\q"', ['q']],
  ["'it\\'s'", ["it's"]],
  ["'a\\nb'", ['a\\nb']], // single quotes: only \' is special
  ["'\"'", ['"']],
  ['"\'"', ["'"]],
  ['ab"c d"', ['abc d']], // a quote may open mid-word
  ["ab'c d'", ['abc d']],
  ['"abc"def', null], // closing quote must be followed by a blank
  ["'abc'def", null],
  ['"abc', null],
  ["'abc", null],
  ['"', null],
  ["'", null],
  ['"a\\', null],
  ['GET "k', null],
  ['SET k "v"x', null],
  ['""', ['']],
  ["'' \"\"", ['', '']],
  ['"a"\t"b"', ['a', 'b']],
  ['"a"\v', ['a']],
  ['a\0b c', ['a']], // a C string: NUL ends the line
  ['"a\0b"', null],
  ['SET ключ значение', ['SET', 'ключ', 'значение']],
  ['SET k "multi\\nline value"', ['SET', 'k', 'multi\nline value']],
  ['"nested \'quotes\' here"', ["nested 'quotes' here"]],
  ["'nested \"quotes\" here'", ['nested "quotes" here']],
];

t.test('sdssplitargs table', async (t) => {
  for (const [line, want] of TABLE) {
    t.same(splitInlineArgs(line), want, JSON.stringify(line));
    t.same(splitInlineArgs(Buffer.from(line)), want, `bytes ${JSON.stringify(line)}`);
  }
});

t.test('\\xHH yields raw bytes; invalid UTF-8 decodes to U+FFFD', async (t) => {
  const words = splitInlineArgsBytes(Buffer.from('"\\xff\\x00\\x80" x'));
  t.same(words?.map((w) => [...w]), [[0xff, 0x00, 0x80], [0x78]]);
  t.same(splitInlineArgs('"\\xff"'), ['\ufffd']);
  t.same(splitInlineArgs(Buffer.from([0x61, 0xfe, 0x20, 0x62])), ['a\ufffd', 'b']);
});

t.test('garbage never throws', async (t) => {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const alphabet = Buffer.from(' \t"\'\\xab01\n\r\0\xff');
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rand() * 20);
    const bytes = Buffer.alloc(len);
    for (let j = 0; j < len; j++) bytes[j] = rand() < 0.5 ? alphabet[Math.floor(rand() * alphabet.length)]! : Math.floor(rand() * 256);
    if (splitInlineArgsBytes(bytes) !== null) parsed++;
  }
  t.ok(parsed > 0 && parsed < 2000, `2000 random lines, ${parsed} split, the rest refused, none threw`);
  t.equal(UNBALANCED_QUOTES_MESSAGE, 'Protocol error: unbalanced quotes in request');
  t.end();
});

t.test('the quote-free fast path splits exactly like the general path', async (t) => {
  let seed = 4242;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const alphabet = [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c, 0x00, 0x61, 0x62, 0x5c, 0xc3, 0xa9, 0xff];
  let checked = 0;
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 16) }, () => alphabet[Math.floor(rand() * alphabet.length)]!));
    const fast = splitInlineArgs(bytes);
    // A trailing quoted empty word sends the same bytes through the general loop.
    const general = splitInlineArgs(Buffer.concat([bytes, Buffer.from(' ""')]));
    const expected = bytes.includes(0) ? fast : fast && [...fast, ''];
    if (JSON.stringify(general) !== JSON.stringify(expected)) t.same(general, expected, JSON.stringify(bytes.toString('latin1')));
    else checked++;
  }
  t.equal(checked, 2000, 'seed 4242: 2000 quote-free lines agree');
});
