import t from 'tap';
import { LineSplitter } from '../../src/node/line-splitter.js';

/** Feeds `chunks` and returns the lines, or 'too long' with the lines before it. */
function feed(max: number, chunks: (string | Buffer)[]): { lines: string[]; tooLong: boolean } {
  const s = new LineSplitter(max);
  const lines: string[] = [];
  for (const c of chunks) {
    if (!s.push(Buffer.isBuffer(c) ? c : Buffer.from(c), (l) => lines.push(l))) return { lines, tooLong: true };
  }
  return { lines, tooLong: false };
}

t.test('lines within and across chunks, LF and CRLF', async (t) => {
  t.same(feed(100, ['a\nbb\r\n', 'c', 'cc\n\n', 'd']), { lines: ['a', 'bb', 'ccc', ''], tooLong: false }, 'the unfinished "d" waits');
  t.same(feed(100, ['x\r', '\ny\n']), { lines: ['x', 'y'], tooLong: false }, 'CR and LF in different chunks');
  t.same(feed(100, ['a', 'b', 'c', '\n']), { lines: ['abc'], tooLong: false });
});

t.test('a multi-byte character split between chunks is decoded whole', async (t) => {
  const bytes = Buffer.from('{"v":"välue ✓"}\n');
  for (let cut = 1; cut < bytes.length; cut++) {
    t.same(feed(100, [bytes.subarray(0, cut), bytes.subarray(cut)]).lines, ['{"v":"välue ✓"}'], `cut at ${cut}`);
  }
});

t.test('the byte limit: a line of exactly max bytes passes, one more fails, complete or not', async (t) => {
  t.same(feed(5, ['12345\n']), { lines: ['12345'], tooLong: false });
  t.same(feed(5, ['ok\n123456\n']), { lines: ['ok'], tooLong: true }, 'a whole line too long');
  t.same(feed(5, ['123', '456']), { lines: [], tooLong: true }, 'too long before its newline arrives');
  t.same(feed(5, ['123', '45\n']), { lines: ['12345'], tooLong: false }, 'exactly max across chunks');
  t.same(feed(5, ['123', '456\n']), { lines: [], tooLong: true }, 'max + 1 across chunks');
});
