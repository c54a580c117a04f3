/**
 * Reads the first line of a stream under a small byte bound: the hello of the peer port.
 *
 * split2's maxLength is fixed per stream, and after the hello a line may be as long as the largest
 * AppendEntries (64 MiB). A stranger who never sends a newline must not make us buffer that much,
 * so the first line is read here with its own bound, and only then does the caller set up the
 * large-line framing for the rest of the stream (line-splitter.ts).
 */
import type { Readable } from 'node:stream';

/** The first line (without `\n` or `\r\n`) and the bytes that came after it in the same chunk. */
export type FirstLine = { line: string; rest: Buffer } | { tooLong: true };

/**
 * Calls `done` once: with the first line, or with `tooLong` as soon as more than `maxBytes` arrive
 * without a newline. At most `maxBytes` are ever buffered. When `done` runs the stream is paused
 * and our listener is gone, so no byte is lost before the caller listens and resumes it. If the stream ends or fails first, `done` is not called: the caller's 'close'
 * handler owns that case.
 */
export function readFirstLine(stream: Readable, maxBytes: number, done: (first: FirstLine) => void): void {
  const chunks: Buffer[] = [];
  let bufferedBytes = 0;
  const stop = () => {
    stream.pause();
    stream.off('data', onData);
  };
  const onData = (chunk: Buffer) => {
    const newline = chunk.indexOf(0x0a);
    if (bufferedBytes + (newline === -1 ? chunk.length : newline) > maxBytes) {
      stop();
      done({ tooLong: true });
      return;
    }
    if (newline === -1) {
      chunks.push(chunk);
      bufferedBytes += chunk.length;
      return;
    }
    stop();
    chunks.push(chunk.subarray(0, newline));
    const line = Buffer.concat(chunks).toString('utf8');
    done({ line: line.endsWith('\r') ? line.slice(0, -1) : line, rest: chunk.subarray(newline + 1) });
  };
  stream.on('data', onData);
}
