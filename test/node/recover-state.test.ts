import t from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { recoverNodeState } from '../../src/node/recover-state.js';
import type { Logger } from '../../src/node/logger.js';
import { Wal } from '../../src/node/storage/wal.js';
import { entries, tempDir } from './storage/wal-test-helpers.js';
import { putSnapshot } from './storage/snapshot-test-helpers.js';

/** A logger that keeps its lines as "level message". */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

/** A WAL in `dir` holding `n` entries of `term` and hard state {term, vote 1, commit n}; `then` runs before close. */
async function writeWal(dir: string, n: number, term: number, then: (wal: Wal) => Promise<unknown> = async () => {}): Promise<void> {
  const { wal } = await Wal.open(dir);
  await wal.append({ term, vote: 1, commit: n }, entries(1, n, term));
  await then(wal);
  await wal.close();
}

const indexes = (es: { index: number }[]) => es.map((e) => e.index);

async function recover(t: Tap, dir: string) {
  const log = recordingLogger();
  const rec = await recoverNodeState(dir, log);
  t.teardown(() => rec.wal.close());
  return { ...rec, log };
}
type Tap = { teardown(fn: () => unknown): void };

t.test('WAL only: every entry, nothing applied, an empty state machine', async (t) => {
  const dir = await tempDir(t);
  await writeWal(dir, 3, 2);
  const { initial, sm, snapshots, log } = await recover(t, dir);
  t.same(initial.hardState, { term: 2, vote: 1, commit: 3 });
  t.same(indexes(initial.entries), [1, 2, 3]);
  t.equal(initial.applied, 0);
  t.equal(initial.snapshotIndex, 0);
  t.equal(sm.get('k1'), null, 'entries are not applied by recovery');
  t.same(snapshots, []);
  t.match(log.lines, [/^info recovered 3 WAL entries \(term 2, vote 1, commit 3\)/]);
});

t.test('snapshot + WAL holding its last entry: the log stays, the machine starts at the snapshot', async (t) => {
  const dir = await tempDir(t);
  await writeWal(dir, 6, 1, (wal) => wal.markSnapshot(2, 1)); // an older compaction point
  await putSnapshot(dir, 4, 1, [['a', 'b']]);
  const { initial, sm, log, wal } = await recover(t, dir);
  t.equal(initial.applied, 4);
  t.equal(initial.snapshotIndex, 2, 'the trailing window the WAL keeps is kept');
  t.same(indexes(initial.entries), [3, 4, 5, 6]);
  t.equal(sm.get('a'), 'b');
  t.equal(sm.toSnapshot().lastApplied, 4);
  t.notMatch(log.lines.join('\n'), /warn|error/);
  t.equal(wal.counters.appends, 0, 'nothing written');
});

for (const [name, walTerm, walEntries] of [
  ['past the WAL end', 1, 3],
  ['disagreeing with the WAL at its index', 1, 12],
] as const) {
  t.test(`a snapshot ${name} supersedes the log; the marker makes that durable`, async (t) => {
    const dir = await tempDir(t);
    await writeWal(dir, walEntries, walTerm);
    await putSnapshot(dir, 10, 2, [['x', 'y']]);
    const { initial, sm, log, wal } = await recover(t, dir);
    t.same({ ...initial, entries: indexes(initial.entries) }, { hardState: { term: 1, vote: 1, commit: walEntries }, entries: [], snapshotIndex: 10, snapshotTerm: 2, applied: 10, membership: { voters: [1, 2, 3], learners: [], addresses: {} } }, "the snapshot header's membership (an old header without addresses, none known)");
    t.equal(sm.get('x'), 'y');
    t.match(log.lines, [/^warn snapshot 10 \(term 2\) supersedes the WAL \(which ends at /]);
    // The log restarts after the snapshot, on disk too.
    await wal.append(null, entries(11, 2, 2));
    await wal.close();
    const again = await Wal.open(dir);
    t.teardown(() => again.wal.close());
    t.equal(again.state.snapshotIndex, 10);
    t.equal(again.state.snapshotTerm, 2);
    t.same(indexes(again.state.entries), [11, 12]);
  });
}

t.test('a damaged newest snapshot falls back to the older one, with an error line', async (t) => {
  const dir = await tempDir(t);
  await writeWal(dir, 8, 1, (wal) => wal.markSnapshot(3, 1));
  await putSnapshot(dir, 3, 1, [['v', 'old']]);
  const newest = await putSnapshot(dir, 6, 1, [['v', 'new']]);
  await fsp.appendFile(newest, 'junk\n');
  const { initial, sm, log, snapshots } = await recover(t, dir);
  t.equal(initial.applied, 3);
  t.same(indexes(initial.entries), [4, 5, 6, 7, 8]);
  t.equal(sm.get('v'), 'old');
  t.match(log.lines, [/^error snapshot 6 \(term 1\) is damaged, trying an older one: /, /^info recovered snapshot 3 /]);
  t.same(
    snapshots.map((s) => s.index),
    [6, 3],
  );
});

t.test('WAL compacted past every usable snapshot: CORRUPT_LOG naming the lost entries', async (t) => {
  const dir = await tempDir(t);
  await writeWal(dir, 8, 1, (wal) => wal.compact(6, 1));
  await putSnapshot(dir, 3, 1);
  await fsp.truncate(await putSnapshot(dir, 6, 1), 30);
  await t.rejects(recoverNodeState(dir, recordingLogger()), {
    name: 'RaftKvError',
    code: 'CORRUPT_LOG',
    message: /newest usable snapshot ends at index 3, but the WAL was compacted to 6: entries 4\.\.6 are in no file/,
  });
  // The WAL was closed on the way out: a second attempt opens it again and says the same.
  await t.rejects(recoverNodeState(dir, recordingLogger()), { code: 'CORRUPT_LOG' });
});

t.test('WAL compacted and no snapshot at all: CORRUPT_LOG', async (t) => {
  const dir = await tempDir(t);
  await writeWal(dir, 5, 1, (wal) => wal.compact(4, 1));
  await t.rejects(recoverNodeState(dir, recordingLogger()), { code: 'CORRUPT_LOG', message: /WAL starts after index 4, but no usable snapshot covers the entries before it/ });
});

t.test('temp files left by an interrupted snapshot are removed and logged', async (t) => {
  const dir = await tempDir(t);
  await writeWal(dir, 1, 1);
  await fsp.writeFile(path.join(dir, 'snapshot-x.snap.tmp'), 'half');
  const { log } = await recover(t, dir);
  t.match(log.lines, [/^info removed snapshot-x\.snap\.tmp, left over from an interrupted snapshot/]);
  t.notOk((await fsp.readdir(dir)).some((n) => n.endsWith('.tmp')));
});
