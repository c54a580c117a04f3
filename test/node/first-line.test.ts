/**
 * readFirstLine: the bounded reader of the peer port's hello. It must find the line across
 * chunks, hand back the bytes after it untouched, stop reading once it has answered, and give up
 * as soon as the bound is passed without buffering more.
 */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { readFirstLine, type FirstLine } from '../../src/node/first-line.js';

/** Feeds `chunks` one write (and one turn of the event loop) at a time; returns every answer given. */
async function feed(maxBytes: number, chunks: (string | Buffer)[]): Promise<{ answers: FirstLine[]; stream: PassThrough }> {
  const stream = new PassThrough();
  const answers: FirstLine[] = [];
  readFirstLine(stream, maxBytes, (first) => answers.push(first));
  for (const c of chunks) {
    stream.write(c);
    await new Promise((r) => setImmediate(r));
  }
  return { answers, stream };
}

t.test('a line split over chunks comes back whole, with the bytes after it', async (t) => {
  const { answers, stream } = await feed(64, ['{"hel', 'lo":1}\r', '\n{"type":', '"x"}\n']);
  t.same(answers, [{ line: '{"hello":1}', rest: Buffer.from('{"type":') }]);
  t.equal(stream.isPaused(), true, 'paused until the caller pipes it on');
  t.equal(stream.listenerCount('data'), 0, 'no listener of ours left');
  t.equal(stream.read()?.toString(), '"x"}\n', 'later chunks stay in the stream');
});

t.test('a multi-byte character split between chunks is decoded once whole', async (t) => {
  const euro = Buffer.from('€');
  const { answers } = await feed(64, [euro.subarray(0, 1), Buffer.concat([euro.subarray(1), Buffer.from('\n')])]);
  t.same(answers, [{ line: '€', rest: Buffer.alloc(0) }]);
});

t.test('a line of exactly maxBytes passes; one byte more does not', async (t) => {
  t.same((await feed(8, ['12345678\n'])).answers, [{ line: '12345678', rest: Buffer.alloc(0) }]);
  t.same((await feed(8, ['1234', '56789\n'])).answers, [{ tooLong: true }]);
});

t.test('no newline: gives up once past the bound, without reading on', async (t) => {
  const { answers, stream } = await feed(8, ['1234', '5678', '9', 'more']);
  t.same(answers, [{ tooLong: true }], 'answered once');
  t.equal(stream.isPaused(), true);
  t.equal(stream.listenerCount('data'), 0);
  t.equal(stream.read()?.toString(), 'more', 'nothing after the overflowing chunk was consumed');
});

t.test('an empty first line is a line', async (t) => {
  t.same((await feed(8, ['\nabc'])).answers, [{ line: '', rest: Buffer.from('abc') }]);
});
