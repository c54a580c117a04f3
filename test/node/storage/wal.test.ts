import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Wal } from '../../../src/node/storage/wal.js';
import { StorageError } from '../../../src/node/storage/storage-errors.js';
import { entries, tempDir } from './wal-test-helpers.js';

const indexTerms = (es: { index: number; term: number }[]) => es.map((e) => `${e.index}@${e.term}`);

t.test('a fresh WAL creates nested dirs and one segment, and starts empty', async (t) => {
  const dir = path.join(await tempDir(t), 'data', 'node-1');
  const { wal, state, recovery } = await Wal.open(dir);
  t.teardown(() => wal.close());
  t.same(state, { hardState: { term: 0, vote: 0, commit: 0 }, entries: [], snapshotIndex: 0, snapshotTerm: 0 });
  t.same(recovery, { truncatedBytes: 0, records: 0 });
  t.same(await fsp.readdir(dir), ['wal-00000001.log']);
  t.same(wal.segmentPaths, [path.join(dir, 'wal-00000001.log')]);
});

t.test('round trip: entries and hard state survive close and reopen', async (t) => {
  const dir = await tempDir(t);
  const a = await Wal.open(dir);
  const written = [...entries(1, 3, 1), { term: 1, index: 4, kind: 'noop' as const }, ...entries(5, 2, 1)];
  await a.wal.append({ term: 1, vote: 1, commit: 0 }, written.slice(0, 4));
  await a.wal.append({ term: 1, vote: 1, commit: 4 }, written.slice(4));
  await a.wal.append(null, []);
  await a.wal.close();

  const b = await Wal.open(dir);
  t.teardown(() => b.wal.close());
  t.same(b.state.entries, written);
  t.same(b.state.hardState, { term: 1, vote: 1, commit: 4 });
  t.same(b.recovery, { truncatedBytes: 0, records: 4 });
  // And the reopened WAL appends after what it found.
  await b.wal.append(null, entries(7, 1, 2));
  await b.wal.close();
  const c = await Wal.open(dir);
  t.teardown(() => c.wal.close());
  t.same(indexTerms(c.state.entries), ['1@1', '2@1', '3@1', '4@1', '5@1', '6@1', '7@2']);
});

t.test('§5.3 replacement of a suffix (a follower corrected by its leader)', async (t) => {
  const dir = await tempDir(t);
  const a = await Wal.open(dir);
  await a.wal.append(null, entries(1, 5, 1));
  await a.wal.append(null, entries(3, 2, 2, 'new')); // replaces 3..5 with 3..4
  await a.wal.append(null, entries(5, 1, 2, 'new'));
  await a.wal.close();
  const b = await Wal.open(dir);
  t.teardown(() => b.wal.close());
  t.same(indexTerms(b.state.entries), ['1@1', '2@1', '3@2', '4@2', '5@2']);
  t.match(b.state.entries[2]!.data, { value: /^new-/ });
});

t.test('hard state: last writer wins', async (t) => {
  const dir = await tempDir(t);
  const a = await Wal.open(dir);
  await a.wal.append({ term: 1, vote: 1, commit: 0 }, []);
  await Promise.all([a.wal.append({ term: 2, vote: 0, commit: 0 }, []), a.wal.append({ term: 2, vote: 3, commit: 0 }, [])]);
  await a.wal.append({ term: 3, vote: 0, commit: 0 }, []);
  await a.wal.append({ term: 3, vote: 2, commit: 0 }, []);
  await a.wal.close();
  const b = await Wal.open(dir);
  t.teardown(() => b.wal.close());
  t.same(b.state.hardState, { term: 3, vote: 2, commit: 0 });
});

t.test('invalid appends are rejected with WAL_INVALID_APPEND and write nothing', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  t.teardown(() => wal.close());
  await wal.append(null, entries(1, 2, 1));
  const bad: [string, Promise<void>][] = [
    ['gap', wal.append(null, entries(4, 1, 1))],
    ['index 0', wal.append(null, [{ term: 1, index: 0, kind: 'cmd' }])],
    ['not consecutive', wal.append(null, [...entries(3, 1, 1), ...entries(5, 1, 1)])],
    ['negative term', wal.append({ term: -1, vote: 0, commit: 0 }, [])],
    ['fraction', wal.append({ term: 1, vote: 0.5, commit: 0 }, [])],
    ['garbage hard state', wal.append({ term: 'x' } as never, [])],
    ['bad snapshot marker', wal.markSnapshot(-1, 0)],
  ];
  for (const [name, p] of bad) await t.rejects(p, { code: 'WAL_INVALID_APPEND' }, name);
  const before = wal.counters;
  t.equal(before.writes, 1, 'only the valid append was written');
  await wal.append(null, entries(3, 1, 1)); // still usable
});

t.test('append after close is WAL_CLOSED; close waits for pending appends; close twice is fine', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  let done = 0;
  const pending = [1, 2, 3].map((i) => wal.append(null, entries(i, 1, 1)).then(() => done++));
  await wal.close();
  t.equal(done, 3, 'every append made before close() resolved before it');
  await Promise.all(pending);
  await t.rejects(wal.append(null, entries(4, 1, 1)), { code: 'WAL_CLOSED' });
  await wal.close();
  const b = await Wal.open(dir);
  t.teardown(() => b.wal.close());
  t.equal(b.state.entries.length, 3);
});

t.test('counters count appends, writes, fsyncs and bytes', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  t.teardown(() => wal.close());
  await wal.append({ term: 1, vote: 0, commit: 0 }, entries(1, 2, 1));
  await wal.append(null, entries(3, 1, 1));
  const c = wal.counters;
  t.same({ appends: c.appends, writes: c.writes, fsyncs: c.fsyncs }, { appends: 2, writes: 2, fsyncs: 2 });
  t.equal(c.bytes, (await fsp.stat(wal.segmentPaths[0]!)).size);
  t.not(wal.counters, wal.counters, 'a copy each time');
});

t.test('snapshot marker: covered entries are gone after reopen; appends continue after it', async (t) => {
  const dir = await tempDir(t);
  const a = await Wal.open(dir);
  await a.wal.append(null, entries(1, 6, 1));
  await a.wal.markSnapshot(4, 1);
  await t.rejects(a.wal.append(null, entries(4, 1, 1)), { code: 'WAL_INVALID_APPEND' }, 'cannot rewrite below the snapshot');
  await a.wal.append(null, entries(7, 1, 2));
  await a.wal.close();
  const b = await Wal.open(dir);
  t.same(indexTerms(b.state.entries), ['5@1', '6@1', '7@2']);
  t.same([b.state.snapshotIndex, b.state.snapshotTerm], [4, 1]);
  // A snapshot ahead of the log (installed from the leader) supersedes it.
  await b.wal.markSnapshot(20, 3);
  await b.wal.append(null, entries(21, 1, 3));
  await b.wal.close();
  const c = await Wal.open(dir);
  t.teardown(() => c.wal.close());
  t.same(indexTerms(c.state.entries), ['21@3']);
  t.same([c.state.snapshotIndex, c.state.snapshotTerm], [20, 3]);
});

t.test('a failed write poisons the WAL with WAL_FAILED', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  // Pull the file out from under it (white box): the next write fails with EBADF.
  await (wal as unknown as { fh: { close(): Promise<void> } }).fh.close();
  const p1 = wal.append(null, entries(1, 1, 1));
  const p2 = wal.append(null, entries(2, 1, 1));
  await new Promise<void>((r) => queueMicrotask(r)); // the failing batch is now in flight
  const p3 = wal.append(null, entries(3, 1, 1)); // queued behind it: must not be written either
  await t.rejects(p1, { code: 'WAL_FAILED' });
  await t.rejects(p2, { code: 'WAL_FAILED' });
  await t.rejects(p3, { code: 'WAL_FAILED' });
  const err = await wal.append(null, entries(4, 1, 1)).catch((e: unknown) => e);
  t.ok(err instanceof StorageError);
  t.equal((err as StorageError).code, 'WAL_FAILED');
  t.ok((err as Error).cause, 'keeps the I/O error as cause');
  await wal.close().catch(() => {});
});
