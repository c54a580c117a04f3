/**
 * The file operations the snapshot code makes (snapshot-file.ts, snapshot-store.ts, the
 * snapshotter, sender and receiver), behind one small interface: the node process passes
 * `realSnapshotFs` (node:fs), the real-node simulator a simulated directory whose crashes lose
 * unsynced data and un-fsynced renames (test/sim/real-node/sim-snapshot-fs.ts). The snapshot logic
 * itself is the same code in both.
 *
 * Contracts (what the real file system guarantees and the code relies on, no more):
 * - data written to a file is durable only after `sync()` on that file;
 * - a name (create, rename, unlink) is durable only after `fsyncDir` of its directory;
 * - `create` fails if the name exists (O_EXCL), so two writers never share a temp file.
 */
import fs, { promises as fsp } from 'node:fs';
import { fsyncDir } from './wal-segments.js';

/** A file opened for writing (create). */
export interface WritableSnapshotFile {
  /** Writes all of `data` at `position` (default: after the last write). */
  write(data: Buffer, position?: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** A file opened for reading (open). */
export interface ReadableSnapshotFile {
  size(): Promise<number>;
  /** Reads up to `length` bytes at `position` into `buf`; returns how many were read. */
  read(buf: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface SnapshotFs {
  /** Names (not paths) in `dir`. */
  readdir(dir: string): Promise<string[]>;
  /** Creates `path` exclusively, mode 0600. */
  create(path: string): Promise<WritableSnapshotFile>;
  /** Opens `path` for reading; stays readable if the name is unlinked meanwhile. */
  open(path: string): Promise<ReadableSnapshotFile>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
  /**
   * rename + fsyncDir without yielding: installing a received snapshot must have its file in
   * place before the WAL marker that relies on it is queued, with nothing slipping in between.
   */
  renameDurableSync(from: string, to: string, dir: string): void;
}

export const realSnapshotFs: SnapshotFs = {
  readdir: (dir) => fsp.readdir(dir),
  async create(path) {
    const fh = await fsp.open(path, 'wx', 0o600);
    let end = 0;
    return {
      async write(data, position) {
        const at = position ?? end;
        let done = 0;
        while (done < data.length) done += (await fh.write(data, done, data.length - done, at + done)).bytesWritten;
        end = Math.max(end, at + data.length);
      },
      sync: () => fh.sync(),
      close: () => fh.close(),
    };
  },
  async open(path) {
    const fh = await fsp.open(path, 'r');
    return {
      size: async () => (await fh.stat()).size,
      read: async (buf, length, position) => (await fh.read(buf, 0, length, position)).bytesRead,
      close: () => fh.close(),
    };
  },
  readFile: (path) => fsp.readFile(path),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  fsyncDir,
  renameDurableSync(from, to, dir) {
    fs.renameSync(from, to);
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};
