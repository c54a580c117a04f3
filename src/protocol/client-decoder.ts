/**
 * Incremental decoder of one client connection's byte stream into requests (DESIGN.md "Client
 * port protocol"). Pure: the client server feeds it socket chunks and acts on what comes out.
 *
 * The first byte of each request picks its dialect:
 * - `{`  a JSON request: one line, `\n`-terminated, one trailing `\r` dropped;
 * - `*`  a RESP2 multibulk `*N\r\n$len\r\n<len bytes>\r\n...`, binary-safe, split across chunks
 *        anywhere;
 * - else a Redis inline command line, split into words like Redis's sdssplitargs (inline.ts).
 *
 * Errors reproduce Redis's `Protocol error: ...` wording where Redis has one, and are `fatal`
 * exactly where Redis closes the connection (after sending the error reply): the server must
 * write the error and then close. After a fatal error the decoder ignores all further input.
 *
 * Checked byte for byte against Redis 7.0.15; where this decoder differs, it is on purpose:
 * - the `*N` and `$len` lines may end in a bare `\n` (so a RESP request typed into `nc` works;
 *   Redis waits for a `\r` forever), and bulk data may be followed by `\n` as well as `\r\n`;
 * - anything else after bulk data is a fatal protocol error (Redis skips two bytes unchecked and
 *   misframes the rest of the stream);
 * - a multibulk may have at most maxArgs arguments (Redis 7: INT_MAX) and a bulk at most
 *   maxBulkBytes (Redis: 512 MiB), both refused with Redis's own wording;
 * - a NUL byte ends an inline line's words (Redis cannot see the newline after a NUL and waits
 *   until the 64 KiB limit closes the connection);
 * - an inline line is limited to maxInlineBytes before its LF even when it arrives whole (Redis
 *   only checks while the newline is missing; see findLine).
 *
 * Memory is bounded: a line never buffers past its limit, a bulk never past maxBulkBytes, a whole
 * multibulk never past maxRequestBytes. Decoded requests come out in stream order.
 */
import { RaftKvError } from './errors.js';
import { splitInlineArgsBytes, UNBALANCED_QUOTES_MESSAGE } from './inline.js';

export type Dialect = 'json' | 'resp' | 'inline';

export type DecodedRequest =
  /** A JSON request line, not yet parsed: hand it to parseJsonRequest. */
  | { kind: 'json'; dialect: 'json'; line: string }
  /** A Redis command (never empty), words decoded as UTF-8: hand it to parseRedisCommand. */
  | { kind: 'argv'; dialect: 'resp' | 'inline'; argv: string[] }
  /**
   * Reply with `error` in the request's dialect. `fatal`: then close the connection (the
   * decoder has stopped; the stream position is lost or Redis would close here too).
   */
  | { kind: 'error'; dialect: Dialect; error: RaftKvError; fatal: boolean };

export interface ClientDecoderOptions {
  /**
   * Most bytes before the LF of an inline line or a `*N`/`$len` line (a `\r` counts).
   * Default 64 KiB (Redis PROTO_INLINE_MAX_SIZE).
   */
  maxInlineBytes?: number;
  /** Longest RESP bulk argument. Default 1 MiB. */
  maxBulkBytes?: number;
  /** Most arguments in one multibulk. Default 1024 * 1024. */
  maxArgs?: number;
  /** Most bytes before the LF of a JSON line. Default 4 * maxBulkBytes (room for an escaped max-size value). */
  maxJsonBytes?: number;
  /** Most bytes in one multibulk request, framing included. Default 8 * maxBulkBytes. */
  maxRequestBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const STAR = 0x2a;
const DOLLAR = 0x24;
const LBRACE = 0x7b;
const EMPTY = Buffer.alloc(0);

/** Result of looking for a line at `pos`: the LF's index, or one of these. */
const INCOMPLETE = -1;
const TOO_LONG = -2;

/** A multibulk whose header was read; arguments arrive one by one. */
interface OpenMultibulk {
  /** Arguments still to read (> 0 while open). */
  remaining: number;
  argv: string[];
  /** Length from the current argument's `$len` line; -1 before that line is read. */
  bulkLen: number;
  /** Bytes of this request consumed so far, framing included (<= maxRequestBytes). */
  bytes: number;
}

/**
 * Redis's string2ll, strictly: optional '-', then `0` alone or a digit 1-9 followed by digits,
 * within int64. No '+', blanks or leading zeros. Returns null if not such a number. Magnitudes
 * beyond 2^53 come back rounded to the nearest double, far above any limit used here.
 */
export function parseRedisInteger(buf: Uint8Array, start: number, end: number): number | null {
  const len = end - start;
  if (len <= 0 || len > 20) return null;
  if (len === 1 && buf[start] === 0x30) return 0;
  let i = start;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  if (i === end || buf[i]! < 0x31 || buf[i]! > 0x39) return null;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) return null;
    value = value * 10 + (c - 0x30);
  }
  if (value > Number.MAX_SAFE_INTEGER) {
    // Digits are valid; range-check exactly, then round once (the loop above accumulated error).
    const big = BigInt(Buffer.from(buf.subarray(start, end)).toString('latin1'));
    if (big > 9223372036854775807n || big < -9223372036854775808n) return null;
    return Number(big);
  }
  return negative ? -value : value;
}

function protocolError(message: string): RaftKvError {
  return new RaftKvError('PROTOCOL_ERROR', `Protocol error: ${message}`);
}

export class ClientRequestDecoder {
  readonly maxInlineBytes: number;
  readonly maxBulkBytes: number;
  readonly maxArgs: number;
  readonly maxJsonBytes: number;
  readonly maxRequestBytes: number;

  /** Input being decoded: unconsumed from `buf[pos]`. Empty between pushes (see `pending`). */
  private buf: Buffer = EMPTY;
  private pos = 0;
  /**
   * Unconsumed input between pushes, copied out of the socket's chunks: an unfinished line or bulk
   * costs memory in proportion to its bytes (at most twice, plus a little), however it was cut.
   * Keeping the chunks themselves would cost a Buffer object (~150 bytes) per chunk, so a client
   * sending one byte at a time made every byte cost 150.
   */
  private readonly pending = new ByteAccumulator();
  /** Why the last decode stopped: > 0 bytes needed from `pos`; -1 a LF (line limit `lineLimit`); 0 nothing known. */
  private waitingFor = 0;
  private lineLimit = 0;
  private multibulk: OpenMultibulk | null = null;
  private failed = false;

  constructor(options: ClientDecoderOptions = {}) {
    this.maxInlineBytes = positive(options.maxInlineBytes ?? 64 * 1024, 'maxInlineBytes');
    this.maxBulkBytes = positive(options.maxBulkBytes ?? 1024 * 1024, 'maxBulkBytes');
    this.maxArgs = positive(options.maxArgs ?? 1024 * 1024, 'maxArgs');
    this.maxJsonBytes = positive(options.maxJsonBytes ?? 4 * this.maxBulkBytes, 'maxJsonBytes');
    this.maxRequestBytes = positive(options.maxRequestBytes ?? 8 * this.maxBulkBytes, 'maxRequestBytes');
  }

  /** Bytes received and not yet part of a decoded request (excludes arguments already decoded). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.pending.length;
  }

  /** True after a fatal error: the connection should be closed; input is ignored. */
  get closed(): boolean {
    return this.failed;
  }

  /** True while a request is partly received (useful to tell a clean EOF from a torn one). */
  get inProgress(): boolean {
    return !this.failed && (this.bufferedBytes > 0 || this.multibulk !== null);
  }

  /** The dialect of the request partly received (see inProgress), so an error about it is in kind. */
  get partialDialect(): Dialect {
    if (this.multibulk !== null) return 'resp';
    const first = this.pos < this.buf.length ? this.buf[this.pos] : this.pending.first;
    return first === LBRACE ? 'json' : first === STAR ? 'resp' : 'inline';
  }

  /**
   * Feeds the next chunk of the stream; returns the requests (and errors) it completed, in order.
   * The decoder copies what it keeps past the call; callers may reuse the chunk afterwards.
   */
  push(chunk: Uint8Array): DecodedRequest[] {
    if (this.failed || chunk.length === 0) return [];
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const available = this.bufferedBytes + bytes.length;
    const stuck =
      this.waitingFor > 0
        ? available < this.waitingFor
        : this.waitingFor === -1 && bytes.indexOf(LF) === -1 && available <= this.lineLimit;
    if (stuck) {
      this.pending.append(bytes);
      return [];
    }
    this.buf = this.pending.length === 0 ? bytes : Buffer.concat([this.pending.bytes(), bytes]);
    this.pos = 0;
    this.pending.clear();
    this.waitingFor = 0;

    const out: DecodedRequest[] = [];
    this.decode(out);
    // What is left waits for more input as a copy, so the chunk it came in can be freed.
    if (!this.failed && this.pos < this.buf.length) this.pending.append(this.buf.subarray(this.pos));
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }

  private decode(out: DecodedRequest[]): void {
    while (!this.failed) {
      let progressed: boolean;
      if (this.multibulk !== null) {
        progressed = this.decodeArgument(out, this.multibulk);
      } else if (this.pos >= this.buf.length) {
        return;
      } else {
        const first = this.buf[this.pos];
        if (first === STAR) progressed = this.decodeMultibulkHeader(out);
        else if (first === LBRACE) progressed = this.decodeJsonLine(out);
        else progressed = this.decodeInlineLine(out);
      }
      if (!progressed) return;
    }
  }

  private fail(out: DecodedRequest[], dialect: Dialect, error: RaftKvError): false {
    out.push({ kind: 'error', dialect, error, fatal: true });
    this.failed = true;
    this.multibulk = null;
    this.pending.clear();
    return false;
  }

  /**
   * Finds the line starting at `pos`: returns the index of its LF, INCOMPLETE (and notes what to
   * wait for) or TOO_LONG. At most `limit` bytes may precede the LF (a `\r` counts). Redis's rule
   * is "more than the limit buffered and no newline yet"; counting the bytes before the LF makes
   * the same cut whether a line arrives whole or in pieces. (Redis also accepts a longer line if
   * its newline happens to arrive in the same read; this decoder does not.)
   */
  private findLine(limit: number): number {
    const lf = this.buf.indexOf(LF, this.pos);
    if (lf === -1) {
      if (this.buf.length - this.pos > limit) return TOO_LONG;
      this.waitingFor = -1;
      this.lineLimit = limit;
      return INCOMPLETE;
    }
    if (lf - this.pos > limit) return TOO_LONG;
    return lf;
  }

  /** End of a line's content: the LF, or the `\r` just before it. */
  private contentEnd(lf: number): number {
    return lf > this.pos && this.buf[lf - 1] === CR ? lf - 1 : lf;
  }

  private decodeJsonLine(out: DecodedRequest[]): boolean {
    const lf = this.findLine(this.maxJsonBytes);
    if (lf === TOO_LONG) {
      return this.fail(out, 'json', new RaftKvError('TOO_LARGE', `JSON request line longer than ${this.maxJsonBytes} bytes`));
    }
    if (lf === INCOMPLETE) return false;
    const line = this.buf.toString('utf8', this.pos, this.contentEnd(lf));
    this.pos = lf + 1;
    out.push({ kind: 'json', dialect: 'json', line });
    return true;
  }

  private decodeInlineLine(out: DecodedRequest[]): boolean {
    const lf = this.findLine(this.maxInlineBytes);
    if (lf === TOO_LONG) return this.fail(out, 'inline', protocolError('too big inline request'));
    if (lf === INCOMPLETE) return false;
    const words = splitInlineArgsBytes(this.buf.subarray(this.pos, this.contentEnd(lf)));
    this.pos = lf + 1;
    if (words === null) return this.fail(out, 'inline', new RaftKvError('PROTOCOL_ERROR', UNBALANCED_QUOTES_MESSAGE));
    // An empty line runs nothing (Redis).
    if (words.length > 0) out.push({ kind: 'argv', dialect: 'inline', argv: words.map((w) => w.toString('utf8')) });
    return true;
  }

  private decodeMultibulkHeader(out: DecodedRequest[]): boolean {
    const lf = this.findLine(this.maxInlineBytes);
    if (lf === TOO_LONG) return this.fail(out, 'resp', protocolError('too big mbulk count string'));
    if (lf === INCOMPLETE) return false;
    const count = parseRedisInteger(this.buf, this.pos + 1, this.contentEnd(lf));
    if (count === null || count > this.maxArgs) return this.fail(out, 'resp', protocolError('invalid multibulk length'));
    const headerBytes = lf + 1 - this.pos;
    this.pos = lf + 1;
    // `*0` and negative counts (`*-1`) are empty requests: Redis consumes them and runs nothing.
    if (count > 0) this.multibulk = { remaining: count, argv: [], bulkLen: -1, bytes: headerBytes };
    return true;
  }

  /** Reads the next `$len` line or bulk of the open multibulk; emits the request when complete. */
  private decodeArgument(out: DecodedRequest[], mb: OpenMultibulk): boolean {
    if (mb.bulkLen < 0) {
      const lf = this.findLine(this.maxInlineBytes);
      if (lf === TOO_LONG) return this.fail(out, 'resp', protocolError('too big bulk count string'));
      if (lf === INCOMPLETE) return false;
      const first = this.buf[this.pos]!;
      if (first !== DOLLAR) {
        return this.fail(out, 'resp', protocolError(`expected '$', got '${String.fromCharCode(first)}'`));
      }
      const len = parseRedisInteger(this.buf, this.pos + 1, this.contentEnd(lf));
      if (len === null || len < 0 || len > this.maxBulkBytes) return this.fail(out, 'resp', protocolError('invalid bulk length'));
      mb.bytes += lf + 1 - this.pos;
      // Refuse before buffering: the whole request must fit, data and CRLF included.
      if (mb.bytes + len + 2 > this.maxRequestBytes) {
        return this.fail(out, 'resp', new RaftKvError('TOO_LARGE', `Protocol error: request larger than ${this.maxRequestBytes} bytes`));
      }
      this.pos = lf + 1;
      mb.bulkLen = len;
    }
    const len = mb.bulkLen;
    const available = this.buf.length - this.pos;
    if (available < len + 1) {
      this.waitingFor = len + 1;
      return false;
    }
    let terminator: number;
    const after = this.buf[this.pos + len];
    if (after === LF) {
      terminator = 1;
    } else if (after === CR) {
      if (available < len + 2) {
        this.waitingFor = len + 2;
        return false;
      }
      if (this.buf[this.pos + len + 1] !== LF) return this.fail(out, 'resp', protocolError('bulk data not followed by CRLF'));
      terminator = 2;
    } else {
      return this.fail(out, 'resp', protocolError('bulk data not followed by CRLF'));
    }
    mb.argv.push(this.buf.toString('utf8', this.pos, this.pos + len));
    this.pos += len + terminator;
    mb.bytes += len + terminator;
    mb.bulkLen = -1;
    mb.remaining--;
    if (mb.remaining === 0) {
      this.multibulk = null;
      out.push({ kind: 'argv', dialect: 'resp', argv: mb.argv });
    }
    return true;
  }
}

/** A byte buffer that grows by doubling: appending n bytes one at a time costs O(n) time and memory. */
class ByteAccumulator {
  private static readonly MIN_CAPACITY = 256;
  private store: Buffer = EMPTY;
  length = 0;

  get first(): number | undefined {
    return this.length > 0 ? this.store[0] : undefined;
  }

  append(bytes: Uint8Array): void {
    const needed = this.length + bytes.length;
    if (needed > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.store.length, ByteAccumulator.MIN_CAPACITY));
      this.store.copy(grown, 0, 0, this.length);
      this.store = grown;
    }
    this.store.set(bytes, this.length);
    this.length = needed;
  }

  /** A view of the bytes held; valid until the next append or clear. */
  bytes(): Buffer {
    return this.store.subarray(0, this.length);
  }

  /** Forgets the bytes and frees the memory. */
  clear(): void {
    this.store = EMPTY;
    this.length = 0;
  }
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RaftKvError('BAD_CONFIG', `${name} must be a positive integer, got ${n}`);
  return n;
}
