/**
 * RESP2 (the Redis serialization protocol, version 2): encoders for what a server sends, an
 * encoder for what a client sends (`encodeCommand`), and an incremental parser of replies for our
 * client library, tests and the TUI shell.
 *
 * Byte-correctness: a bulk string's length counts UTF-8 BYTES, not UTF-16 code units. The string
 * encoders return JS strings that are correct once written as UTF-8 (what `socket.write(str)`
 * does); use the Buffer variants for binary payloads.
 *
 * Simple strings and errors cannot contain CR or LF on the wire; like Redis (which maps them to
 * spaces before replying with an error built from user input), the encoders replace each with a
 * space rather than emit a stream the other side would misframe.
 */
import { RaftKvError } from './errors.js';

export const CRLF = '\r\n';
export const RESP_OK = '+OK\r\n';
export const RESP_PONG = '+PONG\r\n';
export const RESP_NULL_BULK = '$-1\r\n';
export const RESP_NULL_ARRAY = '*-1\r\n';
export const RESP_EMPTY_ARRAY = '*0\r\n';

/** A parsed reply; also the input of `encodeReply`, so replies round-trip. */
export type RespReply =
  | { type: 'simple'; value: string }
  | { type: 'error'; message: string }
  | { type: 'integer'; value: number }
  /** `value` null is the null bulk string `$-1` (Redis's nil). Decoded as UTF-8. */
  | { type: 'bulk'; value: string | null }
  /** `items` null is the null array `*-1`. */
  | { type: 'array'; items: RespReply[] | null };

const HAS_CR_OR_LF = /[\r\n]/;
const CR_OR_LF = /[\r\n]/g;

function oneLine(s: string): string {
  return HAS_CR_OR_LF.test(s) ? s.replace(CR_OR_LF, ' ') : s;
}

/** `+s\r\n`. CR/LF in `s` become spaces. */
export function encodeSimple(s: string): string {
  return `+${oneLine(s)}\r\n`;
}

/**
 * `-message\r\n`. `message` starts with the error prefix, e.g. "ERR syntax error" or
 * "NOLEADER no leader is known, try again". CR/LF become spaces (as Redis does).
 */
export function encodeError(message: string): string {
  return `-${oneLine(message)}\r\n`;
}

/** `:n\r\n`. `n` must be an integer (a non-integer is a bug, so this throws). */
export function encodeInteger(n: number | bigint): string {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new RaftKvError('INTERNAL', `RESP integer must be a safe integer, got ${n}`);
  }
  return `:${n}\r\n`;
}

/** `$<bytes>\r\n<s>\r\n`, or `$-1\r\n` for null. */
export function encodeBulk(s: string | null): string {
  if (s === null) return RESP_NULL_BULK;
  return `$${Buffer.byteLength(s, 'utf8')}\r\n${s}\r\n`;
}

/** Binary-safe bulk string. */
export function encodeBulkBuffer(b: Uint8Array | null): Buffer {
  if (b === null) return Buffer.from(RESP_NULL_BULK, 'latin1');
  return Buffer.concat([Buffer.from(`$${b.length}\r\n`, 'latin1'), b, Buffer.from(CRLF, 'latin1')]);
}

/** An array of bulk strings (null entries are null bulks), or the null array for null. */
export function encodeBulkArray(items: readonly (string | null)[] | null): string {
  if (items === null) return RESP_NULL_ARRAY;
  let out = `*${items.length}\r\n`;
  for (const item of items) out += encodeBulk(item);
  return out;
}

/** Encodes any reply, nested arrays included. Iterative, so depth is not limited by the stack. */
export function encodeReply(reply: RespReply): string {
  const parts: string[] = [];
  // Depth-first, left to right: pop from the end, so push children in reverse.
  const stack: RespReply[] = [reply];
  while (stack.length > 0) {
    const r = stack.pop()!;
    switch (r.type) {
      case 'simple':
        parts.push(encodeSimple(r.value));
        break;
      case 'error':
        parts.push(encodeError(r.message));
        break;
      case 'integer':
        parts.push(encodeInteger(r.value));
        break;
      case 'bulk':
        parts.push(encodeBulk(r.value));
        break;
      case 'array':
        if (r.items === null) {
          parts.push(RESP_NULL_ARRAY);
        } else {
          parts.push(`*${r.items.length}\r\n`);
          for (let i = r.items.length - 1; i >= 0; i--) stack.push(r.items[i]!);
        }
        break;
    }
  }
  return parts.join('');
}

/**
 * A command as a client sends it: a multibulk array of bulk strings
 * (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`). Strings are sent as UTF-8.
 */
export function encodeCommand(argv: readonly (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`, 'latin1')];
  for (const arg of argv) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`, 'latin1'), Buffer.from(bytes), Buffer.from(CRLF, 'latin1'));
  }
  return Buffer.concat(parts);
}

export interface RespReplyParserOptions {
  /** Longest bulk string accepted. Default 64 MiB. */
  maxBulkBytes?: number;
  /** Longest simple-string/error/integer/length line, type byte included, CRLF not. Default 64 KiB. */
  maxLineBytes?: number;
  /** Most elements in one array. Default 16 Mi. */
  maxArrayLength?: number;
  /** Deepest array nesting. Default 64. */
  maxDepth?: number;
}

/** An array being filled in: `items` grows to `length`. */
interface OpenArray {
  items: RespReply[];
  length: number;
}

function protocolError(message: string): RaftKvError {
  return new RaftKvError('PROTOCOL_ERROR', `Protocol error: ${message}`);
}

/** A Buffer view of the same memory (no copy): the parser keeps chunks, it never writes to them. */
function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** First bytes of RESP2 replies: + - : $ * */
const REPLY_TYPES: readonly number[] = [0x2b, 0x2d, 0x3a, 0x24, 0x2a];

/** Strict decimal (optional leading '-') as RESP lengths and integers are written. */
const INTEGER = /^-?\d+$/;

/**
 * Incremental RESP2 reply parser. Feed it chunks as they arrive (split anywhere, even inside a
 * UTF-8 character or a CRLF); it returns every reply completed so far, in order.
 *
 * Invariants: bytes are consumed once (partial arrays are kept as a stack of open arrays, never
 * re-parsed); memory is bounded by the options (one line, one bulk, the open arrays).
 * A malformed stream throws a PROTOCOL_ERROR RaftKvError; the parser then stays failed (the
 * stream position is lost), and every later `feed` throws the same error.
 */
export class RespReplyParser {
  private readonly maxBulkBytes: number;
  private readonly maxLineBytes: number;
  private readonly maxArrayLength: number;
  private readonly maxDepth: number;
  /** Unconsumed input is `buf[pos..]`. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Length of the bulk whose `$n` line was consumed but whose data was not; -1 when none. */
  private pendingBulk = -1;
  private readonly open: OpenArray[] = [];
  private failure: RaftKvError | null = null;
  /**
   * Chunks received while no progress was possible (a bulk still short of its length, or a line
   * still without its LF). Kept apart so a big bulk arriving in many chunks is copied once, not
   * once per chunk. Logically they follow `buf[pos..]`.
   */
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** What the last parse stopped on: bytes needed from `pos` (> 0), or -1 = waiting for a LF. */
  private waitingFor = 0;

  constructor(options: RespReplyParserOptions = {}) {
    this.maxBulkBytes = options.maxBulkBytes ?? 64 * 1024 * 1024;
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
    this.maxArrayLength = options.maxArrayLength ?? 16 * 1024 * 1024;
    this.maxDepth = options.maxDepth ?? 64;
  }

  /** Bytes received but not yet part of a completed value. */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.tailBytes;
  }

  /** True while a reply is partly received (bytes buffered or an array open). */
  get inProgress(): boolean {
    return this.bufferedBytes > 0 || this.open.length > 0 || this.pendingBulk >= 0;
  }

  feed(chunk: Uint8Array): RespReply[] {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return [];
    const available = this.bufferedBytes + chunk.length;
    const stuck =
      this.waitingFor > 0
        ? available < this.waitingFor
        : this.waitingFor === -1 && chunk.indexOf(0x0a) === -1 && available <= this.maxLineBytes + 1;
    if (stuck) {
      this.tail.push(asBuffer(chunk));
      this.tailBytes += chunk.length;
      return [];
    }
    const rest = this.buf.length - this.pos;
    this.buf =
      rest === 0 && this.tailBytes === 0
        ? asBuffer(chunk)
        : Buffer.concat([this.buf.subarray(this.pos), ...this.tail, chunk]);
    this.pos = 0;
    this.tail = [];
    this.tailBytes = 0;
    this.waitingFor = 0;
    const out: RespReply[] = [];
    try {
      for (;;) {
        const value = this.next();
        if (value === undefined) break;
        this.complete(value, out);
      }
    } catch (err) {
      this.failure = err instanceof RaftKvError ? err : protocolError(String(err));
      throw this.failure;
    }
    if (this.pos === this.buf.length) {
      this.buf = Buffer.alloc(0);
      this.pos = 0;
    }
    return out;
  }

  /** Attaches a finished value to the innermost open array, closing arrays that become full. */
  private complete(value: RespReply, out: RespReply[]): void {
    let v = value;
    for (;;) {
      const top = this.open[this.open.length - 1];
      if (top === undefined) {
        out.push(v);
        return;
      }
      top.items.push(v);
      if (top.items.length < top.length) return;
      this.open.pop();
      v = { type: 'array', items: top.items };
    }
  }

  /** Reads one line's content (CRLF required), or undefined if it is not all here yet. */
  private line(): string | undefined {
    const lf = this.buf.indexOf(0x0a, this.pos);
    if (lf === -1) {
      if (this.buf.length - this.pos > this.maxLineBytes + 1) throw protocolError(`line longer than ${this.maxLineBytes} bytes`);
      this.waitingFor = -1;
      return undefined;
    }
    if (lf - this.pos - 1 > this.maxLineBytes) throw protocolError(`line longer than ${this.maxLineBytes} bytes`);
    if (lf === this.pos || this.buf[lf - 1] !== 0x0d) throw protocolError('line not terminated by CRLF');
    const text = this.buf.toString('utf8', this.pos, lf - 1);
    this.pos = lf + 1;
    return text;
  }

  /**
   * The next complete scalar, an empty/null array, or undefined when more bytes are needed.
   * Non-empty arrays are pushed on `open` and parsing continues with their elements.
   */
  private next(): RespReply | undefined {
    for (;;) {
      if (this.pendingBulk >= 0) {
        const n = this.pendingBulk;
        if (this.buf.length - this.pos < n + 2) {
          this.waitingFor = n + 2;
          return undefined;
        }
        if (this.buf[this.pos + n] !== 0x0d || this.buf[this.pos + n + 1] !== 0x0a) {
          throw protocolError('bulk string not terminated by CRLF');
        }
        const value = this.buf.toString('utf8', this.pos, this.pos + n);
        this.pos += n + 2;
        this.pendingBulk = -1;
        return { type: 'bulk', value };
      }
      if (this.pos >= this.buf.length) return undefined;
      const type = this.buf[this.pos]!;
      // Refuse garbage at its first byte rather than after waiting for a line end that may never come.
      if (!REPLY_TYPES.includes(type)) {
        throw protocolError(`unexpected byte 0x${type.toString(16).padStart(2, '0')} at the start of a reply`);
      }
      const text = this.line();
      if (text === undefined) return undefined;
      const body = text.slice(1);
      switch (type) {
        case 0x2b /* + */:
          return { type: 'simple', value: body };
        case 0x2d /* - */:
          return { type: 'error', message: body };
        case 0x3a /* : */: {
          const n = Number(body);
          if (!INTEGER.test(body) || !Number.isSafeInteger(n)) throw protocolError(`invalid integer ${JSON.stringify(body)}`);
          return { type: 'integer', value: n };
        }
        case 0x24 /* $ */: {
          const n = Number(body);
          if (!INTEGER.test(body) || n < -1 || n > this.maxBulkBytes) throw protocolError(`invalid bulk length ${JSON.stringify(body)}`);
          if (n === -1) return { type: 'bulk', value: null };
          this.pendingBulk = n;
          continue;
        }
        case 0x2a /* * */: {
          const n = Number(body);
          if (!INTEGER.test(body) || n < -1 || n > this.maxArrayLength) throw protocolError(`invalid array length ${JSON.stringify(body)}`);
          if (n === -1) return { type: 'array', items: null };
          if (n === 0) return { type: 'array', items: [] };
          if (this.open.length >= this.maxDepth) throw protocolError(`arrays nested deeper than ${this.maxDepth}`);
          this.open.push({ items: [], length: n });
          continue;
        }
        default:
          throw new RaftKvError('INTERNAL', `reply type 0x${type.toString(16)} passed the check but has no case`);
      }
    }
  }
}
