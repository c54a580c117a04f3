/**
 * The durable write-ahead log of one node: hard state and log entries, appended and fsynced before
 * anything that depends on them leaves the node (DESIGN.md "Storage").
 *
 * Group commit: append() calls that arrive while a write+fsync is in flight wait and then go out
 * together as ONE write of ONE buffer followed by ONE fdatasync. Calls are written in call order and
 * their promises resolve in call order, each only once its bytes are on disk. Under load this turns
 * thousands of appends per second into a few hundred fsyncs.
 *
 * The WAL keeps no entries in memory after open(): the consensus core holds the log. It tracks only
 * the last index (to reject appends that would leave a gap) and the snapshot index.
 *
 * Segments: once the active segment holds `segmentBytes`, the next batch starts a new one, which
 * begins with a segmentStart record (where the log stands) and the current hard state, so that it
 * is readable without its predecessors. After a snapshot, compact() records the new compaction
 * point and deletes the oldest segments whose entries all lie at or below it: disk use is bounded
 * by the entries since the compaction point plus at most one segment.
 *
 * Failure model: a failed write or fsync poisons the WAL (WAL_FAILED) — after a failed fsync the
 * kernel may already have dropped the dirty pages, so the only safe recovery is a restart, which
 * re-reads what really is on disk.
 */
import fs, { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Entry, HardState } from '../../protocol/raft-messages.js';
import { StorageError, WalCorruptionError } from './storage-errors.js';
import { MAX_RECORD_PAYLOAD_BYTES, framePayloads, scanRecords, serializeRecord } from './wal-record.js';
import { WalReplay, type WalState } from './wal-replay.js';
import { ensureDir, fsyncDir, listSegments, segmentFileName, type Segment } from './wal-segments.js';

export type { WalState } from './wal-replay.js';

export interface WalOptions {
  /** Receives one human-readable line per notable recovery event (the node log). */
  log?: (line: string) => void;
  /** Start a new segment once the active one holds this many bytes. Default 4 MiB. */
  segmentBytes?: number;
}

const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;

/** A segment file, the highest entry index ever written to it (0: none) and its size once closed. */
interface SegmentInfo extends Segment {
  maxIndex: number;
  bytes: number;
}

/** Where the durable log ends, as far as the written batches tell. */
interface LogEnd {
  index: number;
  term: number;
}

export interface WalRecovery {
  /** Bytes cut off a torn tail (0 when the log ended cleanly). */
  truncatedBytes: number;
  /** Valid records read, over all segments. */
  records: number;
}

export interface WalOpenResult {
  wal: Wal;
  state: WalState;
  recovery: WalRecovery;
}

/** Monotonic counters for tests and metrics. */
export interface WalCounters {
  /** append() and markSnapshot() calls accepted. */
  appends: number;
  /** Batches written (one buffer each, however many write(2) calls a short write needed). */
  writes: number;
  /** fdatasync calls. */
  fsyncs: number;
  /** Bytes written, framing included. */
  bytes: number;
}

/** One caller's records, serialized at call time, waiting for the next batch. */
interface Pending {
  payloads: string[];
  /** What the records do to the log's end and hard state, applied once they are written. */
  lastEntry?: LogEnd;
  hardState?: HardState;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Wal {
  readonly dir: string;
  /** Every segment on disk, oldest first; the last is the one being appended to. */
  private readonly segments: SegmentInfo[];
  private fh: fsp.FileHandle;
  private readonly segmentBytes: number;
  /** The log's end and the hard state as of the batches written so far (for a segmentStart). */
  private writtenEnd: LogEnd;
  private writtenHardState: HardState | null;
  /** Bytes in the active segment that are written (or being written); the next write goes here. */
  private size: number;
  /** Last index once every accepted call is on disk; append() validates against it. */
  private lastIndex: number;
  private snapshotIndex: number;
  /** Calls waiting for the next batch, in call order. */
  private queue: Pending[] = [];
  /** True from scheduling a flush until the queue is drained. */
  private flushing = false;
  /** Settles after the most recently accepted call; close() waits on it. */
  private tail: Promise<void> = Promise.resolve();
  private closing = false;
  private failure: StorageError | null = null;
  private readonly stats: WalCounters = { appends: 0, writes: 0, fsyncs: 0, bytes: 0 };

  private constructor(dir: string, segments: SegmentInfo[], fh: fsp.FileHandle, size: number, state: WalState, end: LogEnd, segmentBytes: number) {
    this.dir = dir;
    this.segments = segments;
    this.fh = fh;
    this.size = size;
    this.segmentBytes = segmentBytes;
    this.snapshotIndex = state.snapshotIndex;
    this.lastIndex = state.snapshotIndex + state.entries.length;
    this.writtenEnd = end;
    const hs = state.hardState;
    this.writtenHardState = hs.term === 0 && hs.vote === 0 && hs.commit === 0 ? null : { ...hs };
  }

  /** The active segment. */
  private get segment(): SegmentInfo {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Opens (creating if needed) the WAL in `dir` and recovers its state. A torn tail on the last
   * segment is cut off on disk (ftruncate + fsync) and logged; damage anywhere else throws
   * WalCorruptionError (WAL_CORRUPT) naming the file and offset.
   */
  static async open(dir: string, opts: WalOptions = {}): Promise<WalOpenResult> {
    const log = opts.log ?? (() => {});
    await ensureDir(dir);
    let segments = await listSegments(dir);
    if (segments.length === 0) {
      const first: Segment = { seq: 1, path: path.join(dir, segmentFileName(1)) };
      await (await fsp.open(first.path, 'wx')).close();
      await fsyncDir(dir);
      segments = [first];
    }

    const replay = new WalReplay();
    let records = 0;
    let truncatedBytes = 0;
    const active = segments[segments.length - 1]!;
    let activeSize = 0;
    const infos: SegmentInfo[] = [];
    for (const seg of segments) {
      const isLast = seg === active;
      const buf = await fsp.readFile(seg.path);
      const info: SegmentInfo = { ...seg, maxIndex: 0, bytes: buf.length };
      infos.push(info);
      const scan = scanRecords(buf, (record, offset) => {
        const problem = replay.apply(record);
        if (problem !== null) throw new WalCorruptionError(seg.path, offset, problem);
        if (record.type === 'entries') info.maxIndex = Math.max(info.maxIndex, record.entries[record.entries.length - 1]!.index);
      });
      records += scan.records;
      if (scan.end.kind === 'corrupt') {
        throw new WalCorruptionError(seg.path, scan.end.offset, `${scan.end.reason}; valid data follows at offset ${scan.end.nextValidOffset}, so this is not a torn write`);
      }
      if (scan.end.kind === 'torn') {
        // Only the last segment can end in an interrupted write: an older one was complete
        // (and fsynced) before the next was started.
        if (!isLast) throw new WalCorruptionError(seg.path, scan.end.offset, `${scan.end.reason} in a segment that is not the last`);
        truncatedBytes = buf.length - scan.validBytes;
      }
      if (isLast) activeSize = scan.validBytes;
    }

    const fh = await fsp.open(active.path, 'r+');
    try {
      if (truncatedBytes > 0) {
        await fh.truncate(activeSize);
        await fh.sync();
        log(`wal: truncated torn tail at offset ${activeSize} (${truncatedBytes} bytes) in ${active.path}`);
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    const end = { index: replay.lastIndex(), term: replay.lastTerm() };
    const state = replay.state();
    const wal = new Wal(dir, infos, fh, activeSize, state, end, opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
    return { wal, state, recovery: { truncatedBytes, records } };
  }

  /**
   * Durably appends `entries` (consecutive; if entries[0].index <= the last index, everything from
   * there on is replaced) and then `hardState` if non-null. Resolves once both are fsynced.
   * Rejects with WAL_INVALID_APPEND (nothing written) if the entries would leave a gap or reach
   * into the snapshot, WAL_CLOSED after close(), WAL_FAILED after an I/O error.
   *
   * Entries go before the hard state so that a torn write can lose a commit index but never keep
   * one that points past the entries it covers.
   */
  append(hardState: HardState | null, entries: readonly Entry[]): Promise<void> {
    const payloads: string[] = [];
    const meta: Pick<Pending, 'lastEntry' | 'hardState'> = {};
    try {
      this.checkAccepting();
      if (entries.length > 0) {
        this.checkEntries(entries);
        payloads.push(serializeRecord({ type: 'entries', entries: entries as Entry[] }));
        const last = entries[entries.length - 1]!;
        meta.lastEntry = { index: last.index, term: last.term };
      }
      if (hardState !== null) {
        const { term, vote, commit } = hardState;
        if (!isCount(term) || !isCount(vote) || !isCount(commit)) {
          throw new StorageError('WAL_INVALID_APPEND', `wal: malformed hard state ${JSON.stringify(hardState)}`);
        }
        payloads.push(serializeRecord({ type: 'hardState', term, vote, commit }));
        meta.hardState = { term, vote, commit };
      }
      checkPayloadSizes(payloads);
    } catch (err) {
      return Promise.reject(err);
    }
    const p = this.enqueue(payloads, meta);
    if (entries.length > 0) this.lastIndex = entries[entries.length - 1]!.index;
    return p;
  }

  /**
   * The snapshot hook: records that everything at or below `index` (of `term`) now lives in a
   * snapshot file, so recovery drops those entries (and the whole log if it disagrees with the
   * snapshot at `index`). The snapshot file itself must be durable before this is called. After
   * it, appends may start anywhere in (index, lastIndex + 1].
   */
  markSnapshot(index: number, term: number, { replacesLog = false }: { replacesLog?: boolean } = {}): Promise<void> {
    try {
      this.checkAccepting();
      if (!isCount(index) || !isCount(term) || index < this.snapshotIndex) {
        throw new StorageError('WAL_INVALID_APPEND', `wal: bad snapshot marker ${index}/${term} (current snapshot ${this.snapshotIndex})`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    // An installed snapshot (replacesLog) supersedes the whole log: it ends at the snapshot now.
    const p = this.enqueue([serializeRecord({ type: 'snapshot', index, term })], replacesLog ? { lastEntry: { index, term } } : {});
    this.snapshotIndex = index;
    this.lastIndex = replacesLog ? index : Math.max(this.lastIndex, index);
    return p;
  }

  /**
   * Log compaction after a snapshot through at least `index` is durable: records `index` as the
   * compaction point (markSnapshot), then deletes the oldest segments whose entries all lie at or
   * below it (never the active one) and fsyncs the directory. Returns the files deleted.
   */
  async compact(index: number, term: number): Promise<string[]> {
    await this.markSnapshot(index, term);
    const deleted: string[] = [];
    while (this.segments.length > 1 && this.segments[0]!.maxIndex <= index) {
      const seg = this.segments.shift()!;
      await fsp.unlink(seg.path);
      deleted.push(seg.path);
    }
    if (deleted.length > 0) await fsyncDir(this.dir);
    return deleted;
  }

  /** Bytes of WAL on disk, every segment (the active one as written so far). */
  get diskBytes(): number {
    let total = this.size;
    for (let i = 0; i < this.segments.length - 1; i++) total += this.segments[i]!.bytes;
    return total;
  }

  /** A copy of the counters. */
  get counters(): WalCounters {
    return { ...this.stats };
  }

  /** Paths of the segment files in use, oldest first. */
  get segmentPaths(): string[] {
    return this.segments.map((s) => s.path);
  }

  /** Waits for every accepted append to settle, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) {
      await this.tail;
      return;
    }
    this.closing = true;
    await this.tail;
    this.tail = this.fh.close();
    await this.tail;
  }

  private checkEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    if (!isCount(first) || first <= this.snapshotIndex || first > this.lastIndex + 1) {
      throw new StorageError('WAL_INVALID_APPEND', `wal: entries start at ${first}, allowed ${this.snapshotIndex + 1}..${this.lastIndex + 1}`);
    }
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.index !== first + i) {
        throw new StorageError('WAL_INVALID_APPEND', `wal: entry indices not consecutive at position ${i} (${entries[i]!.index}, expected ${first + i})`);
      }
    }
  }

  private checkAccepting(): void {
    if (this.closing) throw new StorageError('WAL_CLOSED', 'wal: append after close');
    if (this.failure) throw this.failure;
  }

  /** Queues a call that checkAccepting() admitted; its promise settles when its batch does. */
  private enqueue(payloads: string[], meta: Pick<Pending, 'lastEntry' | 'hardState'> = {}): Promise<void> {
    this.stats.appends++;
    const p = new Promise<void>((resolve, reject) => this.queue.push({ payloads, ...meta, resolve, reject }));
    this.tail = p.catch(() => {});
    if (!this.flushing) {
      this.flushing = true;
      // Start on a microtask, not synchronously, so appends issued in the same tick share the
      // first batch too (otherwise the first caller would always be written alone).
      queueMicrotask(() => void this.flushLoop());
    }
    return p;
  }

  /** Drains the queue one batch at a time; each batch is everything queued when it starts. */
  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.failure) {
        for (const c of batch) c.reject(this.failure);
        continue;
      }
      try {
        await this.writeBatch(batch);
      } catch (err) {
        this.failure = new StorageError('WAL_FAILED', `wal: write to ${this.segment.path} failed: ${(err as Error).message}`, { cause: err });
        for (const c of batch) c.reject(this.failure);
        continue;
      }
      for (const c of batch) c.resolve();
    }
    this.flushing = false;
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let payloads = batch.length === 1 ? batch[0]!.payloads : batch.flatMap((c) => c.payloads);
    if (payloads.length === 0) return; // only empty appends: nothing to make durable
    if (this.size >= this.segmentBytes) payloads = [...(await this.rollover()), ...payloads];
    const buf = framePayloads(payloads);
    // The write only copies into the page cache, so it runs on this thread; fdatasync waits for
    // the disk and goes to the thread pool. That is one thread-pool round trip per batch instead
    // of two (fs/promises for both): on a VM each round trip wakes two threads, which costs
    // more CPU than the copy.
    const fd = this.fh.fd;
    let done = 0;
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, this.size + done);
    this.size += buf.length;
    this.stats.writes++;
    this.stats.bytes += buf.length;
    // fdatasync also persists the file size, which is all the metadata an append changes.
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.stats.fsyncs++;
    for (const c of batch) {
      if (c.lastEntry) {
        this.writtenEnd = c.lastEntry;
        this.segment.maxIndex = Math.max(this.segment.maxIndex, c.lastEntry.index);
      }
      if (c.hardState) this.writtenHardState = c.hardState;
    }
  }

  /**
   * Starts the next segment (its directory entry durable) and returns the records it must begin
   * with: where the log stands and the current hard state. Everything written to the old segment
   * was fdatasynced already; it is closed and stays as it is.
   */
  private async rollover(): Promise<string[]> {
    const seq = this.segment.seq + 1;
    const next: SegmentInfo = { seq, path: path.join(this.dir, segmentFileName(seq)), maxIndex: 0, bytes: 0 };
    const fh = await fsp.open(next.path, 'wx');
    await fsyncDir(this.dir);
    const old = this.fh;
    this.fh = fh;
    this.segment.bytes = this.size;
    this.segments.push(next);
    this.size = 0;
    await old.close();
    const head = [serializeRecord({ type: 'segmentStart', prevIndex: this.writtenEnd.index, prevTerm: this.writtenEnd.term })];
    if (this.writtenHardState) head.push(serializeRecord({ type: 'hardState', ...this.writtenHardState }));
    return head;
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Rejects a record at call time rather than failing a whole batch (and the WAL) at write time. */
function checkPayloadSizes(payloads: string[]): void {
  for (const s of payloads) {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: only long strings need measuring.
    if (s.length * 3 > MAX_RECORD_PAYLOAD_BYTES && Buffer.byteLength(s, 'utf8') > MAX_RECORD_PAYLOAD_BYTES) {
      throw new StorageError('WAL_INVALID_APPEND', `wal: record of ${Buffer.byteLength(s, 'utf8')} bytes exceeds the ${MAX_RECORD_PAYLOAD_BYTES}-byte limit`);
    }
  }
}
