/**
 * WAL segments (wal.ts): rollover at a tiny `segmentBytes`, recovery across segments, compact()
 * deleting exactly the covered prefix, and what a reopen finds after that.
 */
import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Wal } from '../../../src/node/storage/wal.js';
import { scanRecords } from '../../../src/node/storage/wal-record.js';
import { entries, tempDir } from './wal-test-helpers.js';

const SEGMENT_BYTES = 300;
const indexes = (es: { index: number }[]) => es.map((e) => e.index);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A WAL with entries 1..n of term 1 written one append at a time, hard state {2, 3, n - 2} first. */
async function filledWal(dir: string, n: number): Promise<Wal> {
  const { wal } = await Wal.open(dir, { segmentBytes: SEGMENT_BYTES });
  await wal.append({ term: 2, vote: 3, commit: 0 }, []);
  for (let i = 1; i <= n; i++) await wal.append(null, entries(i, 1, 1));
  await wal.append({ term: 2, vote: 3, commit: n - 2 }, []);
  return wal;
}

/** The entry indexes each segment file holds, read from disk. */
async function entriesPerSegment(paths: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const p of paths) {
    const seen: number[] = [];
    scanRecords(await fsp.readFile(p), (r) => {
      if (r.type === 'entries') seen.push(...r.entries.map((e) => e.index));
    });
    out.push(seen);
  }
  return out;
}

async function reopen(t: { teardown(fn: () => unknown): void }, dir: string) {
  const r = await Wal.open(dir, { segmentBytes: SEGMENT_BYTES });
  t.teardown(() => r.wal.close());
  return r;
}

t.test('appends roll over to new segments; a reopen recovers the same state', async (t) => {
  const dir = await tempDir(t);
  const wal = await filledWal(dir, 20);
  const paths = wal.segmentPaths;
  t.ok(paths.length >= 4, `${paths.length} segments`);
  t.same(await fsp.readdir(dir), paths.map((p) => path.basename(p)));
  const per = await entriesPerSegment(paths);
  t.same(per.flat(), range(1, 20), 'each entry written once, in order, across segments');
  for (const p of paths.slice(0, -1)) t.ok((await fsp.stat(p)).size >= SEGMENT_BYTES, `${path.basename(p)} was full before the next began`);
  await wal.close();
  const { state, recovery } = await reopen(t, dir);
  t.same(state.hardState, { term: 2, vote: 3, commit: 18 });
  t.same(indexes(state.entries), range(1, 20));
  t.equal(recovery.truncatedBytes, 0);
});

t.test('compact() deletes exactly the prefix of segments whose entries are all <= the index, never the active one', async (t) => {
  for (const at of [1, 7, 12, 19, 20]) {
    const dir = await tempDir(t);
    const wal = await filledWal(dir, 20);
    const before = wal.segmentPaths;
    const per = await entriesPerSegment(before);
    let keepFrom = 0;
    while (keepFrom < before.length - 1 && per[keepFrom]!.every((i) => i <= at)) keepFrom++;
    const deleted = await wal.compact(at, 1);
    t.same(deleted, before.slice(0, keepFrom), `compact(${at}) deleted segments [0, ${keepFrom})`);
    const left = wal.segmentPaths;
    t.same(await fsp.readdir(dir), left.map((p) => path.basename(p)), `compact(${at}): the files on disk are the segments in use`);
    t.ok(left.length >= 1);
    // Reopen: hard state, compaction point and every entry after it.
    await wal.close();
    const { state } = await reopen(t, dir);
    t.same(state.hardState, { term: 2, vote: 3, commit: 18 }, `compact(${at}): hard state survives`);
    t.equal(state.snapshotIndex, at, `compact(${at}): compaction point`);
    t.equal(state.snapshotTerm, 1);
    t.same(indexes(state.entries), range(at + 1, 20), `compact(${at}): entries after it`);
  }
});

t.test('compact(0) deletes nothing; the compaction point never goes back', async (t) => {
  const dir = await tempDir(t);
  const wal = await filledWal(dir, 12);
  t.same(await wal.compact(0, 0), [], 'compact(0) deletes nothing');
  await t.rejects(wal.compact(5, 1).then(() => wal.compact(4, 1)), { code: 'WAL_INVALID_APPEND' }, 'the compaction point never goes back');
  await wal.close();
});

t.test('hard state survives compaction when it was written only before a reopen (rollover copies it)', async (t) => {
  const dir = await tempDir(t);
  await (await filledWal(dir, 4)).close();
  const a = await reopen(t, dir);
  for (let i = 5; i <= 16; i++) await a.wal.append(null, entries(i, 1, 1));
  const deleted = await a.wal.compact(14, 1);
  t.ok(deleted.length >= 2, 'segments written before the reopen are gone');
  await a.wal.close();
  const b = await reopen(t, dir);
  t.same(b.state.hardState, { term: 2, vote: 3, commit: 2 });
  t.same(indexes(b.state.entries), [15, 16]);
});

t.test('a torn tail in the last segment after rollover is cut off; earlier segments untouched', async (t) => {
  const dir = await tempDir(t);
  const wal = await filledWal(dir, 12);
  await wal.append(null, entries(13, 1, 1));
  const paths = wal.segmentPaths;
  await wal.close();
  t.ok(paths.length >= 3);
  const last = paths.at(-1)!;
  const size = (await fsp.stat(last)).size;
  await fsp.truncate(last, size - 5);
  const { state, recovery } = await reopen(t, dir);
  t.ok(recovery.truncatedBytes > 0);
  t.same(indexes(state.entries), range(1, 12), 'only the torn record is lost');
  t.equal((await fsp.stat(last)).size, size - 5 - recovery.truncatedBytes, 'cut on disk');
  // A torn record in an older segment is corruption, not a torn tail.
  await t.rejects(
    (async () => {
      const first = paths[0]!;
      await fsp.truncate(first, (await fsp.stat(first)).size - 3);
      await Wal.open(dir, { segmentBytes: SEGMENT_BYTES });
    })(),
    { code: 'WAL_CORRUPT', message: /not the last/ },
  );
});

t.test('markSnapshot with replacesLog: appends continue from index + 1, across reopen and compaction', async (t) => {
  const dir = await tempDir(t);
  const wal = await filledWal(dir, 6);
  await wal.markSnapshot(50, 3, { replacesLog: true });
  await t.rejects(wal.append(null, entries(7, 1, 1)), { code: 'WAL_INVALID_APPEND' }, 'the old log end is gone');
  await t.rejects(wal.append(null, entries(50, 1, 3)), { code: 'WAL_INVALID_APPEND' }, 'the snapshot index itself is covered');
  for (let i = 51; i <= 56; i++) await wal.append(null, entries(i, 1, 3));
  await wal.close();
  const a = await reopen(t, dir);
  t.equal(a.state.snapshotIndex, 50);
  t.equal(a.state.snapshotTerm, 3);
  t.same(indexes(a.state.entries), range(51, 56));
  const deleted = await a.wal.compact(53, 3);
  t.ok(deleted.length >= 2, 'segments holding only old entries go');
  await a.wal.close();
  const b = await reopen(t, dir);
  t.equal(b.state.snapshotIndex, 53);
  t.same(indexes(b.state.entries), [54, 55, 56]);
  t.same(b.state.hardState, { term: 2, vote: 3, commit: 4 });
});
