/**
 * Rebuilds the durable Raft state from WAL records, in log order. Pure; no I/O.
 *
 * Invariants kept after every record:
 *   entries[i].index === snapshotIndex + 1 + i   (no gaps, starts right after the snapshot)
 *   hardState is the one in the last hardState record (last writer wins)
 */
import { EMPTY_HARD_STATE, type Entry, type HardState } from '../../protocol/raft-messages.js';
import type { WalRecord } from './wal-record.js';

/** What open() hands the consensus core (RaftInitialState without `applied`). */
export interface WalState {
  hardState: HardState;
  /** The effective log after replacements, starting at snapshotIndex + 1. */
  entries: Entry[];
  snapshotIndex: number;
  snapshotTerm: number;
}

export class WalReplay {
  private hardState: HardState = { ...EMPTY_HARD_STATE };
  private entries: Entry[] = [];
  private snapshotIndex = 0;
  private snapshotTerm = 0;
  /** No record applied yet: a segmentStart then says where the surviving log begins. */
  private empty = true;

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  /**
   * Applies one record. Returns null, or why the record cannot follow the ones before it (its
   * checksum was fine, so the log itself is inconsistent: the caller reports corruption).
   */
  apply(record: WalRecord): string | null {
    const first = this.empty;
    this.empty = false;
    switch (record.type) {
      case 'segmentStart':
        if (first) {
          // Older segments were dropped after a snapshot covered them: the log resumes here.
          this.snapshotIndex = record.prevIndex;
          this.snapshotTerm = record.prevTerm;
        }
        return null;
      case 'hardState':
        this.hardState = { term: record.term, vote: record.vote, commit: record.commit };
        return null;
      case 'entries':
        return this.applyEntries(record.entries);
      case 'snapshot':
        this.applySnapshot(record.index, record.term);
        return null;
    }
  }

  private applyEntries(es: Entry[]): string | null {
    const first = es[0]!.index;
    if (first > this.lastIndex() + 1) {
      return `entries start at ${first} but the log ends at ${this.lastIndex()} (gap)`;
    }
    // Entries at or below the snapshot are already covered by it; only the rest matters.
    const skip = Math.max(0, this.snapshotIndex + 1 - first);
    if (skip >= es.length) return null;
    // Replacement (§5.3): drop every stored entry from the new first index on, then append.
    this.entries.length = first + skip - this.snapshotIndex - 1;
    for (let i = skip; i < es.length; i++) this.entries.push(es[i]!);
    return null;
  }

  private applySnapshot(index: number, term: number): void {
    if (index <= this.snapshotIndex) return; // an older snapshot than one already applied
    const pos = index - this.snapshotIndex - 1;
    if (pos < this.entries.length && this.entries[pos]!.term === term) {
      // Our log agrees with the snapshot at its last index: the suffix after it is still valid.
      this.entries.splice(0, pos + 1);
    } else {
      // The snapshot is newer than (or disagrees with) our log: the log is entirely superseded.
      this.entries = [];
    }
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** Term of the last entry (or of the snapshot point when the log is empty). */
  lastTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.term : this.snapshotTerm;
  }

  /** The state so far. The caller takes ownership of the returned arrays. */
  state(): WalState {
    return {
      hardState: { ...this.hardState },
      entries: this.entries,
      snapshotIndex: this.snapshotIndex,
      snapshotTerm: this.snapshotTerm,
    };
  }
}
