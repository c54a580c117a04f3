/**
 * A simulated directory of snapshot files for one node (src/node/storage/snapshot-fs.ts's
 * contract, no more): file data is durable only after the file's sync(), names (create, rename,
 * unlink) only after fsyncDir. A crash keeps the durable names (or, a torn crash, sometimes the
 * newer names too: a journal may have committed them) and of each file its synced bytes plus,
 * torn, a random part of what was written after them. So code that renames before fsyncing, or
 * trusts a file it never verified, reads a torn snapshot after some crash.
 *
 * Operations complete on the node life's deferred queue: a crash drops them, and a dead life's
 * file system answers nothing (its promises never settle, as its process is gone).
 */
import type { ReadableSnapshotFile, SnapshotFs, WritableSnapshotFile } from '../../../src/node/storage/snapshot-fs.js';
import type { Prng } from '../../lib/prng.js';

interface Inode {
  /** What the node sees. */
  data: Buffer;
  /** What survives a crash for sure. */
  synced: Buffer;
}

function fsError(code: 'ENOENT' | 'EEXIST', op: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${op} '${path}'`), { code });
}

export class SimSnapshotFs {
  /** The namespace as the node sees it, and as of the last fsyncDir. */
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private life = 0;

  constructor(private readonly prng: Prng) {}

  /** The SnapshotFs of a new node life; `defer` runs a completion in that life (dropped on crash). */
  forLife(defer: (fn: () => void) => void): SnapshotFs {
    const life = ++this.life;
    /** Runs `op` now and settles with its outcome on the life's queue; never, once the life is over. */
    const run = <T>(op: () => T): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (life !== this.life) return;
        let out: { ok: true; value: T } | { ok: false; err: unknown };
        try {
          out = { ok: true, value: op() };
        } catch (err) {
          out = { ok: false, err };
        }
        defer(() => {
          if (life !== this.life) return;
          if (out.ok) resolve(out.value);
          else reject(out.err);
        });
      });
    const writable = (inode: Inode): WritableSnapshotFile => {
      let end = 0;
      return {
        write: (data, position) =>
          run(() => {
            const at = position ?? end;
            const size = Math.max(inode.data.length, at + data.length);
            const next = Buffer.alloc(size);
            inode.data.copy(next);
            data.copy(next, at);
            inode.data = next;
            end = Math.max(end, at + data.length);
          }),
        sync: () =>
          run(() => {
            inode.synced = Buffer.from(inode.data);
          }),
        close: () => run(() => {}),
      };
    };
    const readable = (inode: Inode): ReadableSnapshotFile => ({
      size: () => run(() => inode.data.length),
      read: (buf, length, position) => run(() => inode.data.copy(buf, 0, position, Math.min(inode.data.length, position + length))),
      close: () => run(() => {}),
    });
    const get = (op: string, path: string): Inode => {
      const inode = this.names.get(path);
      if (!inode) throw fsError('ENOENT', op, path);
      return inode;
    };
    return {
      readdir: (dir) =>
        run(() =>
          [...this.names.keys()]
            .filter((p) => p.startsWith(`${dir}/`))
            .map((p) => p.slice(dir.length + 1))
            .sort(),
        ),
      create: (path) =>
        run(() => {
          if (this.names.has(path)) throw fsError('EEXIST', 'open', path);
          const inode: Inode = { data: Buffer.alloc(0), synced: Buffer.alloc(0) };
          this.names.set(path, inode);
          return writable(inode);
        }),
      open: (path) => run(() => readable(get('open', path))),
      readFile: (path) => run(() => Buffer.from(get('open', path).data)),
      rename: (from, to) => run(() => this.rename(from, to)),
      unlink: (path) =>
        run(() => {
          get('unlink', path);
          this.names.delete(path);
        }),
      fsyncDir: () => run(() => this.syncNames()),
      renameDurableSync: (from, to) => {
        if (life !== this.life) return;
        this.rename(from, to);
        this.syncNames();
      },
    };
  }

  /** kill -9: un-fsynced names and unsynced bytes are lost (torn: only some of them). */
  crash(torn: boolean): void {
    this.life++;
    const names = torn && this.prng.chance(0.5) ? this.names : this.durableNames;
    const kept = new Map<string, Inode>();
    for (const [path, inode] of names) {
      let data = inode.synced;
      // Bytes written after the last sync: some pages may have reached the disk.
      if (torn && inode.data.length > data.length && inode.data.subarray(0, data.length).equals(data)) {
        data = inode.data.subarray(0, this.prng.int(data.length, inode.data.length));
      }
      const copy = Buffer.from(data);
      kept.set(path, { data: copy, synced: copy });
    }
    this.names = kept;
    this.durableNames = new Map(kept);
  }

  /** Names of files in the directory now (for tests and traces). */
  list(): string[] {
    return [...this.names.keys()].sort();
  }

  private rename(from: string, to: string): void {
    const inode = this.names.get(from);
    if (!inode) throw fsError('ENOENT', 'rename', from);
    this.names.delete(from);
    this.names.set(to, inode);
  }

  private syncNames(): void {
    this.durableNames = new Map(this.names);
  }
}
