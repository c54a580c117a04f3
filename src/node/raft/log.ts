/**
 * The in-memory Raft log of one node: the entries after the last snapshot, which of them are
 * durable (stable) and how far commit and apply have got.
 *
 * Invariants:
 *   snapshotIndex <= applied <= committed <= lastIndex()
 *   entries[i].index === snapshotIndex + 1 + i (no gaps)
 *   stableIndex() = unstableFrom - 1; entries at or after unstableFrom still have to be persisted.
 */
import type { ConfigEntryData, Entry, Membership } from '../../protocol/raft-messages.js';

export class RaftLog {
  /** Entries after the snapshot; entries[0].index === snapshotIndex + 1 when non-empty. */
  private entries: Entry[];
  snapshotIndex: number;
  snapshotTerm: number;
  /** Highest index known to be committed. */
  committed: number;
  /** Highest index the driver has applied (acknowledged through advance). */
  applied: number;
  /** First index that is not yet durable. */
  unstableFrom: number;
  /**
   * Membership as of snapshotIndex (from the snapshot, or the bootstrap one), and the indices of
   * the config entries after it, ascending: the newest one is the membership in force
   * (membership.ts says why a change takes effect once in the log).
   */
  private baseMembership: Membership;
  private configIndexes: number[] = [];

  constructor(entries: Entry[], snapshotIndex: number, snapshotTerm: number, committed: number, applied: number, membership: Membership) {
    this.baseMembership = membership;
    for (let i = 0; i < entries.length; i++) {
      assert(entries[i]!.index === snapshotIndex + 1 + i, `log: entry ${i} has index ${entries[i]!.index}, expected ${snapshotIndex + 1 + i}`);
    }
    this.entries = entries.slice();
    for (const e of entries) if (e.kind === 'config') this.configIndexes.push(e.index);
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.unstableFrom = this.lastIndex() + 1;
    // A persisted commit index can be ahead of a log whose tail was torn off: clamp it. Committed
    // entries lost that way are still on a majority, and the leader will send them again.
    // The state machine the driver restored (a snapshot) is committed state: commit covers it even
    // when the hard state's commit index, synced lazily, is older.
    this.committed = Math.min(Math.max(committed, snapshotIndex, applied), this.lastIndex());
    this.applied = Math.min(Math.max(applied, snapshotIndex), this.committed);
  }

  /**
   * Log compaction (§7): forget entries up to and including `index`; the state machine has them
   * in a snapshot. Only applied, durable entries may go: a snapshot never covers an entry this
   * node could still lose (a torn WAL tail) or has not applied.
   */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    assert(index <= this.applied, `log: compact to ${index} beyond applied ${this.applied}`);
    assert(index <= this.stableIndex(), `log: compact to ${index} beyond durable ${this.stableIndex()}`);
    const term = this.term(index)!;
    // The newest config entry compacted away becomes the base membership.
    while (this.configIndexes.length > 0 && this.configIndexes[0]! <= index) this.baseMembership = this.configAt(this.configIndexes.shift()!);
    this.entries.splice(0, index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /**
   * InstallSnapshot (§7): the log is replaced by a snapshot ending at (index, term), which is
   * committed by definition. Everything we held is discarded: the caller checked that our log does
   * not contain that entry, so by log matching nothing after it agrees with the leader either.
   */
  restore(index: number, term: number, membership: Membership): void {
    assert(index > this.committed, `log: restore to ${index} at or below commit ${this.committed}`);
    this.entries = [];
    this.configIndexes = [];
    this.baseMembership = membership;
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.committed = index;
    this.applied = index;
    this.unstableFrom = index + 1;
  }

  /** The membership in force: the newest config entry in the log, else the base one. */
  membership(): Membership {
    const last = this.configIndexes[this.configIndexes.length - 1];
    return last === undefined ? this.baseMembership : this.configAt(last);
  }

  /** The membership before the newest config entry (what that entry changed). */
  previousMembership(): Membership {
    const prev = this.configIndexes[this.configIndexes.length - 2];
    return prev === undefined ? this.baseMembership : this.configAt(prev);
  }

  /** Index of the newest config entry in the log; 0 if the membership predates the log. */
  lastConfigIndex(): number {
    return this.configIndexes[this.configIndexes.length - 1] ?? 0;
  }

  private configAt(index: number): Membership {
    return (this.entry(index)!.data as ConfigEntryData).membership;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.snapshotTerm : this.entries[this.entries.length - 1]!.term;
  }

  stableIndex(): number {
    return this.unstableFrom - 1;
  }

  /** Term of the entry at `index`, or undefined when it is unknown (beyond the end or compacted). */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]!.term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  /** Entries in [lo, hi) (hi exclusive), at most `max` of them. lo must be >= firstIndex(). */
  slice(lo: number, hi: number, max = Infinity): Entry[] {
    assert(lo >= this.firstIndex(), `log: slice from ${lo} below first index ${this.firstIndex()}`);
    const end = Math.min(hi, this.lastIndex() + 1, lo + max);
    if (end <= lo) return [];
    return this.entries.slice(lo - this.snapshotIndex - 1, end - this.snapshotIndex - 1);
  }

  /** §5.4.1: is a log ending at (index, term) at least as up-to-date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Leader path: append entries that extend the log. */
  append(entries: Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, `log: append of index ${e.index} after ${this.lastIndex()}`);
      this.entries.push(e);
      if (e.kind === 'config') this.configIndexes.push(e.index);
    }
  }

  /**
   * Follower path (§5.3): entries follow an entry the leader and we agree on. Skip the ones we
   * already have, truncate at the first conflict, append the rest. Returns the last index that now
   * matches the leader (prev + entries.length).
   */
  appendFromLeader(prevIndex: number, entries: Entry[]): number {
    let i = 0;
    // Entries covered by our snapshot are committed and already match: skip them.
    while (i < entries.length && entries[i]!.index <= this.snapshotIndex) i++;
    // Skip entries we already hold with the same term (duplicates, reordered retransmissions).
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      const t = this.term(e.index);
      if (t === undefined) break;
      if (t !== e.term) {
        assert(e.index > this.committed, `log: conflict at committed index ${e.index} (committed ${this.committed})`);
        this.truncateFrom(e.index);
        break;
      }
    }
    if (i < entries.length) this.append(entries.slice(i));
    return prevIndex + entries.length;
  }

  /** Drop every entry at or after `index`; they will have to be persisted again. */
  private truncateFrom(index: number): void {
    this.entries.length = index - this.snapshotIndex - 1;
    while (this.configIndexes.length > 0 && this.configIndexes[this.configIndexes.length - 1]! >= index) this.configIndexes.pop();
    if (this.unstableFrom > index) this.unstableFrom = index;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), `log: commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  /**
   * The driver persisted entries up to (index, term). Ignored when that entry has since been
   * replaced (a truncation happened between ready() and advance()).
   */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index >= this.unstableFrom) this.unstableFrom = index + 1;
  }

  appliedTo(index: number): void {
    assert(index <= this.committed, `log: applied ${index} beyond committed ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** The last `n` entries (for status displays). */
  tail(n: number): Entry[] {
    return this.entries.slice(Math.max(0, this.entries.length - n));
  }

  /**
   * Hint for a follower rejecting AppendEntries at prevIndex (§5.3 optimisation): where the
   * leader should look next and our term there.
   */
  rejectHint(prevIndex: number): { hintIndex: number; hintTerm: number } {
    if (prevIndex > this.lastIndex()) return { hintIndex: this.lastIndex() + 1, hintTerm: 0 };
    const conflictTerm = this.term(prevIndex);
    if (conflictTerm === undefined) return { hintIndex: this.firstIndex(), hintTerm: 0 };
    let i = prevIndex;
    while (i - 1 > this.snapshotIndex && this.term(i - 1) === conflictTerm) i--;
    return { hintIndex: i, hintTerm: conflictTerm };
  }

  /** Leader side of the hint: the last index we hold of `term`, or 0. */
  lastIndexOfTerm(term: number): number {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const t = this.entries[i]!.term;
      if (t === term) return this.entries[i]!.index;
      if (t < term) return 0;
    }
    return 0;
  }
}

/** A broken invariant is a bug: crash loudly, never limp on with a corrupt log. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`raft invariant violated: ${message}`);
}
