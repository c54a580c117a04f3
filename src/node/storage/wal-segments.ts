/**
 * Where WAL segments live and how they are named, plus the directory fsyncs that make creating
 * them durable.
 *
 * A WAL is a directory of segments `wal-<seq>.log`, seq zero-padded to 8 digits and counting up
 * from 1. Records never span segments. Today only one segment is ever written; rollover at a size
 * limit and dropping segments wholly covered by a snapshot will add files to this scheme without
 * changing it. Invariant: the sequence numbers on disk are consecutive (the first may be > 1 once
 * old segments are dropped); a hole means a lost file.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { WalCorruptionError } from './storage-errors.js';

const SEGMENT_NAME = /^wal-(\d{8,})\.log$/;

export interface Segment {
  seq: number;
  /** Absolute or dir-relative path, as `dir` was given. */
  path: string;
}

export function segmentFileName(seq: number): string {
  return `wal-${String(seq).padStart(8, '0')}.log`;
}

/** The segments in `dir`, oldest first. Throws WAL_CORRUPT if one is missing from the sequence. */
export async function listSegments(dir: string): Promise<Segment[]> {
  const names = await fsp.readdir(dir);
  const segments: Segment[] = [];
  for (const name of names) {
    const m = SEGMENT_NAME.exec(name);
    if (m) segments.push({ seq: Number(m[1]), path: path.join(dir, name) });
  }
  segments.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segments.length; i++) {
    const want = segments[i - 1]!.seq + 1;
    if (segments[i]!.seq !== want) {
      throw new WalCorruptionError(path.join(dir, segmentFileName(want)), 0, `segment missing (found ${path.basename(segments[i]!.path)} after ${path.basename(segments[i - 1]!.path)})`);
    }
  }
  return segments;
}

/** fsync a directory, so that entries created or removed in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * mkdir -p, then fsync every parent whose entry list changed, so the new directories themselves
 * survive a crash (a file fsynced inside a directory that was never persisted can vanish).
 */
export async function ensureDir(dir: string): Promise<void> {
  const resolved = path.resolve(dir);
  const firstCreated = await fsp.mkdir(resolved, { recursive: true });
  if (firstCreated === undefined) return;
  // Directories created: firstCreated … resolved. Each one's parent gained an entry.
  let d = resolved;
  const parents: string[] = [];
  while (true) {
    parents.push(path.dirname(d));
    if (d === path.resolve(firstCreated) || d === path.dirname(d)) break;
    d = path.dirname(d);
  }
  for (const p of parents.reverse()) await fsyncDir(p);
}
