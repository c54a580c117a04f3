/**
 * The accepting side of the peer port: connections that peers (or strangers) dialled to us.
 *
 * The first line on a connection must be a hello from another cluster member, meant for us; after
 * it every line is one Raft message from that member, validated before the consensus core sees
 * it. Anything else gets the connection closed with a logged reason: the peer port is open to the
 * network and must survive strangers.
 */
import type net from 'node:net';
import split2 from 'split2';
import type { Hello, Message, NodeId } from '../protocol/raft-messages.js';
import { validatePeerMessage } from '../protocol/raft-validate.js';
import type { Logger } from './logger.js';

export interface PeerInboundOptions {
  self: NodeId;
  /** Ids of the other cluster members: the only senders a hello may name. */
  members: readonly NodeId[];
  log: Logger;
  onMessage: (m: Message) => void;
  /** Longest accepted line (a large AppendEntries). */
  maxLineBytes: number;
}

export class PeerInbound {
  /** Every accepted connection not yet closed. */
  private readonly open = new Set<net.Socket>();

  constructor(private readonly opts: PeerInboundOptions) {}

  /** Takes over a connection just accepted on the peer port. */
  accept(socket: net.Socket): void {
    this.open.add(socket);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let from: NodeId | null = null;
    const refuse = (reason: string) => {
      this.opts.log.warn(`peer port: closing connection from ${remote}${from ? ` (node ${from})` : ''}: ${reason}`);
      socket.end(JSON.stringify({ error: { code: 'BAD_PEER_MESSAGE', message: reason } }) + '\n');
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    const lines = socket.pipe(split2({ maxLength: this.opts.maxLineBytes }));
    lines.on('error', () => refuse(`line longer than ${this.opts.maxLineBytes} bytes`));
    lines.on('data', (line: string) => {
      if (socket.destroyed || socket.writableEnded) return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        refuse('not JSON');
        return;
      }
      if (from === null) {
        const h = (raw as Partial<Hello> | null)?.hello;
        if (!h || !this.opts.members.includes(h.from) || h.to !== this.opts.self) {
          refuse('expected a hello from a cluster member first');
          return;
        }
        from = h.from;
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
    });
    socket.on('error', () => {});
    socket.on('close', () => this.open.delete(socket));
  }

  /** Closes every incoming connection. */
  close(): void {
    for (const s of this.open) s.destroy();
  }
}
