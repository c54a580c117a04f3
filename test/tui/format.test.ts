import t from 'tap';
import { fit, formatClock, formatDuration, formatMs, numOrDash, rule, displayWidth, tailWithin } from '../../src/tui/format.js';

t.test('fit pads and cuts to an exact width', async (t) => {
  t.equal(fit('ab', 4), 'ab  ');
  t.equal(fit('ab', 4, 'right'), '  ab');
  t.equal(fit('abcdef', 4), 'abc…');
  t.equal(fit('abcdef', 1), '…');
  t.equal(fit('abc', 0), '');
  t.equal(fit('abc', -3), '');
});

t.test('durations in two units', async (t) => {
  const TABLE: Array<[number, string]> = [
    [0, '0s'],
    [999, '0s'],
    [42_000, '42s'],
    [65_000, '1m05s'],
    [3_599_000, '59m59s'],
    [3_720_000, '1h02m'],
    [86_400_000 * 2 + 3_600_000 * 3, '2d03h'],
    [-1, '-'],
    [Number.NaN, '-'],
  ];
  for (const [ms, text] of TABLE) t.equal(formatDuration(ms), text, String(ms));
});

t.test('latency, clock, numbers, rules', async (t) => {
  t.equal(formatMs(undefined), '-');
  t.equal(formatMs(0.4234), '0.42 ms');
  t.equal(formatMs(3.14), '3.1 ms');
  t.equal(formatMs(250.4), '250 ms');
  t.match(formatClock(Date.UTC(2024, 0, 1, 12, 34, 56)), /^\d\d:34:56$/);
  t.equal(numOrDash(undefined), '-');
  t.equal(numOrDash(0), '0');
  t.equal(rule('events', 14), '── events ────');
  t.equal(rule('', 3), '───');
  t.equal(rule('a long title', 6).length, 6);
});

t.test('fit measures terminal columns, not UTF-16 units (wide characters, emoji, accents)', async (t) => {
  t.equal(fit('日本', 6), '日本  ', 'two wide characters take four columns');
  t.equal(displayWidth(fit('日本語のキー', 7)), 7, 'cut to exactly the width');
  t.equal(fit('日本語のキー', 7), '日本語…', 'three wide characters and the ellipsis');
  t.equal(fit('日本語のキー', 6), '日本 …', 'a wide character that would straddle the edge leaves a blank');
  t.equal(fit('👍🏽ok', 4), '👍🏽ok', 'an emoji with a skin tone is one cluster of two columns');
  t.equal(fit('e\u0301té', 4), 'e\u0301té ', 'a combining accent takes no column');
  t.equal(fit('€5', 3, 'right'), ' €5');
  t.equal(tailWithin('abc日本', 4), '日本');
  t.equal(tailWithin('abc日本', 5), 'c日本');
});
