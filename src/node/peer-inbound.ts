/**
 * The accepting side of the peer port: connections that peers (or strangers) dialled to us.
 *
 * The peer port is open to the network and must survive strangers, so a connection reaches the
 * Raft hot path only after a hello from another cluster member, and what a stranger can make us
 * hold before that is small and bounded:
 * - the first line may be at most `maxHelloBytes` (a hello is about 30 bytes); only after a good
 *   hello may a line be as long as the largest AppendEntries (`maxLineBytes`);
 * - the hello must arrive within `helloTimeoutMs` of the connection;
 * - at most `maxPendingConnections` wait for their hello at once. One more closes the *oldest*
 *   waiting connection rather than being refused itself: a real peer sends its hello as soon as it
 *   connects, so it gets in even while strangers keep the port full, where refusing newcomers would
 *   let a handful of idle sockets lock out every peer that reconnects;
 * - one connection per member: a newer hello from a member closes its older connection, so a
 *   reconnect after a network blip wins and a half-open socket the kernel still thinks alive
 *   does not linger.
 * Anything wrong gets the connection closed with a logged reason; after the hello every line is
 * one Raft message, validated before the consensus core sees it.
 *
 * Without TLS the hello is not authentication: anyone who can reach the port and knows a member's
 * id can pose as that member (and, by the rule above, bump its real connection until it
 * reconnects). With `certified` (mutual TLS, see tls-material.ts) the connection arrives here only
 * after a handshake with a certificate of the cluster CA, and the hello must name the member that
 * certificate was made for: the client certificate, or member 2's certificate saying hello as 3,
 * is refused before a single Raft message is read.
 */
import type net from 'node:net';
import type { Message, NodeId } from '../protocol/raft-messages.js';
import { validateHello, validatePeerMessage } from '../protocol/raft-validate.js';
import { readFirstLine } from './first-line.js';
import { LineSplitter } from './line-splitter.js';
import { certifiedNodeId } from './tls-material.js';
import type { Logger } from './logger.js';

export interface PeerInboundOptions {
  self: NodeId;
  /** Ids of the other cluster members: the only senders a hello may name (see setMembers). */
  members: readonly NodeId[];
  log: Logger;
  onMessage: (m: Message) => void;
  /** Longest line after the hello (a large AppendEntries). */
  maxLineBytes: number;
  /** Longest line before the hello. */
  maxHelloBytes: number;
  /** How long a connection may take to say hello. */
  helloTimeoutMs: number;
  /** Connections waiting for their hello at once; one more closes the oldest. */
  maxPendingConnections: number;
  /** Connections are TLS with a verified client certificate: the hello must match it. */
  certified?: boolean;
  /** Where refusals are logged (bounded rate); default: `log` directly. */
  refusals?: { warn(msg: string): void };
}

/** Closes a connection with a reason; a no-op once the connection is closing. */
type Refuse = (reason: string) => void;

export class PeerInbound {
  /** Every accepted connection not yet closed. */
  private readonly open = new Set<net.Socket>();
  /** Connections waiting for their hello, oldest first (a Map keeps insertion order). */
  private readonly waiting = new Map<net.Socket, Refuse>();
  /** The connection each member last said hello on: at most one per member. */
  private readonly members = new Map<NodeId, net.Socket>();

  /** Who may say hello: follows the membership. */
  private allowed: readonly NodeId[];

  constructor(private readonly opts: PeerInboundOptions) {
    this.allowed = opts.members;
  }

  /**
   * The membership changed: from now on hellos may name `ids`; the connection of a member no
   * longer among them is closed (a removed member must not keep feeding us messages).
   */
  setMembers(ids: readonly NodeId[]): void {
    this.allowed = ids;
    for (const [id, socket] of this.members) {
      if (ids.includes(id)) continue;
      this.opts.log.info(`peer port: node ${id} is no longer a member; closing its connection`);
      this.members.delete(id);
      socket.destroy();
    }
  }

  /** Takes over a connection just accepted on the peer port. */
  accept(socket: net.Socket): void {
    const remote = addressOf(socket);
    let from: NodeId | null = null;
    const refuse: Refuse = (reason) => {
      this.waiting.delete(socket);
      if (socket.destroyed || socket.writableEnded) return;
      (this.opts.refusals ?? this.opts.log).warn(`peer port: closing connection from ${remote}${from ? ` (node ${from})` : ''}: ${reason}`);
      socket.end(JSON.stringify({ error: { code: 'BAD_PEER_MESSAGE', message: reason } }) + '\n');
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    const deadline = setTimeout(() => refuse(`no hello within ${this.opts.helloTimeoutMs} ms`), this.opts.helloTimeoutMs);
    this.open.add(socket);
    socket.on('error', () => {}); // 'close' follows and handles it
    socket.on('close', () => {
      clearTimeout(deadline);
      this.open.delete(socket);
      this.waiting.delete(socket);
      if (from !== null && this.members.get(from) === socket) this.members.delete(from);
    });

    if (this.waiting.size >= this.opts.maxPendingConnections) {
      const refuseOldest = this.waiting.values().next().value!;
      refuseOldest(`${this.opts.maxPendingConnections} newer connections are waiting for a hello; closing the oldest`);
    }
    this.waiting.set(socket, refuse);

    readFirstLine(socket, this.opts.maxHelloBytes, (first) => {
      clearTimeout(deadline);
      // Refused already (deadline, or pushed out of the waiting room) while its hello was on the
      // way: it must not become a member, nor close the member's real connection.
      if (socket.destroyed || socket.writableEnded) return;
      if ('tooLong' in first) return refuse(`more than ${this.opts.maxHelloBytes} bytes before the hello`);
      const sender = this.parseHello(first.line);
      if (typeof sender === 'string') return refuse(sender);
      if (this.opts.certified) {
        const certified = certifiedNodeId(socket);
        if (certified !== sender) return refuse(`hello from node ${sender}, but the certificate is ${certified === null ? 'not a member\'s' : `node ${certified}'s`}`);
      }
      from = sender;
      this.waiting.delete(socket);
      this.replaceOlderConnection(sender, socket);
      this.readMessages(socket, sender, first.rest, refuse);
    });
  }

  /** Closes every incoming connection. */
  close(): void {
    for (const s of this.open) s.destroy();
  }

  private parseHello(line: string): NodeId | string {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return 'not JSON';
    }
    return validateHello(raw, this.opts.self, this.allowed);
  }

  private replaceOlderConnection(from: NodeId, socket: net.Socket): void {
    const older = this.members.get(from);
    this.members.set(from, socket);
    if (!older) return;
    this.opts.log.info(`peer port: node ${from} connected again from ${addressOf(socket)}; closing its older connection from ${addressOf(older)}`);
    older.destroy();
  }

  /** The hot path: one Raft message per line, from the member that said hello, to us. */
  private readMessages(socket: net.Socket, from: NodeId, rest: Buffer, refuse: Refuse): void {
    const splitter = new LineSplitter(this.opts.maxLineBytes);
    const onLine = (line: string) => {
      if (socket.destroyed || socket.writableEnded) return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        refuse('not JSON');
        return;
      }
      const m = validatePeerMessage(raw);
      if (typeof m === 'string') {
        refuse(m);
        return;
      }
      if (m.from !== from || m.to !== this.opts.self) {
        refuse(`message from ${m.from} to ${m.to} on the connection of node ${from}`);
        return;
      }
      this.opts.onMessage(m);
    };
    const onData = (chunk: Buffer) => {
      if (socket.destroyed || socket.writableEnded) return;
      if (!splitter.push(chunk, onLine)) refuse(`line longer than ${this.opts.maxLineBytes} bytes`);
    };
    // The bytes that followed the hello in its chunk go first; readFirstLine left the socket paused.
    if (rest.length > 0) onData(rest);
    socket.on('data', onData);
    socket.resume();
  }
}

function addressOf(socket: net.Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
