/**
 * Start-up recovery (Raft §7 restart): the newest valid snapshot plus the WAL after it.
 *
 *   1. open the WAL (a torn tail is cut off; mid-log damage stops the node: wal.ts);
 *   2. load the newest snapshot that reads back whole; a damaged one is logged and the one before
 *      it is tried (the WAL keeps every entry after the older of the two kept snapshots);
 *   3. combine them:
 *      - the WAL's log holds the snapshot's last entry (same index and term): the log stays as it
 *        is, trailing window included, and the state machine starts at the snapshot;
 *      - the snapshot is past the WAL's end or disagrees with it (an installed snapshot whose WAL
 *        marker was not written before a crash): the snapshot supersedes the log, and a marker
 *        saying so is written now;
 *      - the WAL was compacted past every usable snapshot: the entries in between are gone. The node
 *        refuses to start and says what to do, rather than come up with less data than it acknowledged.
 */
import { RaftKvError } from '../protocol/errors.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { Logger } from './logger.js';
import type { MemberAddress } from '../protocol/raft-messages.js';
import type { RaftInitialState } from './raft/types.js';
import { membershipOfSnapshot } from './snapshot-membership.js';
import { loadNewestSnapshot, listSnapshots, removeTempFiles, type SnapshotFileInfo } from './storage/snapshot-store.js';
import { realSnapshotFs, type SnapshotFs } from './storage/snapshot-fs.js';
import type { WalState } from './storage/wal-replay.js';
import { Wal } from './storage/wal.js';

export interface RecoveredNode {
  wal: Wal;
  initial: RaftInitialState;
  sm: KvStateMachine;
  /** Snapshot files on disk, newest first (at most two matter). */
  snapshots: SnapshotFileInfo[];
}

export interface RecoverOptions {
  segmentBytes?: number;
  /** cluster.json's addresses, for snapshot files written before headers carried them. */
  addresses?: Record<string, MemberAddress>;
}

export async function recoverNodeState(dataDir: string, log: Logger, options: RecoverOptions = {}): Promise<RecoveredNode> {
  const { addresses = {}, ...walOptions } = options;
  const started = performance.now();
  const { wal, state, recovery } = await Wal.open(dataDir, { log: (line) => log.warn(line), ...walOptions });
  try {
    const r = await combineSnapshotAndLog(dataDir, state, log, { addresses, markSnapshot: (index, term) => wal.markSnapshot(index, term, { replacesLog: true }) });
    const ms = performance.now() - started;
    log.info(`${r.summary} from ${recovery.records} records in ${ms.toFixed(0)} ms${recovery.truncatedBytes ? `, truncated a torn tail of ${recovery.truncatedBytes} bytes` : ''}`);
    return { wal, initial: r.initial, sm: r.sm, snapshots: r.snapshots };
  } catch (err) {
    await wal.close().catch(() => {});
    throw err;
  }
}

export interface CombineOptions {
  addresses: Record<string, MemberAddress>;
  /** Writes a WAL marker saying the snapshot (index, term) replaces the log. */
  markSnapshot: (index: number, term: number) => Promise<void>;
  files?: SnapshotFs;
}

/**
 * Steps 2 and 3 of the file comment, given what the WAL replayed: shared by the node process and
 * the real-node simulator (whose WAL and files are simulated). `summary` is the log line's start.
 */
export async function combineSnapshotAndLog(
  dataDir: string,
  state: WalState,
  log: Logger,
  { addresses, markSnapshot, files = realSnapshotFs }: CombineOptions,
): Promise<{ initial: RaftInitialState; sm: KvStateMachine; snapshots: SnapshotFileInfo[]; summary: string }> {
  for (const name of await removeTempFiles(dataDir, files)) log.info(`removed ${name}, left over from an interrupted snapshot`);
  // A file that reads back whole but holds a state machine that cannot be built counts as damaged too.
  let built: KvStateMachine | null = null;
  const snap = await loadNewestSnapshot(
    dataDir,
    (file, err) => log.error(`snapshot ${file.index} (term ${file.term}) is damaged, trying an older one: ${err.message}`),
    (contents) => {
      built = KvStateMachine.fromSnapshot({ ...contents.header.sm, data: contents.pairs });
    },
    files,
  );
  const walEnd = state.snapshotIndex + state.entries.length;
  let initial: RaftInitialState = { hardState: state.hardState, entries: state.entries, snapshotIndex: state.snapshotIndex, snapshotTerm: state.snapshotTerm, applied: 0 };
  let sm = new KvStateMachine();
  if (!snap) {
    if (state.snapshotIndex > 0) {
      throw new RaftKvError('CORRUPT_LOG', `${dataDir}: the WAL starts after index ${state.snapshotIndex}, but no usable snapshot covers the entries before it. Restore this node's data directory from a backup, or delete it to have the node rejoin with a snapshot from the leader (as a new, empty member)`);
    }
  } else {
    const { index, term } = snap.header;
    if (index < state.snapshotIndex) {
      throw new RaftKvError('CORRUPT_LOG', `${dataDir}: the newest usable snapshot ends at index ${index}, but the WAL was compacted to ${state.snapshotIndex}: entries ${index + 1}..${state.snapshotIndex} are in no file. Restore from a backup, or delete the data directory to rejoin as a new member`);
    }
    const walTerm = index === state.snapshotIndex ? state.snapshotTerm : state.entries[index - state.snapshotIndex - 1]?.term;
    if (walTerm === term) {
      initial.applied = index;
    } else {
      // The snapshot supersedes the log (§7: a log that disagrees at its index, or is shorter).
      initial = { hardState: state.hardState, entries: [], snapshotIndex: index, snapshotTerm: term, applied: index };
      await markSnapshot(index, term);
      log.warn(`snapshot ${index} (term ${term}) supersedes the WAL (which ends at ${walEnd}${walTerm !== undefined ? `, with term ${walTerm} there` : ''}): the log restarts after it`);
    }
    sm = built!;
    // The core replays the config entries after the snapshot on top of this (RaftInitialState).
    initial.membership = membershipOfSnapshot(snap.header.config, addresses);
    sm.membership = initial.membership;
  }
  const summary =
    `recovered ${snap ? `snapshot ${snap.header.index} (term ${snap.header.term}, ${snap.header.keys} keys) + ` : ''}${initial.entries.length} WAL entries ` +
    `(term ${state.hardState.term}, vote ${state.hardState.vote}, commit ${state.hardState.commit})`;
  return { initial, sm, snapshots: await listSnapshots(dataDir, files), summary };
}
