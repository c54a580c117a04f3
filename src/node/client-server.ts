/**
 * The client port: one TCP server speaking three dialects per request (JSON lines, RESP2,
 * inline), see DESIGN.md. Any node takes any request: writes go through the driver (followers'
 * cores forward them to the leader), linearizable reads wait for a ReadIndex round, stale reads
 * are served locally at once. Each connection's decoding, ordering and replies live in
 * client-connection.ts; this file accepts connections and runs requests against the node.
 */
import net from 'node:net';
import type { ClientRequest, ReadRequest, WriteSession } from '../protocol/client-requests.js';
import { renderInfo, type InfoFacts } from '../protocol/redis-info.js';
import { renderRaftInfo } from '../protocol/redis-raft-info.js';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import type { NodeStats } from './node-stats.js';
import { ClientConnection, type RequestRunner } from './client-connection.js';
import type { KvCommand } from './kv-command.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { Logger } from './logger.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { PasswordCheck } from '../protocol/auth.js';
import { clientTlsServer, type TlsMaterial } from './tls-material.js';
import { keysWithin, newestEntriesWithin } from './reply-caps.js';
import type { Completion } from './client-waiters.js';
import type { RaftDriver } from './raft-driver.js';
import type { MembershipRequests } from './membership-requests.js';

export interface ClientServerOptions {
  host: string;
  port: number;
  driver: RaftDriver;
  sm: KvStateMachine;
  log: Logger;
  /** Extra facts for status (pid, ports, peers...). */
  info: () => Record<string, unknown>;
  /** What INFO and RAFT.INFO report (node-facts.ts). */
  facts: () => InfoFacts;
  /** Counts connections and requests (INFO stats, metrics). */
  stats: NodeStats;
  /** TLS on the client port (cluster.json security.clientTls on|mutual); absent: clear text. */
  tls?: { material: TlsMaterial; mode: 'on' | 'mutual' } | null;
  /** The password clients must AUTH with; null or absent: none. Never logged. */
  password?: string | null;
  /** With a password: how long a connection may stay unauthenticated. Default 10 s. */
  authTimeoutMs?: number;
  /** Connections, pending requests and unsent output allowed (defaults: DEFAULT_CLIENT_LIMITS). */
  limits?: Partial<ClientLimits>;
  /** Membership requests (membership-requests.ts); absent: they are refused as unknown. */
  membership?: Pick<MembershipRequests, 'run'>;
}

/** Redis's names in brackets. */
export interface ClientLimits {
  /** Open client connections (maxclients); one more gets `-ERR max number of clients reached`. */
  maxClients: number;
  /** Replies outstanding per connection before it stops being read. */
  maxPending: number;
  /** Unsent reply bytes per connection before it is disconnected (client-output-buffer-limit). */
  maxOutputBytes: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  maxClients: 10_000,
  maxPending: 4096,
  maxOutputBytes: 64 * 1024 * 1024,
};

const MAX_CLIENTS_REPLY = '-ERR max number of clients reached\r\n';

export class ClientServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly limits: ClientLimits;
  /** Strangers can cause these lines as fast as they can connect. */
  private readonly refusals: RateLimitedLog;
  private readonly runRequest: RequestRunner = (req, done) => {
    const { stats } = this.opts;
    const at = performance.now();
    this.run(req, (err, value) => {
      stats.request(req.op, err ? toRaftKvError(err).code : null, at);
      done(err, value);
    });
  };
  private readonly auth: { check: PasswordCheck; timeoutMs: number };

  constructor(private readonly opts: ClientServerOptions) {
    this.auth = { check: new PasswordCheck(opts.password ?? null), timeoutMs: opts.authTimeoutMs ?? 10_000 };
    this.limits = { ...DEFAULT_CLIENT_LIMITS, ...opts.limits };
    this.refusals = new RateLimitedLog(opts.log);
    // allowHalfOpen: a client that sends its requests and shuts down its side (nc -N, a pipe)
    // still gets every reply before we close.
    if (opts.tls) {
      this.server = clientTlsServer(opts.tls.material, opts.tls.mode, (s) => {
        s.setNoDelay(true);
        this.accept(s);
      });
      this.server.on('tlsClientError', (err, s) => {
        this.refusals.warn(`client ${s.remoteAddress}:${s.remotePort}: TLS handshake refused: ${err.message}`);
        s.destroy();
      });
    } else {
      this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(s));
    }
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

  /** What INFO reports now (also what the metrics read). */
  readonly facts = (): InfoFacts => this.opts.facts();

  get connections(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    this.opts.stats.connectionsReceived++;
    if (this.sockets.size >= this.limits.maxClients) {
      this.opts.stats.rejectedConnections++;
      // As Redis: say why, then close. The socket is not counted, so it costs nothing once gone.
      this.refusals.warn(`client ${socket.remoteAddress}:${socket.remotePort}: refused, ${this.limits.maxClients} clients connected already (max clients)`);
      socket.on('error', () => {});
      socket.end(MAX_CLIENTS_REPLY);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    new ClientConnection(socket, this.runRequest, this.refusals, this.limits, this.auth);
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
        if (req.consistency === 'stale') return this.answerRead(req, done);
        return driver.readBarrier((err) => (err ? done(err) : this.answerRead(req, done)));
      case 'members':
      case 'addMember':
      case 'promoteMember':
      case 'removeMember':
      case 'transferLeader':
        if (!this.opts.membership) return done(new RaftKvError('UNKNOWN_OP', `op '${req.op}' is not served by this node`));
        return this.opts.membership.run(req, done);
      case 'snapshot':
        if (req.background) return done(null, { started: driver.startBackgroundSnapshot() });
        return void driver.snapshotNow().then(
          (f) => done(null, f ? { index: f.index, term: f.term } : null),
          (err: unknown) => done(toRaftKvError(err)),
        );
    }
    done(null, this.answerLocally(req));
  }

  /** Answers a read; a read that cannot be answered (too large) gets its error, never a throw into the driver. */
  private answerRead(req: ReadRequest, done: Completion<unknown>): void {
    let value: unknown;
    try {
      value = this.read(req);
    } catch (err) {
      return done(err as RaftKvError);
    }
    done(null, value);
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
        return keysWithin(sm.keys(req.pattern));
    }
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
        return newestEntriesWithin(driver.recentEntries(req.limit));
      case 'info':
        return renderInfo(req.section, this.opts.facts());
      case 'raftInfo':
        return renderRaftInfo(this.opts.facts());
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
