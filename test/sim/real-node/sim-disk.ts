/**
 * A simulated WAL for one node, behind the driver's DriverStorage interface (plus the
 * snapshotter's compact), modelled on src/node/storage/wal.ts: each append() writes an entries
 * record (the whole batch, one CRC) then a hard-state record, markSnapshot() a snapshot marker,
 * and each resolves at a simulated fsync point; appends become durable in call order (group
 * commit). Recovery replays the durable records with the WAL's own replay (wal-replay.ts), so the
 * markers mean here exactly what they mean on a real disk.
 *
 * A crash keeps what was synced and, of what was not, a prefix of the records written (the page
 * cache may have flushed some): none, some whole appends, or - a torn write - an append's entries
 * record without its hard state. A torn *record* is what the WAL's CRC cuts off on recovery, so
 * it is the same as losing that record.
 *
 * Compaction (after a durable snapshot marker) rewrites the durable records as what replay makes
 * of them, as dropping whole WAL segments does: the same state, fewer records.
 */
import { EMPTY_HARD_STATE, type HardState } from '../../../src/protocol/raft-messages.js';
import type { DriverStorage } from '../../../src/node/raft-driver.js';
import type { Ready } from '../../../src/node/raft/types.js';
import type { WalRecord } from '../../../src/node/storage/wal-record.js';
import { WalReplay, type WalState } from '../../../src/node/storage/wal-replay.js';
import type { Prng } from '../../lib/prng.js';
import { wireCopy } from '../wire-copy.js';

interface PendingAppend {
  records: WalRecord[];
  /** Global ms at which its fsync completes. */
  syncAt: number;
  resolve: () => void;
}

export interface CrashOutcome {
  /** Unsynced records that survived the crash, and how many there were. */
  kept: number;
  unsynced: number;
}

/** The storage of one node life: the driver's, plus compaction for the snapshotter. */
export interface SimLifeStorage extends DriverStorage {
  compact(index: number, term: number): Promise<string[]>;
}

export class SimDisk {
  /** Durable WAL records, oldest first. */
  private records: WalRecord[] = [];
  private pending: PendingAppend[] = [];
  /** The storage object of the current node life; a crash replaces it (the old one goes deaf). */
  private life = 0;
  /** Appends and fsyncs made, for the run's summary. */
  fsyncs = 0;
  /** The hard state on disk, and who hears of each durable change to it (the invariant checker). */
  private durableHardState: HardState = { ...EMPTY_HARD_STATE };
  onDurableHardState: ((prev: HardState, next: HardState) => void) | null = null;

  constructor(
    private readonly prng: Prng,
    /** Each fsync takes [0, latencyMsMax] ms after the previous one finished. */
    private readonly latencyMsMax: number,
  ) {}

  /** The storage of a new node life. */
  storage(now: () => number): SimLifeStorage {
    const life = ++this.life;
    const write = (records: WalRecord[]): Promise<void> => {
      if (life !== this.life) return new Promise<void>(() => {}); // a dead life's write never completes
      const prevSync = this.pending.length > 0 ? this.pending[this.pending.length - 1]!.syncAt : now();
      const syncAt = Math.max(prevSync, now()) + this.prng.int(0, this.latencyMsMax);
      return new Promise<void>((resolve) => this.pending.push({ records, syncAt, resolve }));
    };
    const markSnapshot = (index: number, term: number): Promise<void> => write([{ type: 'snapshot', index, term }]);
    return {
      append: (hardState: Ready['hardState'], entries: Ready['entries']) => {
        const records: WalRecord[] = [];
        if (entries.length > 0) records.push({ type: 'entries', entries: wireCopy(entries) });
        if (hardState) records.push({ type: 'hardState', ...hardState });
        return write(records);
      },
      markSnapshot,
      compact: async (index, term) => {
        await markSnapshot(index, term);
        if (life === this.life) this.rewrite();
        return [];
      },
    };
  }

  /** Completes the fsyncs due by `now`, oldest first; returns how many. */
  syncDue(now: number): number {
    let n = 0;
    while (this.pending.length > 0 && this.pending[0]!.syncAt <= now) {
      const p = this.pending.shift()!;
      for (const r of p.records) this.write(r);
      this.fsyncs++;
      p.resolve();
      n++;
    }
    return n;
  }

  /** The node crashed: unsynced appends are lost but for a random prefix of their records. */
  crash(tornWrites: boolean): CrashOutcome {
    this.life++;
    const records = this.pending.flatMap((p) => p.records);
    this.pending = [];
    let kept = 0;
    if (records.length > 0 && tornWrites) kept = this.prng.int(0, records.length);
    for (const r of records.slice(0, kept)) this.write(r);
    return { kept, unsynced: records.length };
  }

  /** What the WAL's recovery reads back from the durable records (recover-state.ts adds the snapshot). */
  recovered(): WalState {
    const replay = new WalReplay();
    for (const r of this.records) {
      const why = replay.apply(r);
      if (why) throw new Error(`SimDisk: the durable log is inconsistent: ${why}`);
    }
    const state = replay.state();
    return { ...state, hardState: { ...state.hardState }, entries: wireCopy(state.entries) };
  }

  /** Appends written but not yet synced. */
  get unsynced(): number {
    return this.pending.length;
  }

  /** The durable log's last index. */
  get lastIndex(): number {
    const s = this.recovered();
    return s.snapshotIndex + s.entries.length;
  }

  private write(r: WalRecord): void {
    if (r.type === 'hardState') {
      const next = { term: r.term, vote: r.vote, commit: r.commit };
      this.onDurableHardState?.(this.durableHardState, next);
      this.durableHardState = next;
    }
    this.records.push(r);
  }

  /** The durable records replaced by what they replay to (dropped segments): same state, fewer records. */
  private rewrite(): void {
    const s = this.recovered();
    this.records = [{ type: 'segmentStart', prevIndex: s.snapshotIndex, prevTerm: s.snapshotTerm }, { type: 'hardState', ...s.hardState }];
    if (s.entries.length > 0) this.records.push({ type: 'entries', entries: s.entries });
  }
}
