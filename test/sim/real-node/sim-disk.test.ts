/** The simulated disk: appends durable in order at fsync points; a crash keeps synced data and at most a prefix of the rest. */
import t from 'tap';
import type { Entry } from '../../../src/protocol/raft-messages.js';
import { Prng } from '../../lib/prng.js';
import { SimDisk } from './sim-disk.js';

const e = (index: number, term = 1): Entry => ({ index, term, kind: 'cmd', data: { op: 'set', key: 'k', value: String(index) } });

t.test('appends complete in call order at their fsync points; only synced data survives a crash without torn writes', async (t) => {
  let now = 0;
  const disk = new SimDisk(new Prng(1), 0);
  const s = disk.storage(() => now);
  const done: number[] = [];
  void s.append({ term: 1, vote: 1, commit: 0 }, [e(1), e(2)]).then(() => done.push(1));
  now = 5;
  void s.append(null, [e(3)]).then(() => done.push(2));
  t.equal(disk.syncDue(4), 1, 'the first append is synced by 4');
  await Promise.resolve();
  t.same(done, [1]);
  t.equal(disk.unsynced, 1);
  const lost = disk.crash(false);
  t.same(lost, { kept: 0, unsynced: 1 });
  const rec = disk.recovered();
  t.same(rec.entries.map((x) => x.index), [1, 2], 'entry 3 was never synced');
  t.same(rec.hardState, { term: 1, vote: 1, commit: 0 });
  t.equal(rec.snapshotIndex, 0, 'no snapshot marker: the log starts at 1');
  disk.syncDue(100);
  await Promise.resolve();
  t.same(done, [1], 'a dead life\'s write never completes');
});

t.test('a torn crash keeps a prefix of the unsynced records, never a hard state without the entries before it', async (t) => {
  for (let seed = 1; seed <= 30; seed++) {
    const disk = new SimDisk(new Prng(seed), 0);
    const s = disk.storage(() => 0);
    void s.append({ term: 2, vote: 1, commit: 1 }, [e(1, 2)]);
    void s.append({ term: 2, vote: 1, commit: 2 }, [e(2, 2)]);
    const { kept, unsynced } = disk.crash(true);
    t.equal(unsynced, 4);
    const rec = disk.recovered();
    t.equal(rec.entries.length, [0, 1, 1, 2, 2][kept], `seed ${seed}: ${kept} records kept`);
    t.equal(rec.hardState.commit, [0, 0, 1, 1, 2][kept]);
  }
});

t.test('an append from an earlier index replaces the log from there (§5.3)', async (t) => {
  const disk = new SimDisk(new Prng(1), 0);
  const s = disk.storage(() => 0);
  void s.append(null, [e(1), e(2), e(3)]);
  void s.append(null, [e(2, 2)]);
  disk.syncDue(0);
  t.same(disk.recovered().entries.map((x) => `${x.index}/${x.term}`), ['1/1', '2/2']);
});

t.test('a snapshot marker compacts the log; one that replaces it (an installed snapshot) drops it; both only once synced', async (t) => {
  const disk = new SimDisk(new Prng(1), 0);
  const s = disk.storage(() => 0);
  void s.append({ term: 1, vote: 1, commit: 3 }, [e(1), e(2), e(3), e(4)]);
  disk.syncDue(0);
  const compacted = s.compact(2, 1);
  t.equal(disk.recovered().snapshotIndex, 0, 'the marker is not durable before its fsync');
  disk.syncDue(0);
  await compacted;
  let rec = disk.recovered();
  t.same([rec.snapshotIndex, rec.snapshotTerm, rec.entries.map((x) => x.index)], [2, 1, [3, 4]], 'entries up to the marker are gone, the rest kept');
  t.same(rec.hardState, { term: 1, vote: 1, commit: 3 }, 'compaction keeps the hard state');
  void s.markSnapshot(9, 3, { replacesLog: true });
  void s.append(null, [e(10, 3)]);
  disk.syncDue(0);
  rec = disk.recovered();
  t.same([rec.snapshotIndex, rec.snapshotTerm, rec.entries.map((x) => x.index)], [9, 3, [10]], 'the log restarts after an installed snapshot');
});
