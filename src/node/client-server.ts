/**
 * The client port: one TCP server speaking three dialects per request (JSON lines, RESP2,
 * inline), see DESIGN.md. Any node takes any request: writes go through the driver (followers'
 * cores forward them to the leader), linearizable reads wait for a ReadIndex round, stale reads
 * are served locally at once. Each connection's decoding, ordering and replies live in
 * client-connection.ts; this file accepts connections and runs requests against the node.
 */
import net from 'node:net';
import type { ClientRequest, ReadRequest, WriteSession } from '../protocol/client-requests.js';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import { renderInfo, type InfoFacts } from '../protocol/redis-info.js';
import { ClientConnection, type RequestRunner } from './client-connection.js';
import type { KvCommand } from './kv-command.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { Logger } from './logger.js';
import type { Completion } from './client-waiters.js';
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

export class ClientServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly maxOutstanding: number;
  private readonly runRequest: RequestRunner = (req, done) => this.run(req, done);

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

  /** The port listened on (after start): the OS picks one when the options said 0. */
  get boundPort(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get connections(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    new ClientConnection(socket, this.runRequest, this.opts.log, this.maxOutstanding);
  }

  /** Runs one request; `done` is called once, at once or when the driver completes it. */
  private run(req: ClientRequest, done: Completion<unknown>): void {
    const { driver } = this.opts;
    switch (req.op) {
      case 'set':
        return driver.propose(withSession({ op: 'set', key: req.key, value: req.value }, req), done);
      case 'del':
        return driver.propose(withSession({ op: 'del', keys: req.keys }, req), done);
      case 'cas':
        return driver.propose(withSession({ op: 'cas', key: req.key, expected: req.expected, value: req.value }, req), done);
      case 'get':
      case 'exists':
      case 'keys':
        if (req.consistency === 'stale') return done(null, this.read(req));
        return driver.readBarrier((err) => (err ? done(err) : done(null, this.read(req))));
      case 'snapshot':
        if (req.background) return done(null, { started: driver.startBackgroundSnapshot() });
        return void driver.snapshotNow().then(
          (f) => done(null, f ? { index: f.index, term: f.term } : null),
          (err: unknown) => done(toRaftKvError(err)),
        );
    }
    done(null, this.answerLocally(req));
  }

  /** Reads the local state machine (after a read barrier, unless the client asked for stale). */
  private read(req: ReadRequest): unknown {
    const { sm } = this.opts;
    switch (req.op) {
      case 'get':
        return sm.get(req.key);
      case 'exists':
        return sm.exists(req.keys);
      case 'keys':
        return sm.keys(req.pattern);
    }
  }

  /** INFO persistence: Redis's RDB fields, with our snapshots in the part of RDB files. */
  private persistenceFacts(lastApplied: number): InfoFacts['persistence'] {
    const st = this.opts.driver.snapshotStats();
    const extra = this.opts.info();
    return {
      changesSinceLastSave: lastApplied - (st?.newest?.index ?? 0),
      inProgress: st?.inProgress ?? false,
      lastSaveTime: st?.lastSaveTime ?? 0,
      lastStatus: st?.lastStatus ?? 'ok',
      lastDurationMs: st?.lastDurationMs ?? 0,
      snapshotIndex: st?.newest?.index ?? 0,
      snapshotTerm: st?.newest?.term ?? 0,
      snapshotBytes: st?.lastBytes ?? 0,
      walBytes: typeof extra.walBytes === 'number' ? extra.walBytes : 0,
    };
  }

  /** Requests about the node itself, answered without the log. */
  private answerLocally(req: ClientRequest): unknown {
    const { driver, sm } = this.opts;
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
          persistence: this.persistenceFacts(s.lastApplied),
        });
      }
    }
    throw new RaftKvError('UNKNOWN_OP', `unsupported op ${(req as { op: string }).op}`);
  }
}

/** Exactly-once session fields travel with the command when the client sent them. */
function withSession<C extends KvCommand>(cmd: C, req: WriteSession): C {
  if (req.clientId !== undefined && req.seq !== undefined) {
    cmd.clientId = req.clientId;
    cmd.seq = req.seq;
  }
  return cmd;
}
