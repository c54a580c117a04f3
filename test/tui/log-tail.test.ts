/** Tailing a node's log file: real files in a temp folder. */
import t from 'tap';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogTailer, LogTails, readTail, tailLines } from '../../src/tui/log-tail.js';

function dir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'raftkv-tail-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('tailLines: drops a cut first line, escapes and control characters', async (t) => {
  t.same(tailLines('cut line\nwhole 1\nwhole 2\n', true), ['whole 1', 'whole 2']);
  t.same(tailLines('a\r\n\u001b[31mred\u001b[0m\tx\u0007\n', false), ['a', 'red  x']);
  t.same(tailLines('1\n2\n3\n', false, 2), ['2', '3']);
  t.same(tailLines('', false), []);
});

t.test('readTail: a missing file is no lines; a big file gives its last lines only', async (t) => {
  const d = dir(t);
  t.same(await readTail(join(d, 'nope.log')), []);
  const path = join(d, 'node-1.log');
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  const tail = await readTail(path, 1024, 10);
  t.same(tail, lines.slice(-10));
  const all = await readTail(path, 1024, 1000);
  t.ok(all.length < 200, 'only the last KB was read');
  t.ok(all.every((l) => /^line \d+$/.test(l)), 'no half line at the top');
});

t.test('LogTailer reads again only when the file changed', async (t) => {
  const d = dir(t);
  const path = join(d, 'node-2.log');
  const tailer = new LogTailer(path);
  t.same(await tailer.poll(), [], 'missing: empty');
  t.equal(await tailer.poll(), undefined, 'still missing: no change');
  writeFileSync(path, 'first\n');
  t.same(await tailer.poll(), ['first']);
  t.equal(await tailer.poll(), undefined, 'unchanged');
  appendFileSync(path, 'second\n');
  t.same(await tailer.poll(), ['first', 'second']);
});

t.test('LogTails: one record for every node, new only when a file changed', async (t) => {
  const d = dir(t);
  const tails = new LogTails(new Map([[1, join(d, 'node-1.log')], [2, join(d, 'node-2.log')]]));
  t.same(await tails.poll(), { 1: [], 2: [] }, 'no files yet: empty tails, every node present');
  t.equal(await tails.poll(), undefined, 'nothing changed');
  writeFileSync(join(d, 'node-2.log'), 'hello\n');
  const next = await tails.poll();
  t.same(next, { 1: [], 2: ['hello'] });
  appendFileSync(join(d, 'node-1.log'), 'one\n');
  const after = await tails.poll();
  t.same(after, { 1: ['one'], 2: ['hello'] });
  t.equal(after![2], next![2], 'an unchanged node keeps its array');
});
