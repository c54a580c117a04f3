/**
 * The snapshot files of one node, next to its WAL in `<dataDir>/node-<id>/`:
 *   snapshot-<index, 16 digits>-<term>.snap   complete, verified-on-read snapshots
 *   *.tmp                                      being written or received; removed at start-up
 *
 * A file gets its final name only once it is complete and fsynced, and the rename is made durable
 * with a directory fsync: a crash leaves either no new snapshot or a whole one. The newest two are
 * kept, so that a damaged newest file can fall back to the one before (the WAL keeps every entry
 * after the older of the two: see Snapshotter's compaction point).
 */
import * as path from 'node:path';
import { realSnapshotFs, type SnapshotFs } from './snapshot-fs.js';
import { readSnapshotFile, SnapshotFileError, type SnapshotContents } from './snapshot-file.js';

const NAME = /^snapshot-(\d{16})-(\d+)\.snap$/;

export interface SnapshotFileInfo {
  index: number;
  term: number;
  path: string;
}

export function snapshotFileName(index: number, term: number): string {
  return `snapshot-${String(index).padStart(16, '0')}-${term}.snap`;
}

/** The snapshot files in `dir`, newest (highest index, then term) first. */
export async function listSnapshots(dir: string, files: SnapshotFs = realSnapshotFs): Promise<SnapshotFileInfo[]> {
  const out: SnapshotFileInfo[] = [];
  for (const name of await files.readdir(dir)) {
    const m = NAME.exec(name);
    if (m) out.push({ index: Number(m[1]), term: Number(m[2]), path: path.join(dir, name) });
  }
  return out.sort((a, b) => b.index - a.index || b.term - a.term);
}

/** Removes leftovers of writes and transfers a crash interrupted. */
export async function removeTempFiles(dir: string, files: SnapshotFs = realSnapshotFs): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await files.readdir(dir)) {
    if (name.endsWith('.tmp')) {
      await files.unlink(path.join(dir, name));
      removed.push(name);
    }
  }
  return removed;
}

export interface LoadedSnapshot extends SnapshotContents {
  file: SnapshotFileInfo;
}

/**
 * The newest snapshot that reads back whole, or null when there is none. A damaged file is
 * reported through `onBad` (the node log) and the next older one is tried: never silently less
 * data, never a damaged file.
 */
export async function loadNewestSnapshot(
  dir: string,
  onBad: (file: SnapshotFileInfo, err: Error) => void,
  /** Further checks of a file that read back whole (e.g. that its state machine can be built); throw to reject it. */
  check: (contents: SnapshotContents) => void = () => {},
  files: SnapshotFs = realSnapshotFs,
): Promise<LoadedSnapshot | null> {
  for (const file of await listSnapshots(dir, files)) {
    try {
      const contents = await readSnapshotFile(file.path, files);
      if (contents.header.index !== file.index || contents.header.term !== file.term) {
        throw new SnapshotFileError(file.path, `its header says ${contents.header.index}/${contents.header.term}, its name ${file.index}/${file.term}`);
      }
      try {
        check(contents);
      } catch (err) {
        throw new SnapshotFileError(file.path, (err as Error).message);
      }
      return { ...contents, file };
    } catch (err) {
      if (!(err instanceof SnapshotFileError)) throw err;
      onBad(file, err);
    }
  }
  return null;
}

/** Gives a complete, fsynced temp file its final name and makes that durable. */
export async function publishSnapshot(dir: string, tmpPath: string, index: number, term: number, files: SnapshotFs = realSnapshotFs): Promise<SnapshotFileInfo> {
  const final = path.join(dir, snapshotFileName(index, term));
  await files.rename(tmpPath, final);
  await files.fsyncDir(dir);
  return { index, term, path: final };
}

/**
 * As publishSnapshot, synchronously: installing a received snapshot must have the file in place
 * before the WAL marker that relies on it is queued, and queued before the Ready's own entries,
 * with no other Ready's writes slipping in between. A rename and a directory fsync, once per
 * install, are worth blocking for.
 */
export function publishSnapshotSync(dir: string, tmpPath: string, index: number, term: number, files: SnapshotFs = realSnapshotFs): SnapshotFileInfo {
  const final = path.join(dir, snapshotFileName(index, term));
  files.renameDurableSync(tmpPath, final, dir);
  return { index, term, path: final };
}

/** Deletes all but the newest `keep` snapshots; returns the deleted files. */
export async function pruneSnapshots(dir: string, keep = 2, files: SnapshotFs = realSnapshotFs): Promise<SnapshotFileInfo[]> {
  const old = (await listSnapshots(dir, files)).slice(keep);
  for (const f of old) await files.unlink(f.path);
  if (old.length > 0) await files.fsyncDir(dir);
  return old;
}
