/**
 * The client work a node tracks outside the consensus core, for the driver (raft-driver.ts):
 *  - a write carries a node-unique reqId; it completes when an entry with that reqId is applied
 *    (whichever node proposed it: followers forward proposals to the leader), fails at once when
 *    the core drops it, fails as PROPOSAL_DROPPED when its index is applied with an entry of
 *    another term (it was overwritten), and times out otherwise (outcome unknown);
 *  - a linearizable read joins the next ReadIndex round; it is served once the state machine has
 *    applied the index the round returned.
 * Timeouts are swept by the driver's one interval timer (sweep), not a timer per request.
 * Deadlines are in the clock's monotonic ms (a wall-clock jump must not expire or extend them).
 */
import { RaftKvError } from '../protocol/errors.js';
import type { Entry } from '../protocol/raft-messages.js';
import type { ReadState } from './raft/types.js';
import { isKvError, type KvCommand, type KvResult } from './kv-command.js';
import type { KvApplyOutcome } from './kv-state-machine.js';
import type { Clock } from './clock.js';

/**
 * How a client request hears its outcome: called once, with an error or the result. Callbacks,
 * not promises: the hot path would otherwise pay for a promise, its reactions and a microtask hop
 * per request, while a Ready completes a whole batch of them in one loop.
 */
export type Completion<T> = (err: RaftKvError | null, value?: T) => void;

interface Waiter<T> {
  done: Completion<T>;
  deadline: number;
  /** A write this node forwarded to that leader (its outcome arrives only if it is applied). */
  forwardedTo?: number;
}

type ReadWaiter = Waiter<void>;

export class ClientWaiters {
  /** Unique per process start, so reqIds never collide with those of an earlier life. */
  private readonly boot: string;
  private reqSeq = 0;
  private readSeq = 0;

  private pendingProposals: KvCommand[] = [];
  private readonly writes = new Map<string, Waiter<KvResult>>();
  /** index -> (term, reqId) of proposals this node appended as leader, to detect overwrites. */
  private readonly appendedAt = new Map<number, { term: number; reqId: string }>();

  private pendingReads: ReadWaiter[] = [];
  private readonly readRounds = new Map<string, ReadWaiter[]>();
  /** Confirmed reads waiting for the state machine to reach their index; ascending by index. */
  private readsAwaitingApply: { index: number; waiters: ReadWaiter[] }[] = [];

  constructor(
    private readonly nodeId: number,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    /** Tells this process start from earlier ones; the simulator passes one so runs replay exactly. */
    bootId?: string,
  ) {
    this.boot = bootId ?? `${clock.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  }

  get waitingWrites(): number {
    return this.writes.size;
  }

  /** A write to propose; `cmd` must be fresh: its reqId is stamped on it and it goes in the log. */
  addWrite(cmd: KvCommand, done: Completion<KvResult>): void {
    cmd.reqId = `${this.nodeId}.${this.boot}.${++this.reqSeq}`;
    // Log time for session expiry (kv-command.ts `at`, wall time): only writes with a session need it.
    if (cmd.clientId !== undefined) cmd.at = this.clock.now();
    this.writes.set(cmd.reqId, { done, deadline: this.clock.monotonic() + this.timeoutMs });
    this.pendingProposals.push(cmd);
  }

  /** A read for the next ReadIndex round. */
  addRead(done: Completion<void>): void {
    this.pendingReads.push({ done, deadline: this.clock.monotonic() + this.timeoutMs });
  }

  /** The writes added since the last call, to propose as one batch (empty if none). */
  takeProposals(): KvCommand[] {
    const batch = this.pendingProposals;
    this.pendingProposals = [];
    return batch;
  }

  /** The core appended `batch` (as leader) from `index` on in `term`. */
  appended(batch: KvCommand[], index: number, term: number): void {
    batch.forEach((cmd, i) => this.appendedAt.set(index + i, { term, reqId: cmd.reqId! }));
  }

  /**
   * The core dropped `batch`: no leader is known, or this node leads and is handing leadership
   * over (thesis §3.10). Both are safe to retry: nothing was appended.
   */
  dropped(batch: KvCommand[], leader: number): void {
    const err =
      leader === this.nodeId
        ? new RaftKvError('PROPOSAL_DROPPED', 'a leadership transfer is under way; the write was not applied, retry it', { leader })
        : new RaftKvError('NO_LEADER', 'no leader is known, try again', leader ? { leader } : undefined);
    for (const cmd of batch) this.failWrite(cmd.reqId!, err);
  }

  /** The core forwarded `batch` to `leader`. */
  forwarded(batch: KvCommand[], leader: number): void {
    for (const cmd of batch) {
      const w = this.writes.get(cmd.reqId!);
      if (w) w.forwardedTo = leader;
    }
  }

  /** The context of a new ReadIndex round for the reads added since the last, or null if none. */
  takeReadRound(): string | null {
    if (this.pendingReads.length === 0) return null;
    const ctx = `${this.boot}.r${++this.readSeq}`;
    this.readRounds.set(ctx, this.pendingReads);
    this.pendingReads = [];
    return ctx;
  }

  /** Committed entry `e` was applied with outcome `out`: answer the write it carries, if ours. */
  applied(e: Entry, out: KvApplyOutcome | null): void {
    const mine = this.appendedAt.get(e.index);
    if (mine) {
      this.appendedAt.delete(e.index);
      if (mine.term !== e.term) {
        this.failWrite(mine.reqId, new RaftKvError('PROPOSAL_DROPPED', 'leadership changed before the write committed; it was not applied'));
      }
    }
    if (!out?.reqId) return;
    const w = this.writes.get(out.reqId);
    if (!w) return;
    this.writes.delete(out.reqId);
    if (!isKvError(out.result)) return w.done(null, out.result);
    const { code, message } = out.result.error;
    w.done(code === 'SESSION_EXPIRED' ? new RaftKvError('SESSION_EXPIRED', message) : new RaftKvError('BAD_REQUEST', message, { reason: code }));
  }

  /** ReadIndex rounds answered by the core; reads are served once `applied` reaches their index. */
  readStates(states: ReadState[], applied: number): void {
    for (const rs of states) {
      const waiters = this.readRounds.get(rs.ctx);
      if (!waiters) continue;
      this.readRounds.delete(rs.ctx);
      if (rs.index < 0) {
        const err = new RaftKvError('NO_LEADER', 'leadership changed while confirming the read, try again');
        for (const w of waiters) w.done(err);
        continue;
      }
      this.readsAwaitingApply.push({ index: rs.index, waiters });
    }
    this.readsAwaitingApply.sort((a, b) => a.index - b.index);
    this.serveAppliedReads(applied);
  }

  /** Serves the confirmed reads whose index the state machine has reached. */
  serveAppliedReads(applied: number): void {
    let n = 0;
    while (n < this.readsAwaitingApply.length && this.readsAwaitingApply[n]!.index <= applied) {
      for (const w of this.readsAwaitingApply[n]!.waiters) w.done(null);
      n++;
    }
    if (n > 0) this.readsAwaitingApply = this.readsAwaitingApply.slice(n);
  }

  /**
   * A new leader was elected: writes forwarded to an earlier one may or may not commit, and their
   * clients should not wait out the whole request timeout to hear it (etcd answers "leader
   * changed" too). With a session (client id + seq) a retry is applied at most once.
   */
  failForwardedWrites(newLeader: number): void {
    for (const [reqId, w] of this.writes) {
      if (w.forwardedTo === undefined || w.forwardedTo === newLeader) continue;
      this.writes.delete(reqId);
      w.done(
        new RaftKvError('TIMEOUT', `the leader changed (node ${w.forwardedTo} -> node ${newLeader}) while the write was forwarded; it may or may not have been applied`),
      );
    }
  }

  /** Fails what is past its deadline (`now`: monotonic ms); `applied` lets old overwrite-detection records go. */
  sweep(now: number, applied: number): void {
    for (const [id, w] of this.writes) {
      if (w.deadline <= now) {
        this.writes.delete(id);
        w.done(new RaftKvError('TIMEOUT', 'the write was not confirmed in time; it may or may not have been applied'));
      }
    }
    const expired = (ws: ReadWaiter[]) =>
      ws.filter((w) => {
        if (w.deadline > now) return true;
        w.done(new RaftKvError('TIMEOUT', 'the read could not be confirmed in time (no quorum reachable?)'));
        return false;
      });
    for (const [ctx, ws] of this.readRounds) {
      const left = expired(ws);
      if (left.length === 0) this.readRounds.delete(ctx);
      else this.readRounds.set(ctx, left);
    }
    this.readsAwaitingApply = this.readsAwaitingApply.map((r) => ({ index: r.index, waiters: expired(r.waiters) })).filter((r) => r.waiters.length > 0);
    // appendedAt entries below the applied index can never be matched again.
    if (this.appendedAt.size > 100_000) {
      for (const idx of this.appendedAt.keys()) if (idx <= applied) this.appendedAt.delete(idx);
    }
  }

  /** The node stops: writes end with `writeErr` (their outcome is unknown), reads with `readErr`. */
  failAll(writeErr: RaftKvError, readErr: RaftKvError): void {
    const writes = [...this.writes.values()];
    this.writes.clear();
    this.pendingProposals = [];
    for (const w of writes) w.done(writeErr);
    const reads = [...this.pendingReads, ...[...this.readRounds.values()].flat(), ...this.readsAwaitingApply.flatMap((r) => r.waiters)];
    this.pendingReads = [];
    this.readRounds.clear();
    this.readsAwaitingApply = [];
    for (const w of reads) w.done(readErr);
  }

  private failWrite(reqId: string, err: RaftKvError): void {
    const w = this.writes.get(reqId);
    if (!w) return;
    this.writes.delete(reqId);
    w.done(err);
  }
}
