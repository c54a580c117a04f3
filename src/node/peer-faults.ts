/**
 * Fault injection between the Raft driver and the peer transport: the network partitions and slow
 * links that `raftkv ctl isolate|cut|slow|heal` asks for, made inside the node so no iptables or
 * root is needed.
 *
 * - Outgoing messages to a peer in `dropTo` are discarded before the transport sees them.
 * - Incoming messages from a peer in `dropFrom` are discarded before the driver sees them.
 *   A one-way cut a -> b is `dropTo: [b]` at a and `dropFrom: [a]` at b; the supervisor sets both
 *   sides, so a cut holds even while one side restarts and has not been told yet.
 * - `delayMs` holds every outgoing batch and every incoming message that long: the node sits
 *   behind a slow link, so a slow follower also applies late and a slow leader's heartbeats
 *   arrive late. Order is kept in each direction (delay-line.ts).
 *
 * Raft tolerates lost messages, so dropping is always safe; this layer never invents, reorders or
 * duplicates one. It also records when a message from each peer last reached the driver (the
 * "last contact" of INFO raft and the link view of raft-tui); a cut peer is therefore not heard.
 *
 * Only the supervisor can change the faults (peer-faults-ipc.ts): the peer and client ports have
 * no command for it.
 */
import type { Message, NodeId } from '../protocol/raft-messages.js';
import { RaftKvError } from '../protocol/errors.js';
import { DelayLine } from './delay-line.js';

/** What a node is told to do; replaces the previous setting wholesale. */
export interface FaultSettings {
  /** Peers whose messages from us are dropped. */
  dropTo: NodeId[];
  /** Peers whose messages to us are dropped. */
  dropFrom: NodeId[];
  /** Every outgoing batch and incoming message waits this long (0 = none). */
  delayMs: number;
}

/** One peer as this node sees it, for status and INFO. */
export interface PeerLink {
  /** A message from this peer reached the driver at least once. */
  heard: boolean;
  /** Milliseconds since the last message from this peer reached the driver; null if never. */
  lastHeardMsAgo: number | null;
  dropTo: boolean;
  dropFrom: boolean;
}

export interface PeerFaultsOptions {
  self: NodeId;
  peers: readonly NodeId[];
  /** The real transport's send. */
  send: (messages: Message[]) => void;
  /** Hands a message to the driver. */
  deliver: (m: Message) => void;
  /** Longest delay accepted; longer would only pile up memory. Default 60 s. */
  maxDelayMs?: number;
  /** Messages held for delay at once, per direction; more are dropped. Default 10000. */
  maxDelayedMessages?: number;
  now?: () => number;
}

export const NO_FAULTS: FaultSettings = { dropTo: [], dropFrom: [], delayMs: 0 };

export class PeerFaults {
  private dropTo = new Set<NodeId>();
  private dropFrom = new Set<NodeId>();
  private delayMs = 0;
  private readonly outLine: DelayLine<Message>;
  private readonly inLine: DelayLine<Message>;
  private readonly lastHeard = new Map<NodeId, number>();
  private readonly opts: Required<PeerFaultsOptions>;
  /** Messages this layer dropped, for status. */
  readonly counters = { droppedOut: 0, droppedIn: 0, delayed: 0 };
  /** The members faults may name; follows the membership (setPeers). */
  private peers: readonly NodeId[];

  constructor(opts: PeerFaultsOptions) {
    this.opts = { maxDelayMs: 60_000, maxDelayedMessages: 10_000, now: () => performance.now(), ...opts };
    this.peers = opts.peers;
    this.outLine = new DelayLine((m) => this.opts.send([m]), this.opts.maxDelayedMessages, this.opts.now);
    this.inLine = new DelayLine((m) => this.deliver(m), this.opts.maxDelayedMessages, this.opts.now);
  }

  /** The membership changed: faults may name the new members (cuts of removed ones stay until healed). */
  setPeers(peers: readonly NodeId[]): void {
    this.peers = peers;
  }

  /** Replaces the settings; throws BAD_REQUEST (and changes nothing) if they are invalid. */
  set(s: FaultSettings): void {
    const known = new Set(this.peers.filter((p) => p !== this.opts.self));
    for (const id of [...s.dropTo, ...s.dropFrom]) {
      if (!known.has(id)) throw new RaftKvError('BAD_REQUEST', `node ${this.opts.self}: ${id} is not a peer (peers: ${[...known].join(', ')})`);
    }
    if (!Number.isSafeInteger(s.delayMs) || s.delayMs < 0 || s.delayMs > this.opts.maxDelayMs) {
      throw new RaftKvError('BAD_REQUEST', `delay must be an integer from 0 to ${this.opts.maxDelayMs} ms, got ${s.delayMs}`);
    }
    this.dropTo = new Set(s.dropTo);
    this.dropFrom = new Set(s.dropFrom);
    this.delayMs = s.delayMs;
    // Held messages of a link cut meanwhile must not slip through after the cut.
    if (this.dropTo.size > 0) this.outLine.filter((m) => this.passesOut(m));
    if (this.dropFrom.size > 0) this.inLine.filter((m) => !this.dropFrom.has(m.from));
  }

  settings(): FaultSettings {
    return { dropTo: [...this.dropTo].sort(), dropFrom: [...this.dropFrom].sort(), delayMs: this.delayMs };
  }

  /** The driver's send: drop what is cut, hold the rest for the delay. */
  send(messages: Message[]): void {
    let out = messages;
    if (this.dropTo.size > 0) {
      out = messages.filter((m) => this.passesOut(m));
      this.counters.droppedOut += messages.length - out.length;
    }
    if (out.length === 0) return;
    if (this.delayMs === 0 && this.outLine.length === 0) return this.opts.send(out);
    // One message per item, so a cut made while they wait can drop exactly its peer's share.
    for (const m of out) {
      if (this.outLine.put(m, this.delayMs)) this.counters.delayed++;
      else this.counters.droppedOut++;
    }
  }

  /** The transport's onMessage: drop what is cut, note the contact, hand the rest on. */
  receive(m: Message): void {
    if (this.dropFrom.has(m.from)) {
      this.counters.droppedIn++;
      return;
    }
    if (this.delayMs === 0 && this.inLine.length === 0) return this.deliver(m);
    if (this.inLine.put(m, this.delayMs)) this.counters.delayed++;
    else this.counters.droppedIn++;
  }

  /** Contact is what reaches the driver: a held message is heard when it is handed on. */
  private deliver(m: Message): void {
    this.lastHeard.set(m.from, this.opts.now());
    this.opts.deliver(m);
  }

  /** Per peer id: when we last heard it and what is cut. */
  links(): Record<string, PeerLink> {
    const now = this.opts.now();
    const r: Record<string, PeerLink> = {};
    for (const id of this.peers) {
      if (id === this.opts.self) continue;
      const at = this.lastHeard.get(id);
      r[String(id)] = {
        heard: at !== undefined,
        lastHeardMsAgo: at === undefined ? null : Math.round(now - at),
        dropTo: this.dropTo.has(id),
        dropFrom: this.dropFrom.has(id),
      };
    }
    return r;
  }

  /** Drops what is held; nothing is sent or delivered after this. */
  close(): void {
    this.outLine.clear();
    this.inLine.clear();
  }

  private passesOut(m: Message): boolean {
    return !this.dropTo.has(m.to);
  }
}
