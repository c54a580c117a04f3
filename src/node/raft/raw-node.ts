/**
 * RawNode: the driver-facing face of the core (etcd's RawNode). It collects what the Raft state
 * machine produced into Ready batches and takes the driver's acknowledgement back in advance().
 * See types.ts for the exact protocol the driver must follow.
 */
import type { Entry, HardState, Message } from '../../protocol/raft-messages.js';
import { assert } from './log.js';
import { Raft } from './raft.js';
import type { ProposeResult, RaftConfig, RaftInitialState, RaftStatus, Ready, SoftState } from './types.js';

export class RawNode {
  private readonly raft: Raft;
  /** What the last Ready told the driver, to emit only changes. */
  private prevHard: HardState;
  private prevSoft: SoftState;
  /** A Ready is out and not yet advanced; at most one at a time. */
  private pending: Ready | null = null;

  constructor(config: RaftConfig, initial?: RaftInitialState) {
    this.raft = new Raft(config, initial);
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

  hasReady(): boolean {
    if (this.pending) return false;
    const r = this.raft;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstableFrom <= r.log.lastIndex()) return true;
    if (r.log.committed > r.log.applied) return true;
    if (!sameHard(this.hardState(), this.prevHard)) return true;
    return !sameSoft(this.softState(), this.prevSoft);
  }

  ready(): Ready {
    assert(this.pending === null, 'ready() called again before advance()');
    const r = this.raft;
    const hard = this.hardState();
    const soft = this.softState();
    const entries: Entry[] = r.log.unstableEntries();
    const termOrVoteChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? null : soft,
      hardState: sameHard(hard, this.prevHard) ? null : hard,
      entries,
      messages: r.msgs,
      // Everything committed is either durable already or in `entries`, which the driver
      // persists before applying.
      committedEntries: r.log.nextCommitted(),
      readStates: r.readStates,
      mustSync: termOrVoteChanged || entries.length > 0,
      sendBeforePersist: r.role === 'leader' && !termOrVoteChanged,
    };
    r.msgs = [];
    r.readStates = [];
    if (rd.hardState) this.prevHard = hard;
    if (rd.softState) this.prevSoft = soft;
    this.pending = rd;
    return rd;
  }

  /** The driver persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    assert(rd === this.pending, 'advance() must get the Ready that ready() returned');
    this.pending = null;
    const last = rd.entries[rd.entries.length - 1];
    if (last) this.raft.onPersisted(last.index, last.term);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied) this.raft.log.appliedTo(applied.index);
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
