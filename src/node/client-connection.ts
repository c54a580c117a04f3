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
 * Backpressure: when the socket pushes back or too many replies are outstanding, reading pauses
 * until it drains.
 */
import type net from 'node:net';
import { ClientRequestDecoder, type DecodedRequest } from '../protocol/client-decoder.js';
import { encodeJsonError, encodeJsonReply, isRead, isWrite, parseJsonRequest, type ClientRequest, type RequestId } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';
import { parseRedisCommand } from '../protocol/redis-commands.js';
import { encodeRespResult, type RespReplyShape } from '../protocol/redis-replies.js';
import { encodeRespError } from '../protocol/resp-errors.js';
import type { Logger } from './logger.js';
import type { Completion } from './client-waiters.js';

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
  private readonly slots: Slot[] = [];
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
    private readonly log: Logger,
    private readonly maxOutstanding: number,
  ) {
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
      this.log.error(`client decoder failed: ${(err as Error).message}`);
      this.socket.destroy();
      return;
    }
    for (const d of decoded) {
      if (this.closing) break;
      this.handle(d);
      if (d.kind === 'error' && d.fatal) break;
    }
    if (this.slots.length >= this.maxOutstanding) this.socket.pause();
  }

  private onEnd(): void {
    this.ended = true;
    if (this.decoder.inProgress && !this.closing) {
      // EOF in the middle of a request: answer what we can, say why the rest is dropped.
      const err = new RaftKvError('BAD_REQUEST', 'connection closed in the middle of a request');
      this.fill(this.reserve(), this.decoder.partialDialect === 'json' ? encodeJsonError(null, err) : encodeRespError(err));
      return;
    }
    this.flush();
  }

  private handle(d: DecodedRequest): void {
    const slot = this.reserve();
    if (d.kind === 'error') {
      if (d.fatal) this.log.warn(`client ${this.socket.remoteAddress}:${this.socket.remotePort}: ${d.error.message}; closing the connection`);
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
      job = { req, kind: kindOf(req), slot, json: true, id: parsed.id, shape: 'default' };
    } else {
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
    slot.data = data;
    slot.close = close;
    if (this.flushQueued) return;
    this.flushQueued = true;
    // Replies completed in the same turn (a Ready's batch, a pipelined burst of local replies)
    // leave in one write: the microtask runs after the code that is filling them returns.
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Writes the replies that are ready, in order, up to the first one still pending. */
  private flush(): void {
    const { socket, slots } = this;
    let out = '';
    let close = false;
    while (slots.length > 0 && slots[0]!.data !== null) {
      const slot = slots.shift()!;
      out += slot.data;
      if (slot.close) {
        close = true;
        slots.length = 0;
        break;
      }
    }
    if (out && !socket.destroyed) {
      if (!socket.write(out)) socket.pause();
    }
    if (close) {
      this.closing = true;
      socket.end();
      return;
    }
    if (this.ended && slots.length === 0) socket.end();
    else if (socket.isPaused() && slots.length < this.maxOutstanding && socket.writableLength === 0) socket.resume();
  }
}

function kindOf(req: ClientRequest): Kind {
  return isWrite(req) ? WRITE : isRead(req) ? READ : OTHER;
}
