import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeSnapshotFile } from '../../../src/node/storage/snapshot-file.js';
import {
  listSnapshots,
  loadNewestSnapshot,
  pruneSnapshots,
  publishSnapshot,
  publishSnapshotSync,
  removeTempFiles,
  snapshotFileName,
  type SnapshotFileInfo,
} from '../../../src/node/storage/snapshot-store.js';
import { tempDir } from './wal-test-helpers.js';
import { putSnapshot, snapshotHeader } from './snapshot-test-helpers.js';

const names = (files: SnapshotFileInfo[]) => files.map((f) => path.basename(f.path));

t.test('snapshotFileName pads the index so names sort like numbers', async (t) => {
  t.equal(snapshotFileName(42, 7), 'snapshot-0000000000000042-7.snap');
});

t.test('listSnapshots: newest first by index then term; other files ignored', async (t) => {
  const dir = await tempDir(t);
  await putSnapshot(dir, 9, 1);
  await putSnapshot(dir, 100, 2);
  await putSnapshot(dir, 100, 3);
  await putSnapshot(dir, 10, 5);
  await fsp.writeFile(path.join(dir, 'snapshot-x.snap'), '');
  await fsp.writeFile(path.join(dir, `${snapshotFileName(200, 1)}.tmp`), '');
  await fsp.writeFile(path.join(dir, 'wal-00000001.log'), '');
  t.same(
    (await listSnapshots(dir)).map((f) => [f.index, f.term]),
    [
      [100, 3],
      [100, 2],
      [10, 5],
      [9, 1],
    ],
  );
});

t.test('loadNewestSnapshot: the newest valid file; none -> null', async (t) => {
  const dir = await tempDir(t);
  const bad: string[] = [];
  t.equal(await loadNewestSnapshot(dir, (f) => bad.push(f.path)), null);
  await putSnapshot(dir, 5, 1);
  await putSnapshot(dir, 12, 2);
  const got = await loadNewestSnapshot(dir, (f) => bad.push(f.path));
  t.equal(got?.file.index, 12);
  t.same(got?.pairs, [['at-12', '2']]);
  t.same(bad, []);
});

t.test('loadNewestSnapshot falls back to the older file when the newest is damaged, and reports it', async (t) => {
  const dir = await tempDir(t);
  await putSnapshot(dir, 5, 1);
  const newest = await putSnapshot(dir, 12, 2);
  const buf = await fsp.readFile(newest);
  buf[20] = buf[20]! ^ 0xff;
  await fsp.writeFile(newest, buf);
  const bad: Array<[string, string]> = [];
  const got = await loadNewestSnapshot(dir, (f, err) => bad.push([path.basename(f.path), err.message]));
  t.equal(got?.header.index, 5);
  t.same(got?.pairs, [['at-5', '1']]);
  t.equal(bad.length, 1);
  t.equal(bad[0]![0], snapshotFileName(12, 2));
  t.match(bad[0]![1], /checksum mismatch/);
});

t.test('loadNewestSnapshot refuses a file whose name disagrees with its header', async (t) => {
  const dir = await tempDir(t);
  await putSnapshot(dir, 5, 1);
  // A valid file for 12/2 renamed as 13/2.
  await fsp.rename(await putSnapshot(dir, 12, 2), path.join(dir, snapshotFileName(13, 2)));
  const bad: string[] = [];
  const got = await loadNewestSnapshot(dir, (_f, err) => bad.push(err.message));
  t.equal(got?.file.index, 5);
  t.match(bad, [/header says 12\/2, its name 13\/2/]);
});

t.test('loadNewestSnapshot: every file damaged -> null with each one reported', async (t) => {
  const dir = await tempDir(t);
  for (const [i, term] of [
    [3, 1],
    [4, 1],
  ] as const) {
    await fsp.truncate(await putSnapshot(dir, i, term), 10);
  }
  const bad: number[] = [];
  t.equal(await loadNewestSnapshot(dir, (f) => bad.push(f.index)), null);
  t.same(bad, [4, 3]);
});

t.test('pruneSnapshots keeps the newest two (or `keep`) and deletes the rest', async (t) => {
  const dir = await tempDir(t);
  for (const i of [3, 30, 7, 12]) await putSnapshot(dir, i, 1);
  await fsp.writeFile(path.join(dir, 'wal-00000001.log'), 'keep me');
  t.same(
    (await pruneSnapshots(dir)).map((f) => f.index),
    [7, 3],
  );
  t.same((await fsp.readdir(dir)).sort(), [snapshotFileName(12, 1), snapshotFileName(30, 1), 'wal-00000001.log']);
  t.same(await pruneSnapshots(dir), [], 'nothing more to prune');
  t.same(names(await pruneSnapshots(dir, 1)), [snapshotFileName(12, 1)]);
  t.same(names(await listSnapshots(dir)), [snapshotFileName(30, 1)]);
});

t.test('removeTempFiles removes *.tmp only', async (t) => {
  const dir = await tempDir(t);
  await putSnapshot(dir, 4, 1);
  await fsp.writeFile(path.join(dir, 'a.snap.tmp'), 'half');
  await fsp.writeFile(path.join(dir, 'recv-2.tmp'), 'half');
  t.same((await removeTempFiles(dir)).sort(), ['a.snap.tmp', 'recv-2.tmp']);
  t.same(await fsp.readdir(dir), [snapshotFileName(4, 1)]);
  t.same(await removeTempFiles(dir), []);
});

t.test('publishSnapshot and publishSnapshotSync give a temp file its final name', async (t) => {
  const dir = await tempDir(t);
  for (const [publish, index] of [
    [publishSnapshot, 8],
    [publishSnapshotSync, 9],
  ] as const) {
    const tmp = path.join(dir, `in-${index}.tmp`);
    await writeSnapshotFile(tmp, snapshotHeader(index, 2, 1), [['k', `v${index}`]]);
    const info = await publish(dir, tmp, index, 2);
    t.same(info, { index, term: 2, path: path.join(dir, snapshotFileName(index, 2)) });
    await t.rejects(fsp.stat(tmp), { code: 'ENOENT' }, 'the temp file is gone');
  }
  const loaded = await loadNewestSnapshot(dir, () => t.fail('no bad file expected'));
  t.same(loaded?.pairs, [['k', 'v9']]);
  t.same(
    (await listSnapshots(dir)).map((f) => f.index),
    [9, 8],
  );
});

t.test('publishing over a missing temp file fails loudly', async (t) => {
  const dir = await tempDir(t);
  await t.rejects(publishSnapshot(dir, path.join(dir, 'absent.tmp'), 1, 1), { code: 'ENOENT' });
  t.throws(() => publishSnapshotSync(dir, path.join(dir, 'absent.tmp'), 1, 1), { code: 'ENOENT' });
});
