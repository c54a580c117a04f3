/**
 * What one simulated node has on "disk": hard state, the log, and (optionally) how far its state
 * machine got. A crash keeps exactly this and loses everything else.
 *
 * Invariants:
 * - `entries` is contiguous: entries[k].index === firstIndex + k.
 * - Entries are stored as JSON copies: the core can never reach into the store through an alias,
 *   and the store never changes an object the core still holds.
 * - Writing a batch whose first index is at or below the last stored index replaces everything
 *   from that index on (a follower's log being corrected, §5.3), exactly as Ready.entries says.
 * - Snapshots (§7): `snapshot.state` is the state machine at `snapshot.index` (for the simulated
 *   state machine, the list of entries applied through it). The log may be compacted up to
 *   `firstIndex - 1 <= snapshot.index`; entries below firstIndex are then read from the snapshot,
 *   so checks that ask "which entry does this disk hold at i" see committed history either way.
 */
import type { Entry, HardState } from '../../src/protocol/raft-messages.js';
import { EMPTY_HARD_STATE } from '../../src/protocol/raft-messages.js';
import type { RaftInitialState } from '../../src/node/raft/types.js';
import { wireCopy } from './wire-copy.js';

/** Why a write was refused: the core asked for something no storage engine could do. */
export class StoreError extends Error {
  constructor(
    readonly code: 'STORE_GAP' | 'STORE_NOT_CONTIGUOUS' | 'STORE_BAD_ENTRY',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface AppendOutcome {
  /** Index from which older entries were replaced, or null when the batch only extended the log. */
  truncatedFrom: number | null;
  /** Entries that were on disk and are now gone (replaced), oldest first. */
  removed: Entry[];
}

function cloneEntry(e: Entry): Entry {
  return wireCopy(e);
}

/** A durable snapshot: the state machine (entries applied through `index`) and where it ends. */
export interface SimSnapshot {
  index: number;
  term: number;
  state: Entry[];
}

export class DurableStore {
  hardState: HardState = { ...EMPTY_HARD_STATE };
  /** Index of the first stored log entry; 1 for a log that was never compacted. */
  firstIndex = 1;
  private log: Entry[] = [];
  /** The newest durable snapshot, or null. */
  snapshot: SimSnapshot | null = null;
  /**
   * The node's state machine: appliedLog[k] is the entry applied at index k + 1, applied ===
   * appliedLog.length. It lives here so that a restart may keep it (RaftInitialState.applied =
   * applied) or drop it and replay from index 1 (resetStateMachine, applied = 0); both are modes
   * a real node may run in.
   */
  applied = 0;
  appliedLog: Entry[] = [];

  get lastIndex(): number {
    return this.firstIndex + this.log.length - 1;
  }

  get lastTerm(): number {
    return this.log.length ? this.log[this.log.length - 1]!.term : this.termAt(this.firstIndex - 1);
  }

  /** The stored entry at `index` (from the log, or below it from the snapshot), or undefined. */
  entryAt(index: number): Entry | undefined {
    if (index < this.firstIndex) return this.snapshot && index >= 1 && index <= this.snapshot.index ? this.snapshot.state[index - 1] : undefined;
    return this.log[index - this.firstIndex];
  }

  /** Term at `index`: 0 for index 0 (before the log) and for indices past the end. */
  termAt(index: number): number {
    return this.entryAt(index)?.term ?? 0;
  }

  /** A read-only view of the stored log (do not mutate). */
  entries(): readonly Entry[] {
    return this.log;
  }

  setHardState(hs: HardState): void {
    this.hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
  }

  /** Durably append a Ready's entries (see the class comment for the replace rule). */
  append(batch: readonly Entry[]): AppendOutcome {
    if (batch.length === 0) return { truncatedFrom: null, removed: [] };
    for (let k = 0; k < batch.length; k++) {
      const e = batch[k]!;
      if (!e || !Number.isInteger(e.index) || !Number.isInteger(e.term) || (e.kind !== 'cmd' && e.kind !== 'noop' && e.kind !== 'config')) {
        throw new StoreError('STORE_BAD_ENTRY', `malformed entry ${JSON.stringify(e)}`);
      }
      if (k > 0 && e.index !== batch[k - 1]!.index + 1) {
        throw new StoreError('STORE_NOT_CONTIGUOUS', `batch indices ${batch.map((x) => x.index).join(',')}`);
      }
    }
    const first = batch[0]!.index;
    if (first > this.lastIndex + 1 || first < this.firstIndex) {
      throw new StoreError('STORE_GAP', `batch starts at ${first} but the log holds [${this.firstIndex}, ${this.lastIndex}]`);
    }
    let removed: Entry[] = [];
    let truncatedFrom: number | null = null;
    if (first <= this.lastIndex) {
      truncatedFrom = first;
      removed = this.log.splice(first - this.firstIndex);
    }
    for (const e of batch) this.log.push(cloneEntry(e));
    return { truncatedFrom, removed };
  }

  /** Record one applied entry (the state machine is an append-only list of applied entries). */
  recordApplied(e: Entry): void {
    this.appliedLog.push(cloneEntry(e));
    this.applied = e.index;
  }

  /**
   * Forget the state machine: a restart that rebuilds it from the snapshot (if any) and replays
   * every committed entry after it.
   */
  resetStateMachine(): void {
    this.appliedLog = this.snapshot ? this.snapshot.state.map(cloneEntry) : [];
    this.applied = this.snapshot ? this.snapshot.index : 0;
  }

  /** A snapshot of this node's own state machine through `index` became durable. */
  saveSnapshot(index: number, term: number, state: readonly Entry[]): void {
    if (state.length !== index || (this.snapshot && index < this.snapshot.index)) {
      throw new StoreError('STORE_BAD_ENTRY', `snapshot at ${index} with ${state.length} entries (current ${this.snapshot?.index ?? 0})`);
    }
    this.snapshot = { index, term, state: state.map(cloneEntry) };
  }

  /** Log compaction: entries up to `index` (covered by the snapshot) leave the log. */
  compactTo(index: number): void {
    if (index < this.firstIndex) return;
    if (!this.snapshot || index > this.snapshot.index || index > this.lastIndex) {
      throw new StoreError('STORE_GAP', `compact to ${index}: snapshot ${this.snapshot?.index ?? 0}, log [${this.firstIndex}, ${this.lastIndex}]`);
    }
    this.log.splice(0, index - this.firstIndex + 1);
    this.firstIndex = index + 1;
  }

  /** InstallSnapshot made durable: the snapshot replaces the whole log. */
  installSnapshot(index: number, term: number, state: readonly Entry[]): Entry[] {
    this.saveSnapshot(index, term, state);
    const removed = this.log;
    this.log = [];
    this.firstIndex = index + 1;
    return removed;
  }

  /** What a restarted node is built from; `keepApplied` false means replay from the snapshot. */
  initialState(keepApplied: boolean): RaftInitialState {
    return {
      hardState: { ...this.hardState },
      entries: this.log.map(cloneEntry),
      snapshotIndex: this.firstIndex - 1,
      snapshotTerm: this.termAt(this.firstIndex - 1),
      applied: keepApplied ? this.applied : (this.snapshot?.index ?? 0),
    };
  }
}
