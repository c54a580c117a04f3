/**
 * Splitting a Redis inline command line (`SET k "hello world"`) into words, exactly as Redis's
 * sds.c `sdssplitargs` does, so `nc`/`telnet` users get the behaviour they know from Redis:
 *
 * - words are separated by blanks (any of space \t \n \r \v \f between words);
 * - outside quotes a word ends at space, \t, \n or \r (NOT \v or \f: those stay in the word);
 * - `"..."` understands \xHH (two hex digits: one raw byte), \n \r \t \b \a, and `\c` = c for any
 *   other c (so \" and \\); `\x` without two hex digits is just "x";
 * - `'...'` understands only \' ; every other byte is literal;
 * - a quote may open in the middle of a word (`ab"c d"` is the one word `abc d`), but a closing
 *   quote must be followed by a blank or the end of the line, otherwise the line is refused, as is
 *   a quote that never closes;
 * - the line is a C string to Redis: a NUL byte ends it (everything after is ignored).
 *
 * Works on bytes (`\xHH` makes raw bytes); words are returned decoded as UTF-8.
 */

/** What Redis replies (then closes the connection) when sdssplitargs fails. */
export const UNBALANCED_QUOTES_MESSAGE = 'Protocol error: unbalanced quotes in request';

/** C isspace() in the "C" locale. */
function isSpace(c: number | undefined): boolean {
  return c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
}

/** What ends an unquoted word (a narrower set than isSpace: \v and \f do not). */
function isWordEnd(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const ESCAPES: Record<number, number> = {
  0x6e /* n */: 0x0a,
  0x72 /* r */: 0x0d,
  0x74 /* t */: 0x09,
  0x62 /* b */: 0x08,
  0x61 /* a */: 0x07,
};

/**
 * Splits one line (without its terminating newline) into raw words. Words may share memory with
 * `line` (no copy when the line has no quotes).
 * Returns null on unbalanced quotes (reply UNBALANCED_QUOTES_MESSAGE). An empty or all-blank
 * line gives [] (Redis runs nothing for it).
 */
export function splitInlineArgsBytes(line: Uint8Array): Buffer[] | null {
  const nul = line.indexOf(0);
  const end = nul === -1 ? line.length : nul;
  // Reading past `end` yields undefined, which plays the role of C's terminating NUL.
  const words: Buffer[] = [];
  const bytes = Buffer.isBuffer(line) ? line : Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (bytes.subarray(0, end).indexOf(0x22) === -1 && bytes.subarray(0, end).indexOf(0x27) === -1) {
    // No quotes: each word is a plain run of bytes, returned without copying (the same words the
    // general loop below would build).
    let p = 0;
    for (;;) {
      while (p < end && isSpace(bytes[p])) p++;
      if (p >= end) return words;
      const start = p;
      while (p < end && !isWordEnd(bytes[p]!)) p++;
      words.push(bytes.subarray(start, p));
    }
  }
  const at = (i: number): number | undefined => (i < end ? line[i] : undefined);
  let p = 0;
  for (;;) {
    while (p < end && isSpace(line[p])) p++;
    if (p >= end) return words;
    let inDouble = false;
    let inSingle = false;
    // Invariant: `current` holds the bytes of the word read so far.
    const current: number[] = [];
    for (let done = false; !done; ) {
      const c = at(p);
      if (inDouble) {
        const h1 = hexValue(at(p + 2));
        const h2 = hexValue(at(p + 3));
        if (c === 0x5c && at(p + 1) === 0x78 /* x */ && h1 >= 0 && h2 >= 0) {
          current.push(h1 * 16 + h2);
          p += 3;
        } else if (c === 0x5c && at(p + 1) !== undefined) {
          p++;
          const e = at(p)!;
          current.push(ESCAPES[e] ?? e);
        } else if (c === 0x22 /* " */) {
          if (at(p + 1) !== undefined && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === undefined) {
          return null;
        } else {
          current.push(c);
        }
      } else if (inSingle) {
        if (c === 0x5c && at(p + 1) === 0x27 /* ' */) {
          p++;
          current.push(0x27);
        } else if (c === 0x27) {
          if (at(p + 1) !== undefined && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === undefined) {
          return null;
        } else {
          current.push(c);
        }
      } else if (c === undefined || isWordEnd(c)) {
        done = true;
      } else if (c === 0x22) {
        inDouble = true;
      } else if (c === 0x27) {
        inSingle = true;
      } else {
        current.push(c);
      }
      if (c !== undefined) p++;
    }
    words.push(Buffer.from(current));
  }
}

/** As splitInlineArgsBytes, with words decoded as UTF-8 (invalid sequences become U+FFFD). */
export function splitInlineArgs(line: string | Uint8Array): string[] | null {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
  const words = splitInlineArgsBytes(bytes);
  return words === null ? null : words.map((w) => w.toString('utf8'));
}
