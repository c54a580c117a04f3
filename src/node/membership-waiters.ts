/**
 * Clients waiting on membership work the driver started in the core (raft-driver.ts):
 *  - a change appended as entry `index` of `term` is done when that index is applied with an
 *    entry of the same term (another term there means a new leader overwrote it: it never took
 *    effect, and the client may retry);
 *  - a leadership transfer to `to` is done when this node sees `to` lead; it fails when the leader
 *    gives up (still leader, no transfer under way any more) or another node leads.
 * Both time out at the request deadline (monotonic ms), swept by the driver's timer.
 */
import { RaftKvError } from '../protocol/errors.js';
import type { Entry, NodeId } from '../protocol/raft-messages.js';
import type { Completion } from './client-waiters.js';

interface ChangeWaiter {
  term: number;
  done: Completion<void>;
  deadline: number;
}

interface TransferWaiter {
  to: NodeId;
  done: Completion<void>;
  deadline: number;
}

export class MembershipWaiters {
  private readonly changes = new Map<number, ChangeWaiter>();
  private transfers: TransferWaiter[] = [];

  get waitingTransfers(): number {
    return this.transfers.length;
  }

  change(index: number, term: number, deadline: number, done: Completion<void>): void {
    this.changes.set(index, { term, done, deadline });
  }

  transfer(to: NodeId, deadline: number, done: Completion<void>): void {
    this.transfers.push({ to, done, deadline });
  }

  /** Entry `e` was applied. */
  applied(e: Entry): void {
    if (this.changes.size === 0) return; // every applied write passes here
    const w = this.changes.get(e.index);
    if (!w) return;
    this.changes.delete(e.index);
    if (e.term === w.term && e.kind === 'config') w.done(null);
    else w.done(new RaftKvError('PROPOSAL_DROPPED', 'leadership changed before the membership change committed; it did not take effect'));
  }

  /**
   * What this node knows after a Ready: the leader (0 = none) and, when this node leads, the
   * transfer under way (0 = none: a transfer it ran gave up).
   */
  leadership(leader: NodeId, leading: { transferee: NodeId } | null): void {
    if (this.transfers.length === 0) return;
    this.transfers = this.transfers.filter((w) => {
      if (leader === w.to) w.done(null);
      else if (leading && leading.transferee !== 0) return true;
      else if (leading) w.done(new RaftKvError('TIMEOUT', `the leadership transfer to node ${w.to} gave up after an election timeout (node ${w.to} did not win an election)`));
      else if (leader !== 0) w.done(new RaftKvError('TIMEOUT', `node ${leader} became leader instead of node ${w.to}`));
      else return true;
      return false;
    });
  }

  sweep(now: number): void {
    for (const [index, w] of this.changes) {
      if (w.deadline > now) continue;
      this.changes.delete(index);
      w.done(new RaftKvError('TIMEOUT', `the membership change (entry ${index}) was not committed in time; it may or may not take effect`));
    }
    this.transfers = this.transfers.filter((w) => {
      if (w.deadline > now) return true;
      w.done(new RaftKvError('TIMEOUT', `node ${w.to} did not become leader in time`));
      return false;
    });
  }

  failAll(err: RaftKvError): void {
    for (const w of this.changes.values()) w.done(err);
    this.changes.clear();
    for (const w of this.transfers) w.done(err);
    this.transfers = [];
  }
}
