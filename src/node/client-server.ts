/**
 * The client port: one TCP server speaking three dialects per request (JSON lines, RESP2,
 * inline), see DESIGN.md. Any node takes any request: writes go through the driver (followers'
 * cores forward them to the leader), linearizable reads wait for a ReadIndex round, stale reads
 * are served locally at once.
 *
 * Per connection, replies leave in request order (Redis clients pipeline and match replies by
 * position), and a read waits for the writes the same connection sent before it, so a pipelined
 * `SET k v` then `GET k` sees its own write as it would on Redis. Backpressure: when the socket
 * pushes back or too many requests are outstanding, reading pauses until it drains.
 */
import net from 'node:net';
import { ClientRequestDecoder, type DecodedRequest } from '../protocol/client-decoder.js';
import { encodeJsonError, encodeJsonReply, isRead, isWrite, parseJsonRequest, type ClientRequest, type RequestId } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';
import { encodeRespError, encodeRespResult, parseRedisCommand, renderInfo, type RespReplyShape } from '../protocol/redis-commands.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { Logger } from './logger.js';
import type { RaftDriver } from './raft-driver.js';

export interface ClientServerOptions {
  host: string;
  port: number;
  driver: RaftDriver;
  sm: KvStateMachine;
  log: Logger;
  /** Extra facts for status and INFO (pid, ports, peers...). */
  info: () => Record<string, unknown>;
  /** Pause reading a connection with this many replies outstanding. */
  maxOutstanding?: number;
}

interface Slot {
  data: string | null;
  close: boolean;
}

export class ClientServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly maxOutstanding: number;

  constructor(private readonly opts: ClientServerOptions) {
    this.maxOutstanding = opts.maxOutstanding ?? 4096;
    // allowHalfOpen: a client that sends its requests and shuts down its side (nc -N, a pipe)
    // still gets every reply before we close.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(s));
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  get connections(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const decoder = new ClientRequestDecoder();
    const queue: Slot[] = [];
    let ended = false; // the client half-closed
    let closing = false;
    let lastWrite: Promise<unknown> = Promise.resolve();
    let lastRead: Promise<unknown> = Promise.resolve();

    const flush = () => {
      let out = '';
      let close = false;
      while (queue.length > 0 && queue[0]!.data !== null) {
        const slot = queue.shift()!;
        out += slot.data;
        if (slot.close) {
          close = true;
          queue.length = 0;
          break;
        }
      }
      if (out && !socket.destroyed) {
        if (!socket.write(out)) socket.pause();
      }
      if (close) {
        closing = true;
        socket.end();
        return;
      }
      if (ended && queue.length === 0) socket.end();
      else if (socket.isPaused() && queue.length < this.maxOutstanding && socket.writableLength === 0) socket.resume();
    };
    socket.on('drain', flush);

    const reserve = (): Slot => {
      const slot: Slot = { data: null, close: false };
      queue.push(slot);
      return slot;
    };
    const fill = (slot: Slot, data: string, close = false) => {
      slot.data = data;
      slot.close = close;
      flush();
    };

    /** Set by READONLY / READWRITE; JSON requests say it per request instead. */
    let readConsistency: 'stale' | 'linearizable' = 'linearizable';
    const handle = (d: DecodedRequest) => {
      const slot = reserve();
      if (d.kind === 'error') {
        if (d.fatal) this.opts.log.warn(`client ${socket.remoteAddress}:${socket.remotePort}: ${d.error.message}; closing the connection`);
        fill(slot, d.dialect === 'json' ? encodeJsonError(null, d.error) : encodeRespError(d.error), d.fatal);
        return;
      }
      let req: ClientRequest;
      let reply: (value: unknown) => string;
      let replyError: (err: unknown) => string;
      if (d.kind === 'json') {
        const parsed = parseJsonRequest(d.line);
        const id: RequestId = parsed.id;
        if (!parsed.ok) {
          fill(slot, encodeJsonError(id, parsed.error));
          return;
        }
        req = parsed.req;
        reply = (v) => encodeJsonReply(id, v);
        replyError = (e) => encodeJsonError(id, e);
      } else {
        const dispatch = parseRedisCommand(d.argv);
        if (dispatch.kind === 'reply') {
          if (dispatch.readConsistency) readConsistency = dispatch.readConsistency;
          fill(slot, dispatch.reply, dispatch.close);
          return;
        }
        req = dispatch.req;
        // After READONLY, this connection's reads skip the ReadIndex round (Redis Cluster's
        // replica reads): the client asked for speed over freshness.
        if (readConsistency === 'stale' && isRead(req) && req.consistency === undefined) req = { ...req, consistency: 'stale' };
        const shape: RespReplyShape = dispatch.shape;
        const r = req;
        reply = (v) => encodeRespResult(r, v, shape);
        replyError = (e) => encodeRespError(e);
      }
      // Order within a connection: a read waits for the writes before it, a write for the reads
      // before it; runs of writes (or of reads) still pipeline and batch freely.
      const work = this.execute(req, isWrite(req) ? lastRead : lastWrite);
      if (isWrite(req)) lastWrite = work.catch(() => {});
      else if (isRead(req)) lastRead = work.catch(() => {});
      work.then(
        (v) => fill(slot, reply(v)),
        (e) => fill(slot, replyError(e)),
      );
    };

    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      let decoded: DecodedRequest[];
      try {
        decoded = decoder.push(chunk);
      } catch (err) {
        this.opts.log.error(`client decoder failed: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      for (const d of decoded) {
        if (closing) break;
        handle(d);
        if (d.kind === 'error' && d.fatal) break;
      }
      if (queue.length >= this.maxOutstanding) socket.pause();
    });
    socket.on('end', () => {
      ended = true;
      if (decoder.inProgress && !closing) {
        // EOF in the middle of a request: answer what we can, say why the rest is dropped.
        const slot = reserve();
        const err = new RaftKvError('BAD_REQUEST', 'connection closed in the middle of a request');
        fill(slot, decoder.partialDialect === 'json' ? encodeJsonError(null, err) : encodeRespError(err));
        return;
      }
      flush();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Runs one request once `after` (the earlier work it must not overtake) has settled. */
  private async execute(req: ClientRequest, after: Promise<unknown>): Promise<unknown> {
    const { driver, sm } = this.opts;
    if (isWrite(req)) {
      await after;
      const session = req.clientId !== undefined && req.seq !== undefined ? { clientId: req.clientId, seq: req.seq } : {};
      switch (req.op) {
        case 'set':
          return driver.propose({ op: 'set', key: req.key, value: req.value, ...session });
        case 'del':
          return driver.propose({ op: 'del', keys: req.keys, ...session });
        case 'cas':
          return driver.propose({ op: 'cas', key: req.key, expected: req.expected, value: req.value, ...session });
      }
    }
    if (isRead(req)) {
      await after;
      if (req.consistency !== 'stale') await driver.readBarrier();
      switch (req.op) {
        case 'get':
          return sm.get(req.key);
        case 'exists':
          return sm.exists(req.keys);
        case 'keys':
          return sm.keys(req.pattern);
      }
    }
    switch (req.op) {
      case 'ping':
        return req.message ?? 'PONG';
      case 'status':
        return { ...driver.status(), ...this.opts.info(), connectedClients: this.sockets.size };
      case 'entries':
        return driver.recentEntries(req.limit);
      case 'info': {
        const s = driver.status();
        const extra = this.opts.info();
        return renderInfo(req.section, {
          nodeId: s.id,
          role: s.role,
          term: s.term,
          leader: s.leader,
          commitIndex: s.commitIndex,
          lastApplied: s.lastApplied,
          lastLogIndex: s.lastLogIndex,
          keys: sm.size,
          tcpPort: extra.clientPort as number,
          uptimeSeconds: Math.floor((extra.uptimeMs as number) / 1000),
          connectedClients: this.sockets.size,
          processId: process.pid,
          nodes: extra.nodes as Array<{ id: number; host: string; port: number }>,
          peerLinks: extra.peers as Record<string, { connected: boolean }>,
          progress: s.progress,
        });
      }
    }
    throw new RaftKvError('UNKNOWN_OP', `unsupported op ${(req as { op: string }).op}`);
  }
}
