/** Builders shared by the snapshot file, store and recovery tests. */
import * as path from 'node:path';
import { writeSnapshotFile, type SnapshotHeader } from '../../../src/node/storage/snapshot-file.js';
import { snapshotFileName } from '../../../src/node/storage/snapshot-store.js';

/** A valid header for a snapshot at `index`/`term` holding `keys` keys and no sessions. */
export function snapshotHeader(index: number, term: number, keys: number): SnapshotHeader {
  return {
    raftkvSnapshot: 1,
    index,
    term,
    config: { voters: [1, 2, 3], learners: [] },
    createdAt: 1_700_000_000_000,
    keys,
    sm: { version: 2, lastApplied: index, maxSessions: 100, sessionTimeoutMs: 60_000, clock: 0, sessions: [] },
  };
}

/** `n` distinct pairs whose keys and values hold what JSON and line framing must survive. */
export function awkwardPairs(n: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) out.push([`k"${i}\n\\é€😀\u2028`, `v\r\n"${i}"\t{}[]\u0000😀`.repeat(1 + (i % 3))]);
  return out;
}

/**
 * Writes a valid snapshot at index/term under its final name in `dir`, holding `pairs` (default:
 * one key `at-<index>` whose value is the term). Returns its path.
 */
export async function putSnapshot(dir: string, index: number, term: number, pairs: Array<[string, string]> = [[`at-${index}`, String(term)]]): Promise<string> {
  const file = path.join(dir, snapshotFileName(index, term));
  await writeSnapshotFile(file, snapshotHeader(index, term, pairs.length), pairs);
  return file;
}
