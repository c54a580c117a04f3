/**
 * The bench's RESP2 reply reader: it only needs to know where each reply ends and whether it is an
 * error, so it skips values instead of building them (src/protocol/resp.ts's RespReplyParser
 * allocates an object and a string per reply, which the load generator cannot afford while it
 * shares the CPU with the nodes it measures).
 *
 * Incremental: chunks may split a reply anywhere (inside a length line, a CRLF, a bulk body).
 * Nested arrays are skipped with one counter, not a stack: `needed` is how many values the current
 * top-level reply still lacks; an array header of n elements turns its own slot into n slots.
 *
 * `feed` keeps no reference to its chunk after it returns (what it must keep, it copies), so the
 * caller may reuse the chunk's memory.
 *
 * Invariants: between feeds, state TYPE means "at the first byte of a value"; `needed >= 1`
 * while a top-level reply is open. A malformed stream throws a PROTOCOL_ERROR RaftKvError; the
 * counter is then unusable (the stream position is lost) and the connection must be dropped.
 */
import { RaftKvError } from '../../protocol/errors.js';

/** Error replies seen by every connection of one test: the count and the first message. */
export interface ErrorTally {
  count: number;
  first: string | null;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const COLON = 0x3a;
const DOLLAR = 0x24;
const STAR = 0x2a;
const CR = 0x0d;
const LF = 0x0a;

/** At the first byte of a value. */
const TYPE = 0;
/** Inside a `+`, `-`, `:`, `$` or `*` line, waiting for its LF. */
const LINE = 1;
/** Skipping a bulk body and its CRLF (`skip` bytes left). */
const BULK = 2;

/** Longest line we accept (an error message from the server); longer means a broken stream. */
const MAX_LINE_BYTES = 64 * 1024;

function protocolError(message: string): RaftKvError {
  return new RaftKvError('PROTOCOL_ERROR', `bench: bad reply from the server: ${message}`);
}

export class ReplyCounter {
  private state = TYPE;
  /** Type byte of the line being read. */
  private type = 0;
  /** Bulk bytes (body + CRLF) still to skip. */
  private skip = 0;
  /** Values the open top-level reply still needs; 0 when none is open. */
  private needed = 0;
  /** True when the open top-level reply is an error. */
  private topIsError = false;
  /** The current line's bytes from earlier chunks (rare: a line split across chunks). */
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(private readonly errors: ErrorTally) {}

  /** Consumes `chunk`; returns how many top-level replies it completed. */
  feed(chunk: Buffer): number {
    let done = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.state === BULK) {
        const take = Math.min(this.skip, n - i);
        i += take;
        this.skip -= take;
        if (this.skip > 0) break;
        // The CRLF after the body was part of `skip`; its bytes were not checked, like hiredis.
        this.state = TYPE;
        if (this.valueDone()) done++;
        continue;
      }
      if (this.state === TYPE) {
        const t = chunk[i]!;
        if (t !== PLUS && t !== MINUS && t !== COLON && t !== DOLLAR && t !== STAR) {
          throw protocolError(`unexpected byte 0x${t.toString(16).padStart(2, '0')} at the start of a reply`);
        }
        if (this.needed === 0) {
          this.needed = 1;
          this.topIsError = t === MINUS;
        }
        this.type = t;
        this.state = LINE;
        i++;
      }
      // state LINE: find the LF, then act on the line [start, lf - 1) (without type byte and CR).
      const lf = chunk.indexOf(LF, i);
      if (lf === -1) {
        // A copy: the caller's buffer is reused for the next read (connect.ts).
        this.partial.push(Buffer.from(chunk.subarray(i)));
        this.partialBytes += n - i;
        if (this.partialBytes > MAX_LINE_BYTES) throw protocolError(`line longer than ${MAX_LINE_BYTES} bytes`);
        break;
      }
      let line: Buffer;
      if (this.partialBytes > 0) {
        this.partial.push(chunk.subarray(i, lf + 1));
        line = Buffer.concat(this.partial);
        this.partial = [];
        this.partialBytes = 0;
      } else {
        line = chunk.subarray(i, lf + 1);
      }
      i = lf + 1;
      if (line.length < 2 || line[line.length - 2] !== CR) throw protocolError('line not terminated by CRLF');
      if (this.line(line, line.length - 2)) done++;
    }
    return done;
  }

  /**
   * Acts on a complete line (`end` = index of its CR). Returns true if it completed a top-level
   * reply.
   */
  private line(line: Buffer, end: number): boolean {
    switch (this.type) {
      case MINUS:
        // Only the top-level reply counts (nested errors do not occur for the bench's commands).
        if (this.topIsError && this.needed === 1) {
          this.errors.count++;
          this.errors.first ??= line.toString('utf8', 0, end);
        }
        this.state = TYPE;
        return this.valueDone();
      case PLUS:
      case COLON:
        this.state = TYPE;
        return this.valueDone();
      case DOLLAR: {
        const len = parseLength(line, end);
        if (len === -1) {
          this.state = TYPE;
          return this.valueDone();
        }
        this.skip = len + 2;
        this.state = BULK;
        return false;
      }
      case STAR: {
        const len = parseLength(line, end);
        this.state = TYPE;
        if (len <= 0) return this.valueDone();
        // The array's slot becomes its `len` elements.
        this.needed += len - 1;
        return false;
      }
      default:
        throw new RaftKvError('INTERNAL', `reply type 0x${this.type.toString(16)} has no case`);
    }
  }

  /** One value finished; true when that completed the top-level reply. */
  private valueDone(): boolean {
    this.needed--;
    return this.needed === 0;
  }
}

/** A `$`/`*` length: -1 or a non-negative decimal, straight from the bytes (no string). */
function parseLength(line: Buffer, end: number): number {
  if (end === 2 && line[0] === MINUS && line[1] === 0x31) return -1;
  if (end === 0 || end > 10) throw protocolError(`bad length line ${JSON.stringify(line.toString('latin1', 0, end))}`);
  let v = 0;
  for (let k = 0; k < end; k++) {
    const d = line[k]! - 0x30;
    if (d < 0 || d > 9) throw protocolError(`bad length line ${JSON.stringify(line.toString('latin1', 0, end))}`);
    v = v * 10 + d;
  }
  return v;
}
