/**
 * One persistent TCP connection to one node's client port, speaking the JSON dialect: one request
 * per line, replies matched to requests by `id`, so many requests can be in flight at once
 * (pipelining) and replies may come back in any order.
 *
 * Invariants:
 *   - every request settles exactly once: with the reply carrying its id, or with TIMEOUT when its
 *     own deadline passes, or with UNAVAILABLE (never sent: no connection), CONNECTION_LOST
 *     (sent, then the connection dropped) or the node's refusal of our AUTH (WRONGPASS, ...) first;
 *   - a reply that arrives after its request settled (late, after a timeout) is dropped;
 *   - at most one socket exists at a time; it is opened lazily by the first request after a loss,
 *     so a dead node costs nothing until someone asks it something;
 *   - a malformed reply line means the other side does not speak our protocol: the connection is
 *     closed (failing everything in flight) rather than guessing which request it belonged to.
 *
 * No backpressure beyond the socket's own buffer: the number of requests in flight is bounded by
 * the caller (each caller awaits its reply), and request lines are small.
 */
import type { Socket } from 'node:net';
import split2 from 'split2';
import { parseJsonReply, type JsonReply } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';
import { realClientClock, type ClientClock, type ClientTimer } from './client-clock.js';
import type { ClientLogger } from './client-log.js';
import { connectClientPort, type ClientSecurity } from './client-security.js';
import type { ClientNodeAddress, Connection } from './connection.js';

export type { JsonReply, ClientNodeAddress };

export interface NodeConnectionOptions {
  logger?: ClientLogger;
  /** A connection attempt that takes longer fails with UNAVAILABLE. Default 2000. */
  connectTimeoutMs?: number;
  /** Most bytes buffered for one unfinished reply line; more means a broken peer. Default 64 MiB (KEYS can be big). */
  maxReplyBytes?: number;
  /** TLS and the password of a secure cluster (client-security.ts). */
  security?: ClientSecurity;
  /** The clock of the request and connect timeouts. Default: Node's timers. */
  clock?: ClientClock;
}

/** The id of the AUTH request sent first on a connection to a cluster with a password. */
const AUTH_ID = 0;

interface Pending {
  resolve: (reply: JsonReply) => void;
  reject: (err: Error) => void;
  timer: ClientTimer;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

export class NodeConnection implements Connection {
  readonly node: ClientNodeAddress;
  readonly #logger: ClientLogger;
  readonly #connectTimeoutMs: number;
  readonly #maxReplyBytes: number;
  /** Requests sent or waiting for the socket, by id. */
  readonly #pending = new Map<number, Pending>();
  #socket: Socket | null = null;
  /** Resolves once #socket is connected; null when no attempt is under way. */
  #connecting: Promise<Socket> | null = null;
  #nextId = 1;
  readonly #security: ClientSecurity | undefined;
  readonly #clock: ClientClock;
  #closed = false;

  constructor(node: ClientNodeAddress, options: NodeConnectionOptions = {}) {
    this.node = node;
    this.#logger = options.logger ?? (() => {});
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.#security = options.security;
    this.#clock = options.clock ?? realClientClock;
  }

  get address(): string {
    return `${this.node.host}:${this.node.port}`;
  }

  /** The node as messages name it; id 0 means "whichever member listens there" (a joining node's seed). */
  get #name(): string {
    return this.node.id > 0 ? `node ${this.node.id} (${this.address})` : this.address;
  }

  /** True while a socket is connected (not merely being opened). */
  get connected(): boolean {
    return this.#socket !== null && this.#connecting === null;
  }

  /** Requests awaiting a reply. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Sends `body` (its `id` field is replaced by this connection's own) and resolves with the reply,
   * whether ok or not. Rejects with RaftKvError TIMEOUT after `timeoutMs`, UNAVAILABLE if the node
   * cannot be reached (the request was certainly not sent), CONNECTION_LOST if the connection drops
   * after it was sent, SHUTTING_DOWN after close().
   */
  request(body: Record<string, unknown>, timeoutMs: number): Promise<JsonReply> {
    if (this.#closed) return Promise.reject(new RaftKvError('SHUTTING_DOWN', 'the client was closed'));
    const id = this.#nextId++;
    const line = `${JSON.stringify({ ...body, id })}\n`;
    return new Promise<JsonReply>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        if (this.#pending.delete(id)) {
          reject(new RaftKvError('TIMEOUT', `${this.#name} did not answer within ${Math.round(timeoutMs)} ms`));
        }
      }, Math.max(1, timeoutMs));
      this.#pending.set(id, { resolve, reject, timer });
      this.#open().then(
        (socket) => {
          // The request may have timed out while the socket was being opened.
          if (this.#pending.has(id)) socket.write(line);
        },
        (err: Error) => this.#settle(id, err),
      );
    });
  }

  /** Fails everything in flight with SHUTTING_DOWN and closes the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new RaftKvError('SHUTTING_DOWN', 'the client was closed'));
    this.#socket?.destroy();
  }

  #settle(id: number, outcome: Error | JsonReply): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    this.#clock.clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  #failAll(err: Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, err);
  }

  #open(): Promise<Socket> {
    if (this.#connecting) return this.#connecting;
    if (this.#socket) return Promise.resolve(this.#socket);
    const { socket, readyEvent } = connectClientPort(this.node.host, this.node.port, this.#security);
    this.#socket = socket;
    socket.setNoDelay(true);
    const lines = socket.pipe(split2({ maxLength: this.#maxReplyBytes }));
    let established = false;
    /** Why the socket ended, if we know better than the socket does. */
    let reason: string | null = null;
    /** The socket's last error code (ECONNREFUSED, ...), for the message. */
    let lastError: string | null = null;
    /** The node refused our AUTH: what everything in flight fails with (the password is wrong, retrying will not help). */
    let authRefusal: RaftKvError | null = null;

    const connectTimer = this.#clock.setTimeout(() => {
      reason = `connecting took over ${this.#connectTimeoutMs} ms`;
      socket.destroy();
    }, this.#connectTimeoutMs);

    this.#connecting = new Promise<Socket>((resolve, reject) => {
      socket.once(readyEvent, () => {
        this.#clock.clearTimeout(connectTimer);
        established = true;
        // AUTH goes first; the node runs a connection's requests in order, so what follows is authenticated.
        const password = this.#security?.password;
        if (password !== undefined) socket.write(`${JSON.stringify({ id: AUTH_ID, op: 'auth', password })}\n`);
        this.#connecting = null;
        this.#logger({ kind: 'connect', nodeId: this.node.id, message: `connected to ${this.address}` });
        resolve(socket);
      });
      // The single cleanup path: whatever ends the socket ends up here exactly once.
      socket.once('close', () => {
        this.#clock.clearTimeout(connectTimer);
        lines.removeAllListeners('data');
        if (this.#socket === socket) this.#socket = null;
        this.#connecting = null;
        const why = reason ?? lastError ?? 'closed by the node';
        const err =
          authRefusal ??
          new RaftKvError(
            established ? 'CONNECTION_LOST' : 'UNAVAILABLE',
            established ? `connection to ${this.#name} lost: ${why}` : `cannot connect to ${this.#name}: ${why}`,
          );
        if (established && !this.#closed) {
          this.#logger({ kind: 'disconnect', nodeId: this.node.id, message: `${this.address}: ${why}` });
        }
        reject(err);
        this.#failAll(err);
      });
    });
    // A connect failure is reported through the pending requests; nobody awaits this directly.
    this.#connecting.catch(() => {});

    socket.on('error', (err: NodeJS.ErrnoException) => {
      lastError = err.code ?? err.message;
    });
    lines.on('error', (err: Error) => {
      reason = `bad reply: ${err.message}`;
      socket.destroy();
    });
    lines.on('data', (line: string) =>
      this.#onLine(socket, line, (r, refusal) => {
        reason = r;
        if (refusal) authRefusal = refusal;
      }),
    );
    return this.#connecting;
  }

  #onLine(socket: Socket, line: string, setReason: (r: string, authRefusal?: RaftKvError) => void): void {
    // Lines that came in the same chunk as the one that made us drop the connection (the answer
    // to a request after a refused AUTH) belong to a connection we gave up on.
    if (socket.destroyed) return;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') return;
    let reply: JsonReply;
    try {
      reply = parseJsonReply(line);
    } catch (err) {
      const why = (err as Error).message;
      this.#logger({ kind: 'protocol-error', nodeId: this.node.id, message: why });
      setReason(why);
      socket.destroy();
      return;
    }
    if (reply.id === AUTH_ID) {
      if (!reply.ok) {
        const why = `AUTH refused: ${reply.error.message}`;
        this.#logger({ kind: 'protocol-error', nodeId: this.node.id, message: why });
        setReason(why, new RaftKvError(reply.error.code, `${this.#name}: ${why}`));
        socket.destroy();
      }
      return;
    }
    if (typeof reply.id !== 'number') {
      // A reply without our id (e.g. an error about an unparseable line) cannot be matched; the
      // request it concerns will time out. Log it: it means this client sent something wrong.
      this.#logger({ kind: 'protocol-error', nodeId: this.node.id, message: `unmatched reply: ${line.slice(0, 200)}` });
      return;
    }
    this.#settle(reply.id, reply);
  }
}
