/**
 * Raft peer transport: NDJSON over TCP on each node's peerPort.
 *
 * Each node dials one persistent outgoing connection to every peer and sends its messages there;
 * it only reads from connections peers dialled to it. The first line on a connection is a hello
 * naming the sender. This file is the sending side; the accepting side, which must survive
 * strangers on the network, is peer-inbound.ts.
 *
 * Raft tolerates lost messages, so the transport may drop: while a peer is disconnected its
 * messages are discarded, and when its socket pushes back (write() === false) messages queue up to
 * a byte bound, beyond which they are dropped. A slow peer therefore cannot grow the leader's memory
 * without bound. Reconnects back off exponentially.
 *
 * The peers follow the membership (setPeers, from the core's Ready.membership): a new member is
 * dialled and may say hello; a removed one keeps its connections for `removedGraceMs` (its
 * leader still sends it the log until its removal commits, so that it learns of it), then they
 * are closed.
 */
import net from 'node:net';
import { stringifyWithEntries } from '../protocol/entries-json.js';
import type { Hello, Message, NodeId } from '../protocol/raft-messages.js';
import type { Logger } from './logger.js';
import { PeerInbound } from './peer-inbound.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { dialPeerTls, peerTlsServer, type TlsMaterial } from './tls-material.js';

export interface PeerAddress {
  id: NodeId;
  host: string;
  /** Where to bind when it differs from `host` (cluster.json `listenHost`). */
  listenHost?: string;
  peerPort: number;
}

export interface PeerTransportOptions {
  self: PeerAddress;
  peers: PeerAddress[];
  log: Logger;
  onMessage: (m: Message) => void;
  /** Bytes queued per peer while its socket pushes back; more is dropped. */
  maxQueuedBytes?: number;
  /** Longest accepted line (a large AppendEntries). */
  maxLineBytes?: number;
  /** Longest line a connection may send before its hello. */
  maxHelloBytes?: number;
  /** How long an incoming connection may take to say hello. */
  helloTimeoutMs?: number;
  /** Incoming connections waiting for their hello at once; one more closes the oldest. */
  maxPendingConnections?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Mutual TLS 1.3 on both sides (cluster.json security.certDir); null or absent: plain TCP. */
  tls?: TlsMaterial | null;
  /** How long a member dropped by setPeers stays connected. Default 10 s; a node uses removedMemberGraceMs (timing.ts). */
  removedGraceMs?: number;
}

export interface PeerStats {
  connected: boolean;
  sentMessages: number;
  droppedMessages: number;
  queuedBytes: number;
}

/** One outgoing connection with its reconnect loop and bounded queue. */
class OutgoingPeer {
  private socket: net.Socket | null = null;
  private connected = false;
  private congested = false;
  private queue: string[] = [];
  private queuedBytes = 0;
  private backoffMs: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private tlsErrorLogged = false;
  readonly stats: PeerStats = { connected: false, sentMessages: 0, droppedMessages: 0, queuedBytes: 0 };

  constructor(
    private readonly self: PeerAddress,
    private readonly peer: PeerAddress,
    private readonly opts: Required<Pick<PeerTransportOptions, 'maxQueuedBytes' | 'reconnectMinMs' | 'reconnectMaxMs' | 'tls'>> & { log: Logger },
  ) {
    this.backoffMs = opts.reconnectMinMs;
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const { tls } = this.opts;
    const socket = tls ? dialPeerTls(tls, this.peer.host, this.peer.peerPort, this.peer.id) : net.connect({ host: this.peer.host, port: this.peer.peerPort });
    this.socket = socket;
    socket.setNoDelay(true);
    // With TLS the hello waits for the handshake, in which both sides proved who they are.
    socket.on(tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      this.tlsErrorLogged = false;
      this.stats.connected = true;
      this.backoffMs = this.opts.reconnectMinMs;
      const hello: Hello = { hello: { from: this.self.id, to: this.peer.id } };
      socket.write(JSON.stringify(hello) + '\n');
      this.opts.log.info(`peer ${this.peer.id} up (connected to ${this.peer.host}:${this.peer.peerPort})`);
    });
    socket.on('drain', () => this.flush());
    // Peers never write back on this connection; drain reads so a misbehaving one cannot stall us.
    socket.on('data', () => {});
    // With TLS, 'connect' (TCP up) comes before 'secureConnect': an error in between is the handshake.
    let tcpUp = false;
    if (tls) socket.once('connect', () => (tcpUp = true));
    socket.on('error', (err) => {
      // A refused certificate is a configuration problem worth one line per outage, not per retry.
      if (tls && tcpUp && !this.connected && !this.tlsErrorLogged) {
        this.tlsErrorLogged = true;
        this.opts.log.warn(`peer ${this.peer.id}: TLS handshake failed: ${err.message}`);
      }
    }); // 'close' follows and handles it
    socket.on('close', () => {
      const was = this.connected;
      this.connected = false;
      this.congested = false;
      this.stats.connected = false;
      this.stats.droppedMessages += this.queue.length;
      this.queue = [];
      this.queuedBytes = 0;
      this.socket = null;
      if (was) this.opts.log.info(`peer ${this.peer.id} down (connection closed)`);
      if (!this.closed) {
        const delay = this.backoffMs * (0.75 + Math.random() * 0.5);
        this.backoffMs = Math.min(this.backoffMs * 2, this.opts.reconnectMaxMs);
        this.timer = setTimeout(() => this.connect(), delay);
      }
    });
  }

  /** Queue one batch of lines for this peer. */
  send(lines: string): void {
    if (!this.connected || !this.socket) {
      this.stats.droppedMessages++;
      return;
    }
    if (this.congested) {
      if (this.queuedBytes + lines.length > this.opts.maxQueuedBytes) {
        this.stats.droppedMessages++;
        return;
      }
      this.queue.push(lines);
      this.queuedBytes += lines.length;
      this.stats.queuedBytes = this.queuedBytes;
      return;
    }
    this.stats.sentMessages++;
    if (!this.socket.write(lines)) this.congested = true;
  }

  private flush(): void {
    this.congested = false;
    while (this.queue.length > 0 && this.socket && !this.congested) {
      const lines = this.queue.shift()!;
      this.queuedBytes -= lines.length;
      this.stats.sentMessages++;
      if (!this.socket.write(lines)) this.congested = true;
    }
    this.stats.queuedBytes = this.queuedBytes;
  }

  /** Bytes waiting to be sent (ours and the socket's), or null while disconnected. */
  backlog(): number | null {
    if (!this.connected || !this.socket) return null;
    return this.queuedBytes + this.socket.writableLength;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
  }
}

export class PeerTransport {
  private readonly server: net.Server;
  /** Strangers can cause these lines (failed handshakes) as fast as they connect. */
  private readonly refusals: RateLimitedLog;
  private readonly out = new Map<NodeId, OutgoingPeer>();
  /** Where each peer is (the members and those in their grace period). */
  private readonly addresses = new Map<NodeId, PeerAddress>();
  /** Peers dropped by setPeers, closed when their timer fires (cancelled if they come back). */
  private readonly leaving = new Map<NodeId, NodeJS.Timeout>();
  private started = false;
  private closed = false;
  private readonly inbound: PeerInbound;
  private readonly opts: Required<PeerTransportOptions>;

  constructor(opts: PeerTransportOptions) {
    this.opts = {
      maxQueuedBytes: 16 * 1024 * 1024,
      maxLineBytes: 64 * 1024 * 1024,
      // A hello is about 30 bytes; a real peer says it at once, and a cluster has few members.
      maxHelloBytes: 1024,
      helloTimeoutMs: 5000,
      maxPendingConnections: 8,
      reconnectMinMs: 50,
      reconnectMaxMs: 1000,
      tls: null,
      removedGraceMs: 10_000,
      ...opts,
    };
    for (const p of this.opts.peers) if (p.id !== this.opts.self.id) this.addresses.set(p.id, p);
    this.refusals = new RateLimitedLog(this.opts.log);
    this.inbound = new PeerInbound({
      self: this.opts.self.id,
      members: [...this.addresses.keys()],
      log: this.opts.log,
      onMessage: this.opts.onMessage,
      maxLineBytes: this.opts.maxLineBytes,
      maxHelloBytes: this.opts.maxHelloBytes,
      helloTimeoutMs: this.opts.helloTimeoutMs,
      maxPendingConnections: this.opts.maxPendingConnections,
      certified: this.opts.tls !== null,
      refusals: this.refusals,
    });
    if (this.opts.tls) {
      this.server = peerTlsServer(this.opts.tls, (s) => this.inbound.accept(s));
      // Another CA, no certificate, plain TCP: refused in the handshake, before any line is read.
      this.server.on('tlsClientError', (err, s) => {
        this.refusals.warn(`peer port: TLS handshake refused from ${s.remoteAddress}:${s.remotePort}: ${err.message}`);
        s.destroy();
      });
    } else {
      this.server = net.createServer((s) => this.inbound.accept(s));
    }
  }

  /** Listen on our peer port and start dialling peers. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.self.peerPort, this.opts.self.listenHost ?? this.opts.self.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.started = true;
    for (const p of this.addresses.values()) this.dial(p);
  }

  /**
   * The peers are now `peers` (this node left out): new ones are dialled, a moved one re-dialled,
   * and one no longer listed is closed after the grace period.
   */
  setPeers(peers: readonly PeerAddress[]): void {
    if (this.closed) return;
    const next = new Map(peers.filter((p) => p.id !== this.opts.self.id).map((p) => [p.id, p]));
    for (const [id, p] of next) {
      const timer = this.leaving.get(id);
      if (timer) {
        clearTimeout(timer);
        this.leaving.delete(id);
      }
      const known = this.addresses.get(id);
      if (known && known.host === p.host && known.peerPort === p.peerPort) continue;
      this.addresses.set(id, p);
      if (this.started) this.dial(p);
    }
    for (const id of this.addresses.keys()) {
      if (next.has(id) || this.leaving.has(id)) continue;
      const timer = setTimeout(() => this.forget(id), this.opts.removedGraceMs);
      timer.unref();
      this.leaving.set(id, timer);
    }
    this.inbound.setMembers([...this.addresses.keys()]);
  }

  private dial(p: PeerAddress): void {
    this.out.get(p.id)?.close();
    this.out.set(p.id, new OutgoingPeer(this.opts.self, p, this.opts));
  }

  private forget(id: NodeId): void {
    this.leaving.delete(id);
    this.addresses.delete(id);
    this.out.get(id)?.close();
    this.out.delete(id);
    this.opts.log.info(`peer ${id}: no longer a member; connections closed`);
    this.inbound.setMembers([...this.addresses.keys()]);
  }

  /** Send messages, one write per peer per call. */
  send(messages: Message[]): void {
    if (messages.length === 0) return;
    const byPeer = new Map<NodeId, string>();
    for (const m of messages) {
      // Appends to several followers (and the WAL) share one serialisation of their entries.
      const line = m.type === 'append' ? stringifyWithEntries(m) : JSON.stringify(m);
      byPeer.set(m.to, (byPeer.get(m.to) ?? '') + line + '\n');
    }
    for (const [to, lines] of byPeer) this.out.get(to)?.send(lines);
  }

  /** Bytes waiting to go to `to`, or null when there is no connection to it (snapshot flow control). */
  backlog(to: NodeId): number | null {
    return this.out.get(to)?.backlog() ?? null;
  }

  stats(): Record<string, PeerStats> {
    const r: Record<string, PeerStats> = {};
    for (const [id, p] of this.out) r[String(id)] = { ...p.stats };
    return r;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.leaving.values()) clearTimeout(timer);
    this.leaving.clear();
    for (const p of this.out.values()) p.close();
    this.inbound.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
