/**
 * Pending ReadIndex requests on a leader (Raft thesis §6.4; etcd's readOnly).
 *
 * A read arriving at commit index C is safe to serve once a majority has acknowledged a heartbeat
 * sent after the read arrived: then no other leader can have committed anything newer than C.
 * Requests are kept in arrival order; when one gets a quorum of acks, every request before it is
 * safe too (their heartbeat rounds were earlier, so the acks cover them).
 */
import type { NodeId } from '../../protocol/raft-messages.js';

export interface PendingRead {
  ctx: string;
  /**
   * The request's key in this queue and in the heartbeats that confirm it: the context qualified
   * by the node that asked, so that two followers whose clients picked the same context never
   * get each other's answer (and one of them none).
   */
  key: string;
  /** Commit index when the request arrived. */
  index: number;
  /** Node whose client asked (this node for local reads). */
  from: NodeId;
  acks: Set<NodeId>;
}

export class ReadIndexQueue {
  private readonly byCtx = new Map<string, PendingRead>();
  private queue: PendingRead[] = [];

  add(ctx: string, index: number, from: NodeId, self: NodeId): void {
    const key = `${from}:${ctx}`;
    if (this.byCtx.has(key)) return; // a duplicate (forwarded twice): the first one answers
    const req: PendingRead = { ctx, key, index, from, acks: new Set([self]) };
    this.byCtx.set(key, req);
    this.queue.push(req);
  }

  /** Record an ack for the request keyed `key`; returns everyone who acknowledged it so far (null if unknown). */
  ack(key: string, from: NodeId): ReadonlySet<NodeId> | null {
    const req = this.byCtx.get(key);
    if (!req) return null;
    req.acks.add(from);
    return req.acks;
  }

  /** Remove and return every request up to and including the one keyed `key`. */
  releaseThrough(key: string): PendingRead[] {
    const pos = this.queue.findIndex((r) => r.key === key);
    if (pos < 0) return [];
    const done = this.queue.slice(0, pos + 1);
    this.queue = this.queue.slice(pos + 1);
    for (const r of done) this.byCtx.delete(r.key);
    return done;
  }

  /** The newest pending request's key, whose heartbeat round covers all others. */
  lastCtx(): string | undefined {
    return this.queue.length ? this.queue[this.queue.length - 1]!.key : undefined;
  }

  /** Drop everything (leadership lost); returns what was pending so callers can fail it. */
  clear(): PendingRead[] {
    const all = this.queue;
    this.queue = [];
    this.byCtx.clear();
    return all;
  }

  get size(): number {
    return this.queue.length;
  }
}
