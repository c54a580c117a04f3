import t from 'tap';
import { compileGlob, globMatch, globMatchBytes } from '../../src/protocol/glob.js';

// [pattern, subject, matches] — cases from Redis's KEYS docs and util.c behaviour.
const TABLE: Array<[string, string, boolean]> = [
  ['*', '', true],
  ['*', 'anything', true],
  ['', '', true],
  ['', 'a', false],
  ['a', '', false],
  ['h?llo', 'hello', true],
  ['h?llo', 'hallo', true],
  ['h?llo', 'hllo', false],
  ['h*llo', 'hllo', true],
  ['h*llo', 'heeeello', true],
  ['h[ae]llo', 'hello', true],
  ['h[ae]llo', 'hallo', true],
  ['h[ae]llo', 'hillo', false],
  ['h[^e]llo', 'hallo', true],
  ['h[^e]llo', 'hello', false],
  ['h[a-b]llo', 'hallo', true],
  ['h[a-b]llo', 'hbllo', true],
  ['h[a-b]llo', 'hcllo', false],
  ['h[b-a]llo', 'hallo', true], // reversed range
  ['h\\*llo', 'h*llo', true],
  ['h\\*llo', 'hello', false],
  ['[\\]]', ']', true],
  ['[\\-]', '-', true],
  ['[abc', 'a', true], // unterminated class runs to the end
  ['[abc', 'd', false],
  ['[^', 'x', true],
  ['a\\', 'a\\', true], // trailing backslash matches itself
  ['user:*', 'user:1', true],
  ['user:*', 'users', false],
  ['*:*', 'a:b', true],
  ['**a', 'ba', true],
  ['a*', 'a', true],
  ['a**', 'a', true],
  ['a*b*c', 'axxbyyc', true],
  ['a*b*c', 'axxbyy', false],
  ['?', 'é', false], // é is 2 bytes
  ['??', 'é', true],
  ['é*', 'ecole', false],
  ['é*', 'émile', true],
  ['[é]', 'é', false], // a class matches one byte
  ['*x', 'a'.repeat(50), false],
];

t.test('Redis stringmatchlen table', async (t) => {
  for (const [pattern, subject, want] of TABLE) {
    t.equal(globMatch(pattern, subject), want, `${JSON.stringify(pattern)} ~ ${JSON.stringify(subject)}`);
    t.equal(compileGlob(pattern)(subject), want, `compiled ${JSON.stringify(pattern)}`);
  }
});

t.test('nocase', async (t) => {
  t.ok(globMatch('HeLLo', 'hello', true));
  t.ok(globMatch('[A-C]x', 'bX', true));
  t.ok(globMatch('\\A', 'a', true));
  t.notOk(globMatch('HeLLo', 'hello'));
});

t.test('abusive patterns finish fast (skipLongerMatches, nesting bound)', async (t) => {
  const started = Date.now();
  t.notOk(globMatch('a*'.repeat(40) + 'b', 'a'.repeat(2000)));
  t.notOk(globMatch('*'.repeat(5000) + 'b', 'a'.repeat(2000)));
  t.notOk(globMatch('*a'.repeat(1500), 'a'.repeat(1499))); // nesting > 1000: no match, no stack overflow
  t.ok(Date.now() - started < 2000, 'well under 2s');
});

t.test('raw bytes', async (t) => {
  t.ok(globMatchBytes(Buffer.from([0x5b, 0x80, 0x2d, 0xff, 0x5d]), Buffer.from([0x90])), 'high-byte ranges are unsigned');
  t.ok(globMatchBytes(Buffer.from('?'), Buffer.from([0xff])));
});
