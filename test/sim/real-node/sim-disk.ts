/**
 * A simulated disk for one node, behind the driver's DriverStorage interface, modelled on the WAL
 * (src/node/storage/wal.ts): each append() writes an entries record (the whole batch, one CRC)
 * then a hard-state record, and resolves at a simulated fsync point; appends become durable in
 * call order (group commit).
 *
 * A crash keeps what was synced and, of what was not, a prefix of the records written (the page
 * cache may have flushed some): none, some whole appends, or - a torn write - an append's entries
 * record without its hard state. A torn *record* is what the WAL's CRC cuts off on recovery, so
 * it is the same as losing that record. The node restarts from `recovered()`, as recover-state.ts
 * builds it from a WAL without snapshots.
 *
 * Entries are kept as JSON copies (the node never shares objects with its disk), of any kind: an
 * entry kind this file does not know (membership `config` entries) is stored like any other.
 */
import type { Entry, HardState } from '../../../src/protocol/raft-messages.js';
import { EMPTY_HARD_STATE } from '../../../src/protocol/raft-messages.js';
import type { DriverStorage } from '../../../src/node/raft-driver.js';
import type { RaftInitialState, Ready } from '../../../src/node/raft/types.js';
import type { Prng } from '../../lib/prng.js';
import { wireCopy } from '../wire-copy.js';

type DiskRecord = { kind: 'entries'; entries: Entry[] } | { kind: 'hardState'; hardState: HardState };

interface PendingAppend {
  records: DiskRecord[];
  /** Global ms at which its fsync completes. */
  syncAt: number;
  resolve: () => void;
}

export interface CrashOutcome {
  /** Unsynced records that survived the crash, and how many there were. */
  kept: number;
  unsynced: number;
}

export class SimDisk {
  private hardState: HardState = { ...EMPTY_HARD_STATE };
  private log: Entry[] = [];
  private pending: PendingAppend[] = [];
  /** The storage object of the current node life; a crash replaces it (the old one goes deaf). */
  private life = 0;
  /** Appends and fsyncs made, for the run's summary. */
  fsyncs = 0;

  constructor(
    private readonly prng: Prng,
    /** Each fsync takes [0, latencyMsMax] ms after the previous one finished. */
    private readonly latencyMsMax: number,
  ) {}

  /** The DriverStorage of a new node life. */
  storage(now: () => number): DriverStorage {
    const life = ++this.life;
    return {
      append: (hardState: Ready['hardState'], entries: Ready['entries']) => {
        if (life !== this.life) return new Promise<void>(() => {}); // a dead life's write never completes
        const records: DiskRecord[] = [];
        if (entries.length > 0) records.push({ kind: 'entries', entries: wireCopy(entries) });
        if (hardState) records.push({ kind: 'hardState', hardState: { ...hardState } });
        const prevSync = this.pending.length > 0 ? this.pending[this.pending.length - 1]!.syncAt : now();
        const syncAt = Math.max(prevSync, now()) + this.prng.int(0, this.latencyMsMax);
        return new Promise<void>((resolve) => this.pending.push({ records, syncAt, resolve }));
      },
      markSnapshot: () => Promise.reject(new Error('SimDisk: snapshots are off in the real-node simulator')),
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

  /** What a restarted node is built from: no snapshot, the state machine replayed from index 1. */
  recovered(): RaftInitialState {
    return { hardState: { ...this.hardState }, entries: wireCopy(this.log), snapshotIndex: 0, snapshotTerm: 0, applied: 0 };
  }

  /** Appends written but not yet synced. */
  get unsynced(): number {
    return this.pending.length;
  }

  get lastIndex(): number {
    return this.log.length;
  }

  /** An entries record replaces the log from its first index on (a follower's log corrected, §5.3). */
  private write(r: DiskRecord): void {
    if (r.kind === 'hardState') {
      this.hardState = r.hardState;
      return;
    }
    const first = r.entries[0]!.index;
    if (first < 1 || first > this.log.length + 1) {
      throw new Error(`SimDisk: an append at ${first} would leave a gap (the log ends at ${this.log.length})`);
    }
    this.log.length = first - 1;
    this.log.push(...r.entries);
  }
}
