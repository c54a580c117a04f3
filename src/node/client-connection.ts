/**
 * One connection of the client port: decodes its requests (JSON lines, RESP2, inline), runs them
 * in the order Redis clients rely on, and writes the replies back in request order.
 *
 * Order: replies leave in request order (Redis clients pipeline and match replies by position),
 * and a read waits for the writes the same connection sent before it (and a write for the reads
 * before it), so a pipelined `SET k v` then `GET k` sees its own write as on Redis. Runs of writes
 * (or of reads) still go to the driver together and share its batches.
 *
 * Cost: this is the hot path of every request, so it avoids a promise chain per request. A
 * request is a plain job; the driver calls it back; replies filled during one turn of the event
 * loop (a Ready completes a whole batch) leave in one write per connection, queued on a microtask.
 *
 * Bounds (a client must not be able to take the node's memory):
 * - pending requests: at most `maxPending` replies outstanding; past it the socket is paused and
 *   requests already decoded from the last chunk wait (at most one chunk's worth) until replies
 *   leave;
 * - output: replies finished but not yet taken by the kernel (ours plus the socket's buffer) may
 *   add up to `maxOutputBytes`; a client past it is disconnected, as Redis does with its
 *   client-output-buffer-limit (a reader that does not read must not make the node hold gigabytes);
 * - writes: replies leave in pieces of about WRITE_PIECE_BYTES (many small replies joined, a big
 *   one alone), never as one string of everything finished in a turn, which could pass V8's string
 *   limit (~512 MiB) and crash the process.
 */
import type net from 'node:net';
import { ClientRequestDecoder, type DecodedRequest } from '../protocol/client-decoder.js';
import { encodeJsonError, encodeJsonReply, isRead, isWrite, parseJsonRequest, type ClientRequest, type RequestId } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';
import { parseRedisCommand } from '../protocol/redis-commands.js';
import { encodeRespResult, type RespReplyShape } from '../protocol/redis-replies.js';
import { encodeRespError } from '../protocol/resp-errors.js';
import type { Completion } from './client-waiters.js';
import { ConnectionAuth } from './connection-auth.js';
import { PasswordCheck } from '../protocol/auth.js';
import type { RateLimitedLog } from './rate-limited-log.js';

const NO_PASSWORD = new PasswordCheck(null);

/** Small replies are joined into writes of about this size (fewer syscalls); bigger ones go alone. */
const WRITE_PIECE_BYTES = 64 * 1024;

export interface ClientConnectionLimits {
  /** Most replies outstanding (in flight or waiting for their turn) before reading pauses. */
  maxPending: number;
  /** Most bytes of replies not yet taken by the kernel; past it the client is disconnected. */
  maxOutputBytes: number;
}

/** Runs one request and calls `done` exactly once (possibly synchronously). */
export type RequestRunner = (req: ClientRequest, done: Completion<unknown>) => void;

/** A reply position in request order; `data` is null until the reply is known. */
interface Slot {
  data: string | null;
  close: boolean;
}

const OTHER = 0;
const READ = 1;
const WRITE = 2;
type Kind = typeof OTHER | typeof READ | typeof WRITE;

/** A request waiting for its turn or for its result. */
interface Job {
  req: ClientRequest;
  kind: Kind;
  slot: Slot;
  /** JSON requests answer with their id; Redis ones in RESP with the command's reply shape. */
  json: boolean;
  id: RequestId;
  shape: RespReplyShape;
}

export class ClientConnection {
  private readonly decoder = new ClientRequestDecoder();
  private readonly auth: ConnectionAuth;
  private readonly slots: Slot[] = [];
  /** Decoded requests not yet handled because `maxPending` replies are outstanding. */
  private backlog: DecodedRequest[] = [];
  /** Characters of filled replies not yet written (UTF-16 units: a cheap stand-in for bytes). */
  private queuedChars = 0;
  /** Jobs that may not start yet (see mayStart), in arrival order. */
  private readonly blocked: Job[] = [];
  private readonly running = [0, 0, 0];
  private draining = false;
  private flushQueued = false;
  /** The client half-closed: close once every reply is out. */
  private ended = false;
  /** QUIT or a fatal protocol error: ignore further input. */
  private closing = false;
  /** Set by READONLY / READWRITE; JSON requests say it per request instead. */
  private readConsistency: 'stale' | 'linearizable' = 'linearizable';

  constructor(
    private readonly socket: net.Socket,
    private readonly runRequest: RequestRunner,
    private readonly log: RateLimitedLog,
    private readonly limits: ClientConnectionLimits,
    /** The node's password (none by default) and how long a connection may take to authenticate. */
    authOptions: { check: PasswordCheck; timeoutMs: number } = { check: NO_PASSWORD, timeoutMs: 0 },
  ) {
    this.auth = new ConnectionAuth(authOptions.check, socket, log, authOptions.timeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.flush());
    socket.on('end', () => this.onEnd());
    socket.on('error', () => {});
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let decoded: DecodedRequest[];
    try {
      decoded = this.decoder.push(chunk);
    } catch (err) {
      this.log.warn(`client ${this.remote}: decoder failed: ${(err as Error).message}`);
      this.socket.destroy();
      return;
    }
    this.backlog = this.backlog.length === 0 ? decoded : this.backlog.concat(decoded);
    this.handleBacklog();
  }

  /** Handles decoded requests while fewer than maxPending replies are outstanding. */
  private handleBacklog(): void {
    let i = 0;
    while (i < this.backlog.length && !this.closing && this.slots.length < this.limits.maxPending) {
      const d = this.backlog[i++]!;
      this.handle(d);
      if (d.kind === 'error' && d.fatal) break;
    }
    this.backlog = this.closing ? [] : this.backlog.slice(i);
    if (this.backlog.length > 0 || this.slots.length >= this.limits.maxPending) this.socket.pause();
  }

  private get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onEnd(): void {
    this.ended = true;
    if (this.decoder.inProgress && !this.closing) {
      // EOF in the middle of a request: answer what we can, say why the rest is dropped (after
      // the requests still waiting, so replies stay in order).
      const error = new RaftKvError('BAD_REQUEST', 'connection closed in the middle of a request');
      this.backlog.push({ kind: 'error', dialect: this.decoder.partialDialect, error, fatal: false });
      this.handleBacklog();
      return;
    }
    this.flush();
  }

  private handle(d: DecodedRequest): void {
    const slot = this.reserve();
    if (d.kind === 'error') {
      if (d.fatal) this.log.warn(`client ${this.remote}: ${d.error.message}; closing the connection`);
      this.fill(slot, d.dialect === 'json' ? encodeJsonError(null, d.error) : encodeRespError(d.error), d.fatal);
      return;
    }
    let req: ClientRequest;
    let job: Job;
    if (d.kind === 'json') {
      const parsed = parseJsonRequest(d.line);
      if (!parsed.ok) {
        this.fill(slot, encodeJsonError(parsed.id, parsed.error));
        return;
      }
      req = parsed.req;
      const authReply = this.auth.json(parsed.id, req);
      if (authReply !== null) {
        this.fill(slot, authReply);
        return;
      }
      job = { req, kind: kindOf(req), slot, json: true, id: parsed.id, shape: 'default' };
    } else {
      const authReply = this.auth.redis(d.argv);
      if (authReply !== null) {
        this.fill(slot, authReply);
        return;
      }
      const dispatch = parseRedisCommand(d.argv);
      if (dispatch.kind === 'reply') {
        if (dispatch.readConsistency) this.readConsistency = dispatch.readConsistency;
        this.fill(slot, dispatch.reply, dispatch.close);
        return;
      }
      req = dispatch.req;
      // After READONLY, this connection's reads skip the ReadIndex round (Redis Cluster's
      // replica reads): the client asked for speed over freshness.
      if (this.readConsistency === 'stale' && isRead(req) && req.consistency === undefined) req = { ...req, consistency: 'stale' };
      job = { req, kind: kindOf(req), slot, json: false, id: null, shape: dispatch.shape };
    }
    // Behind a blocked job, a read or write queues too (it may conflict with it); others never wait.
    if (job.kind !== OTHER && (this.blocked.length > 0 || !this.mayStart(job))) this.blocked.push(job);
    else this.start(job);
  }

  /** A read may not overtake a write sent before it, nor a write a read. */
  private mayStart(job: Job): boolean {
    return job.kind === READ ? this.running[WRITE] === 0 : this.running[READ] === 0;
  }

  private start(job: Job): void {
    this.running[job.kind]!++;
    let finished = false;
    const done: Completion<unknown> = (err, value) => {
      if (finished) return;
      finished = true;
      this.finish(job, err, value);
    };
    try {
      this.runRequest(job.req, done);
    } catch (err) {
      done(err as RaftKvError);
    }
  }

  private finish(job: Job, err: unknown, value: unknown): void {
    this.running[job.kind]!--;
    let reply: string;
    try {
      if (err) reply = job.json ? encodeJsonError(job.id, err) : encodeRespError(err);
      else reply = job.json ? encodeJsonReply(job.id, value) : encodeRespResult(job.req, value, job.shape);
    } catch (e) {
      // A result of the wrong type is a bug on our side; the client still gets an answer.
      reply = job.json ? encodeJsonError(job.id, e) : encodeRespError(e);
    }
    this.fill(job.slot, reply);
    this.drain();
  }

  /** Starts blocked jobs whose turn has come. Re-entrant calls (a job done at once) return early. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    while (this.blocked.length > 0 && this.mayStart(this.blocked[0]!)) this.start(this.blocked.shift()!);
    this.draining = false;
  }

  private reserve(): Slot {
    const slot: Slot = { data: null, close: false };
    this.slots.push(slot);
    return slot;
  }

  private fill(slot: Slot, data: string, close = false): void {
    if (this.closing && this.socket.destroyed) return;
    slot.data = data;
    slot.close = close;
    this.queuedChars += data.length;
    if (this.overLimit()) return;
    if (this.flushQueued) return;
    this.flushQueued = true;
    // Replies completed in the same turn (a Ready's batch, a pipelined burst of local replies)
    // leave together: the microtask runs after the code that is filling them returns.
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Disconnects a client whose unsent replies passed maxOutputBytes; true if it did. */
  private overLimit(): boolean {
    const unsent = this.queuedChars + this.socket.writableLength;
    if (unsent <= this.limits.maxOutputBytes) return false;
    if (!this.socket.destroyed) {
      this.log.warn(`client ${this.remote}: over ${this.limits.maxOutputBytes} bytes of replies not read yet; disconnecting it (client output buffer limit)`);
    }
    this.closing = true;
    this.backlog = [];
    this.blocked.length = 0;
    this.slots.length = 0;
    this.queuedChars = 0;
    this.socket.destroy();
    return true;
  }

  /** Writes the replies that are ready, in order, up to the first one still pending. */
  private flush(): void {
    const { socket, slots } = this;
    if (socket.destroyed) return;
    let piece = '';
    let close = false;
    while (slots.length > 0 && slots[0]!.data !== null) {
      const slot = slots.shift()!;
      const data = slot.data!;
      this.queuedChars -= data.length;
      if (piece.length > 0 && piece.length + data.length > WRITE_PIECE_BYTES) {
        if (!socket.write(piece)) socket.pause();
        piece = '';
      }
      piece += data;
      if (slot.close) {
        close = true;
        slots.length = 0;
        break;
      }
    }
    if (piece && !socket.write(piece)) socket.pause();
    if (close) {
      this.closing = true;
      socket.end();
      return;
    }
    if (this.overLimit()) return;
    if (this.ended && slots.length === 0 && this.backlog.length === 0) {
      socket.end();
      return;
    }
    // Read on once the kernel took what we wrote and there is room for more requests.
    if (socket.writableLength === 0 && slots.length < this.limits.maxPending) {
      if (this.backlog.length > 0) this.handleBacklog();
      if (this.backlog.length === 0 && socket.isPaused() && slots.length < this.limits.maxPending) socket.resume();
    }
  }
}

function kindOf(req: ClientRequest): Kind {
  return isWrite(req) ? WRITE : isRead(req) ? READ : OTHER;
}
