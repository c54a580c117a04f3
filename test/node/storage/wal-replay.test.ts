import t from 'tap';
import { WalReplay } from '../../../src/node/storage/wal-replay.js';
import type { WalRecord } from '../../../src/node/storage/wal-record.js';
import { entries } from './wal-test-helpers.js';

function replay(records: WalRecord[]) {
  const r = new WalReplay();
  const problems = records.map((rec) => r.apply(rec));
  return { state: r.state(), problems };
}

const idx = (s: { entries: { index: number; term: number }[] }) => s.entries.map((e) => `${e.index}@${e.term}`);

t.test('empty log', async (t) => {
  t.same(replay([]).state, { hardState: { term: 0, vote: 0, commit: 0 }, entries: [], snapshotIndex: 0, snapshotTerm: 0 });
});

t.test('hard state: last writer wins', async (t) => {
  const { state } = replay([
    { type: 'hardState', term: 1, vote: 1, commit: 0 },
    { type: 'hardState', term: 3, vote: 2, commit: 5 },
    { type: 'hardState', term: 2, vote: 0, commit: 1 },
  ]);
  t.same(state.hardState, { term: 2, vote: 0, commit: 1 });
});

t.test('§5.3 a suffix is replaced from the first index of a later record', async (t) => {
  const { state, problems } = replay([
    { type: 'entries', entries: entries(1, 5, 1) },
    { type: 'entries', entries: entries(3, 1, 2) },
    { type: 'entries', entries: entries(4, 2, 2) },
  ]);
  t.same(problems, [null, null, null]);
  t.same(idx(state), ['1@1', '2@1', '3@2', '4@2', '5@2']);
  const whole = replay([{ type: 'entries', entries: entries(1, 3, 1) }, { type: 'entries', entries: entries(1, 1, 3) }]);
  t.same(idx(whole.state), ['1@3']);
});

t.test('a gap is reported, the record not applied', async (t) => {
  const { state, problems } = replay([{ type: 'entries', entries: entries(1, 2, 1) }, { type: 'entries', entries: entries(4, 1, 1) }]);
  t.match(problems[1], /gap/);
  t.same(idx(state), ['1@1', '2@1']);
  t.match(replay([{ type: 'entries', entries: entries(2, 1, 1) }]).problems[0], /gap/);
});

t.test('snapshot marker that agrees with the log keeps the suffix', async (t) => {
  const { state } = replay([{ type: 'entries', entries: entries(1, 5, 1) }, { type: 'snapshot', index: 3, term: 1 }]);
  t.equal(state.snapshotIndex, 3);
  t.equal(state.snapshotTerm, 1);
  t.same(idx(state), ['4@1', '5@1']);
});

t.test('snapshot marker that disagrees with or is ahead of the log drops it all', async (t) => {
  const a = replay([{ type: 'entries', entries: entries(1, 5, 1) }, { type: 'snapshot', index: 3, term: 2 }]).state;
  t.same(idx(a), []);
  t.equal(a.snapshotIndex, 3);
  const b = replay([{ type: 'entries', entries: entries(1, 2, 1) }, { type: 'snapshot', index: 9, term: 4 }]).state;
  t.same(idx(b), []);
  t.same([b.snapshotIndex, b.snapshotTerm], [9, 4]);
});

t.test('after a snapshot: covered entries are skipped, the log continues after it', async (t) => {
  const { state, problems } = replay([
    { type: 'snapshot', index: 10, term: 3 },
    { type: 'entries', entries: entries(9, 4, 3) },
    { type: 'snapshot', index: 5, term: 1 },
    { type: 'entries', entries: entries(13, 1, 3) },
  ]);
  t.same(problems, [null, null, null, null]);
  t.same(idx(state), ['11@3', '12@3', '13@3']);
  t.equal(state.snapshotIndex, 10, 'an older marker is ignored');
  t.same(replay([{ type: 'snapshot', index: 10, term: 3 }, { type: 'entries', entries: entries(5, 2, 1) }]).state.entries, []);
});

t.test('segmentStart as the first record: the log resumes after it (older segments were deleted)', async (t) => {
  const { state, problems } = replay([
    { type: 'segmentStart', prevIndex: 40, prevTerm: 3 },
    { type: 'hardState', term: 4, vote: 2, commit: 41 },
    { type: 'entries', entries: entries(41, 2, 4) },
  ]);
  t.same(problems, [null, null, null]);
  t.same([state.snapshotIndex, state.snapshotTerm], [40, 3]);
  t.same(idx(state), ['41@4', '42@4']);
  t.same(state.hardState, { term: 4, vote: 2, commit: 41 });
});

t.test('segmentStart after other records only marks a file boundary: it changes nothing', async (t) => {
  const { state, problems } = replay([
    { type: 'entries', entries: entries(1, 3, 1) },
    { type: 'segmentStart', prevIndex: 3, prevTerm: 1 },
    { type: 'entries', entries: entries(4, 1, 1) },
    { type: 'segmentStart', prevIndex: 99, prevTerm: 9 },
  ]);
  t.same(problems, [null, null, null, null]);
  t.same([state.snapshotIndex, state.snapshotTerm], [0, 0]);
  t.same(idx(state), ['1@1', '2@1', '3@1', '4@1']);
});

t.test('after a segmentStart: entries reaching below it are trimmed, a gap after it is a problem', async (t) => {
  const a = replay([
    { type: 'segmentStart', prevIndex: 10, prevTerm: 2 },
    { type: 'entries', entries: entries(9, 4, 2) },
  ]);
  t.same(idx(a.state), ['11@2', '12@2']);
  const b = replay([
    { type: 'segmentStart', prevIndex: 10, prevTerm: 2 },
    { type: 'entries', entries: entries(12, 1, 2) },
  ]);
  t.match(b.problems, [null, /entries start at 12 but the log ends at 10 \(gap\)/]);
});

t.test('a snapshot marker after a segmentStart at or below it is ignored; above it, it applies', async (t) => {
  const old = replay([
    { type: 'segmentStart', prevIndex: 10, prevTerm: 2 },
    { type: 'entries', entries: entries(11, 3, 2) },
    { type: 'snapshot', index: 8, term: 2 },
  ]).state;
  t.same([old.snapshotIndex, idx(old)], [10, ['11@2', '12@2', '13@2']]);
  const newer = replay([
    { type: 'segmentStart', prevIndex: 10, prevTerm: 2 },
    { type: 'entries', entries: entries(11, 3, 2) },
    { type: 'snapshot', index: 12, term: 2 },
  ]).state;
  t.same([newer.snapshotIndex, idx(newer)], [12, ['13@2']]);
});
