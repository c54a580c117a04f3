/**
 * Takes this node's snapshots and compacts its log (Raft §7), without stopping service:
 *
 *   1. capture the state machine at its applied index S (KvStateMachine.beginSnapshot: sessions
 *      copied at once, the key space in slices across event-loop turns, copy-on-write meanwhile);
 *   2. write it to a temp file (snapshot-file.ts, yielding as it goes) and fsync it;
 *   3. wait until entry S is durable in this node's own WAL: the pipelined driver applies entries
 *      before its own fsync, and a snapshot must never cover what this node could still lose;
 *   4. rename it into place, fsync the directory, keep the newest two files;
 *   5. compact: the core and the WAL drop entries up to C = min(S - trailing, previous snapshot).
 *      Keeping everything after the *previous* snapshot means a damaged newest file can always fall
 *      back to the one before and replay the WAL after it; the trailing window lets a follower
 *      slightly behind catch up from the log instead of a whole snapshot.
 *
 * Automatic every `snapshotEvery` applied entries; on demand for SAVE/BGSAVE and `ctl snapshot`.
 */
import * as path from 'node:path';
import { nextTurn, realClock, sleep, type Clock } from './clock.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { Logger } from './logger.js';
import type { Membership } from '../protocol/raft-messages.js';
import type { RawNode } from './raft/raw-node.js';
import { snapshotConfigOf } from './snapshot-membership.js';
import { writeSnapshotFile, type SnapshotHeader } from './storage/snapshot-file.js';
import { realSnapshotFs, type SnapshotFs } from './storage/snapshot-fs.js';
import { pruneSnapshots, publishSnapshot, type SnapshotFileInfo } from './storage/snapshot-store.js';
import type { Wal } from './storage/wal.js';

export interface SnapshotterOptions {
  dir: string;
  sm: KvStateMachine;
  raw: RawNode;
  wal: Pick<Wal, 'compact'>;
  log: Logger;
  /** The membership of cluster.json, for snapshots taken before any config entry was applied. */
  bootstrap: Membership;
  /** Applied entries between automatic snapshots (0: only on demand). */
  every: number;
  /** Entries kept in the log before the snapshot for slow followers. */
  trailing: number;
  /** The newest two snapshots on disk at start-up, newest first. */
  existing: SnapshotFileInfo[];
  /** Keys copied per event-loop turn while capturing (bounds the pause each turn adds). */
  keysPerTurn?: number;
  /** Where the files go (default: the real file system). */
  files?: SnapshotFs;
  /** Time for yields, polls and the stats (default: the real clock). */
  clock?: Clock;
  /** Makes temp file names unique per process (default: the pid). */
  tmpTag?: string;
}

/** What INFO persistence and status report. */
export interface SnapshotStats {
  inProgress: boolean;
  newest: SnapshotFileInfo | null;
  /** ms since the epoch of the last successful snapshot (0: none this run). */
  lastSaveTime: number;
  lastStatus: 'ok' | 'err';
  lastDurationMs: number;
  lastBytes: number;
}

export class Snapshotter {
  private readonly opts: Required<SnapshotterOptions>;
  /** Newest first; at most two. */
  private files: SnapshotFileInfo[];
  private running: Promise<SnapshotFileInfo | null> | null = null;
  /** Snapshots this object took and published (for the simulator's summary). */
  taken = 0;
  private stopped = false;
  /** How the last snapshot this run took went (what stats adds to the derived fields). */
  private last: Pick<SnapshotStats, 'lastSaveTime' | 'lastStatus' | 'lastDurationMs' | 'lastBytes'> = { lastSaveTime: 0, lastStatus: 'ok', lastDurationMs: 0, lastBytes: 0 };

  constructor(opts: SnapshotterOptions) {
    this.opts = { keysPerTurn: 20_000, files: realSnapshotFs, clock: realClock, tmpTag: String(process.pid), ...opts };
    this.files = opts.existing.slice(0, 2);
  }

  get stats(): SnapshotStats {
    return { inProgress: this.running !== null, newest: this.newest, ...this.last };
  }

  /** The newest complete snapshot on disk (what a leader sends to a follower), or null. */
  get newest(): SnapshotFileInfo | null {
    return this.files[0] ?? null;
  }

  /** After applying: start an automatic snapshot if enough entries were applied since the last. */
  maybeStart(): void {
    if (this.opts.every <= 0 || this.running || this.stopped) return;
    if (this.opts.sm.lastApplied - (this.newest?.index ?? 0) >= this.opts.every) void this.start('automatic');
  }

  /**
   * A snapshot of the state as of now (SAVE, `ctl snapshot`): waits for one already running, then
   * takes a new one unless nothing was applied since. Resolves to the newest snapshot.
   */
  async snapshotNow(): Promise<SnapshotFileInfo | null> {
    if (this.running) await this.running;
    if (this.opts.sm.lastApplied > (this.newest?.index ?? 0)) await this.start('requested');
    return this.newest;
  }

  /** BGSAVE: starts one unless one is running; false if one was already running. */
  startBackground(): boolean {
    if (this.running) return false;
    void this.start('requested');
    return true;
  }

  /** A received snapshot was installed (it is now the newest file). */
  installed(file: SnapshotFileInfo): void {
    this.files = [file, ...this.files.filter((f) => f.index < file.index)].slice(0, 2);
    void pruneSnapshots(this.opts.dir, 2, this.opts.files).catch((err: Error) => this.opts.log.warn(`could not delete old snapshots: ${err.message}`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.running) await this.running.catch(() => {});
  }

  private start(why: 'automatic' | 'requested'): Promise<SnapshotFileInfo | null> {
    const run = this.take(why).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async take(why: string): Promise<SnapshotFileInfo | null> {
    const { sm, raw, log, clock, files } = this.opts;
    const started = clock.monotonic();
    const capture = sm.beginSnapshot();
    const index = capture.meta.lastApplied;
    const term = raw.termAt(index);
    if (index === 0 || term === undefined || index <= (this.newest?.index ?? 0)) {
      capture.abort();
      return this.newest;
    }
    const tmp = path.join(this.opts.dir, `snapshot-${index}-${term}.${this.opts.tmpTag}.tmp`);
    try {
      const slice = this.opts.keysPerTurn;
      while (!capture.copySlice(slice) || !capture.settleSlice(slice)) {
        await nextTurn(clock);
        if (this.stopped) throw new Error('node stopping');
      }
      const pairs = capture.pairs();
      const header: SnapshotHeader = {
        raftkvSnapshot: 1,
        index,
        term,
        config: snapshotConfigOf(capture.membership, this.opts.bootstrap),
        createdAt: clock.now(),
        keys: pairs.length,
        sm: capture.meta,
      };
      const bytes = await writeSnapshotFile(tmp, header, pairs, files);
      await this.waitDurable(index);
      const file = await publishSnapshot(this.opts.dir, tmp, index, term, files);
      const previous = this.newest;
      this.files = [file, ...this.files].slice(0, 2);
      await pruneSnapshots(this.opts.dir, 2, files);
      const compacted = await this.compact(index, previous);
      const ms = clock.monotonic() - started;
      this.taken++;
      this.last = { lastSaveTime: clock.now(), lastStatus: 'ok', lastDurationMs: ms, lastBytes: bytes };
      log.info(`snapshot taken (${why}) at index ${index} (term ${term}): ${pairs.length} keys, ${bytes} bytes in ${ms.toFixed(0)} ms; ${compacted}`);
      return file;
    } catch (err) {
      capture.abort();
      this.last = { ...this.last, lastStatus: 'err', lastDurationMs: clock.monotonic() - started };
      await files.unlink(tmp).catch(() => {});
      if (!this.stopped) log.error(`snapshot at index ${index} failed: ${(err as Error).message}`);
      return this.newest;
    }
  }

  /** Polls until the WAL holds entry `index` durably (normally at most one fsync away). */
  private async waitDurable(index: number): Promise<void> {
    while (this.opts.raw.status().stableIndex < index) {
      if (this.stopped) throw new Error('node stopping');
      await sleep(this.opts.clock, 2);
    }
  }

  /** Step 5 of the class comment; returns a phrase for the log line. */
  private async compact(index: number, previous: SnapshotFileInfo | null): Promise<string> {
    const { raw, wal } = this.opts;
    const to = Math.min(index - this.opts.trailing, previous?.index ?? 0);
    const from = raw.status().snapshotIndex;
    if (to <= from) return `log kept from index ${from + 1} (the previous snapshot is the fallback)`;
    const term = raw.termAt(to)!;
    raw.compact(to);
    const deleted = await wal.compact(to, term);
    return `log compacted to index ${to}, ${deleted.length} WAL segment(s) deleted`;
  }
}
