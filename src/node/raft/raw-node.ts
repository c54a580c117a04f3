/**
 * RawNode: the driver-facing face of the core (etcd's RawNode). It collects what the Raft state
 * machine produced into Ready batches and takes the driver's acknowledgement back in advance().
 * See types.ts for the exact protocol the driver must follow.
 */
import type { ConfChange, Entry, HardState, Membership, Message, NodeId } from '../../protocol/raft-messages.js';
import { assert } from './log.js';
import { Raft } from './raft.js';
import type { ConfChangeResult, ProposeResult, RaftConfig, RaftInitialState, RaftStatus, Ready, SoftState, TransferResult } from './types.js';

export class RawNode {
  private readonly raft: Raft;
  /** What the last Ready told the driver, to emit only changes. */
  private prevHard: HardState;
  private prevSoft: SoftState;
  /**
   * Readies handed out and not yet advanced, oldest first. A driver may pipeline up to
   * `maxPending` of them (the next Ready is built while the previous one's fsync runs); it must
   * advance them in order.
   */
  private readonly pending: Ready[] = [];
  private readonly maxPending: number;
  /** Pending Readies whose hard state changed term or vote (their fsync must precede any send). */
  private readonly termVotePending = new Set<Ready>();
  /** The last entry handed out for persisting; entries after it are new to the driver. */
  private handedOut = { index: 0, term: 0 };
  /** The last committed index handed out for applying. */
  private handedApplied: number;

  constructor(config: RaftConfig, initial?: RaftInitialState, options: { maxPendingReadies?: number } = {}) {
    this.raft = new Raft(config, initial);
    this.maxPending = options.maxPendingReadies ?? 1;
    assert(Number.isSafeInteger(this.maxPending) && this.maxPending >= 1, 'maxPendingReadies must be a positive integer');
    this.handedApplied = this.raft.log.applied;
    this.prevHard = this.hardState();
    // Report the initial soft state in the first Ready so drivers learn the starting role.
    this.prevSoft = { role: this.raft.role, leader: -1, term: -1 };
  }

  tick(): void {
    this.raft.tick();
  }

  step(msg: Message): void {
    this.raft.step(msg);
  }

  propose(data: unknown[]): ProposeResult {
    return this.raft.propose(data);
  }

  readIndex(ctx: string): void {
    this.raft.readIndex(ctx);
  }

  /** Leader: propose one membership change (see Raft.proposeConfChange). */
  proposeConfChange(cc: ConfChange): ConfChangeResult {
    return this.raft.proposeConfChange(cc);
  }

  /** Leader: hand leadership to voter `to` (see Raft.transferLeader). */
  transferLeader(to: NodeId): TransferResult {
    return this.raft.transferLeader(to);
  }

  /** Leader: the voter a leadership transfer is handing over to; 0 = none. */
  leadTransferee(): NodeId {
    return this.raft.leadTransfereeId;
  }

  /** The membership in force (the newest in this node's log). */
  membership(): Membership {
    return this.raft.tracker.membership;
  }

  /** Whether ready() has something. Flushes the leader's deferred commit announcement first. */
  hasReady(): boolean {
    if (this.pending.length >= this.maxPending) return false;
    const r = this.raft;
    r.announceCommit();
    if (r.msgs.length > 0 || r.readStates.length > 0 || r.refused.length > 0 || r.pendingInstall || r.membershipChanged) return true;
    if (this.firstNewEntry() <= r.log.lastIndex()) return true;
    if (r.log.committed > this.handedApplied) return true;
    if (!sameHard(this.hardState(), this.prevHard)) return true;
    return !sameSoft(this.softState(), this.prevSoft);
  }

  ready(): Ready {
    assert(this.pending.length < this.maxPending, `ready() called with ${this.pending.length} Readies not yet advanced`);
    const r = this.raft;
    r.announceCommit();
    const hard = this.hardState();
    const soft = this.softState();
    const snapshot = r.pendingInstall;
    if (snapshot) {
      // The log now starts after the snapshot: nothing before it is handed out again.
      r.pendingInstall = null;
      this.handedOut = { index: snapshot.index, term: snapshot.term };
      this.handedApplied = snapshot.index;
    }
    const from = this.firstNewEntry();
    const entries: Entry[] = from <= r.log.lastIndex() ? r.log.slice(from, r.log.lastIndex() + 1) : [];
    const committedEntries = r.log.committed > this.handedApplied ? r.log.slice(this.handedApplied + 1, r.log.committed + 1) : [];
    const termOrVoteChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? null : soft,
      hardState: sameHard(hard, this.prevHard) ? null : hard,
      entries,
      messages: r.msgs,
      // Committed entries are durable on a majority; they may still be on their way to this
      // node's disk (in `entries` or an earlier pending Ready), which does not stop applying them.
      committedEntries,
      readStates: r.readStates,
      snapshot,
      refused: r.refused,
      membership: r.membershipChanged ? r.tracker.membership : null,
      mustSync: termOrVoteChanged || entries.length > 0 || snapshot !== null,
      // Not while an earlier Ready's term or vote is still on its way to disk either: a node
      // elected alone (a single voter, with learners to send to) has its election Ready in flight
      // while it already sends appends of that term; a crash then would let it reuse the term.
      sendBeforePersist: r.role === 'leader' && !termOrVoteChanged && this.termVotePending.size === 0,
    };
    if (termOrVoteChanged) this.termVotePending.add(rd);
    r.msgs = [];
    r.readStates = [];
    r.refused = [];
    r.membershipChanged = false;
    if (rd.hardState) this.prevHard = hard;
    if (rd.softState) this.prevSoft = soft;
    const last = entries[entries.length - 1];
    if (last) this.handedOut = { index: last.index, term: last.term };
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted) this.handedApplied = lastCommitted.index;
    this.pending.push(rd);
    return rd;
  }

  /** The driver persisted, sent and applied everything in `rd` (the oldest Ready not yet advanced). */
  advance(rd: Ready): void {
    assert(rd === this.pending[0], 'advance() must get the oldest Ready that ready() returned');
    this.pending.shift();
    this.termVotePending.delete(rd);
    if (rd.snapshot) this.raft.onPersisted(rd.snapshot.index, rd.snapshot.term);
    const last = rd.entries[rd.entries.length - 1];
    if (last) this.raft.onPersisted(last.index, last.term);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied) this.raft.log.appliedTo(applied.index);
  }

  /**
   * The first log index not yet handed to the driver. Entries handed out but not yet durable are
   * not handed out again, unless a conflicting append replaced them (then the term at the
   * hand-out mark changed, and everything from the first non-durable index goes out again: the
   * WAL applies rewrites in order, so rewriting an identical prefix is harmless).
   */
  private firstNewEntry(): number {
    const log = this.raft.log;
    const h = this.handedOut;
    if (h.index < log.unstableFrom) return log.unstableFrom;
    if (log.term(h.index) !== h.term) {
      this.handedOut = { index: log.unstableFrom - 1, term: 0 };
      return log.unstableFrom;
    }
    return h.index + 1;
  }

  /**
   * The driver made a snapshot through at least `index` durable (and the WAL through it): the core
   * forgets the log up to `index`. `index` must be applied and durable here (status().stableIndex).
   */
  compact(index: number): void {
    this.raft.compact(index);
  }

  /** A snapshot the core accepted and the next Ready will hand out (Ready.snapshot), or null. */
  acceptedSnapshot(): { index: number; term: number } | null {
    return this.raft.pendingInstall;
  }

  /** Term of the entry at `index` if the log still holds it (or it is the compaction point). */
  termAt(index: number): number | undefined {
    return this.raft.log.term(index);
  }

  /** Outcome of streaming a snapshot to `to` (see Raft.reportSnapshot). */
  reportSnapshot(to: number, ok: boolean): void {
    this.raft.reportSnapshot(to, ok);
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  /** The last `limit` entries of the log (for status displays). */
  recentEntries(limit: number): Entry[] {
    return this.raft.log.tail(limit);
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  private softState(): SoftState {
    return { role: this.raft.role, leader: this.raft.leader, term: this.raft.term };
  }
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader && a.term === b.term;
}
