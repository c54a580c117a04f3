/**
 * The checker must catch each broken property: a table of small hand-made histories, each
 * violating one property, and the code it must report. Plus garbage where the checker reads
 * what a core produced.
 */
import t from 'tap';
import type { Entry, Message } from '../../src/protocol/raft-messages.js';
import type { RaftStatus } from '../../src/node/raft/types.js';
import { DurableStore } from './durable-store.js';
import { InvariantChecker, InvariantViolation, type ViolationCode } from './invariants.js';

const cmd = (index: number, term: number, data = `c${index}`): Entry => ({ index, term, kind: 'cmd', data });

function world(n = 3): { k: InvariantChecker; s: DurableStore[] } {
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const stores = ids.map(() => new DurableStore());
  const k = new InvariantChecker(ids, new Map(ids.map((id, i) => [id, stores[i]!])));
  return { k, s: stores };
}

/** Write entries to node `id`'s store the way the cluster does, with the append check. */
function write(w: { k: InvariantChecker; s: DurableStore[] }, id: number, entries: Entry[]): void {
  const store = w.s[id - 1]!;
  const commitBefore = store.hardState.commit;
  const { removed } = store.append(entries);
  w.k.observeAppend(id, store, entries, removed, commitBefore);
}

function commit(w: { k: InvariantChecker; s: DurableStore[] }, id: number, index: number, term: number): void {
  const store = w.s[id - 1]!;
  const before = store.hardState.commit;
  const next = { term, vote: store.hardState.vote, commit: index };
  w.k.observeHardState(id, store.hardState, next);
  store.setHardState(next);
  w.k.observeCommit(id, store, before, index, term);
}

function status(over: Partial<RaftStatus>): RaftStatus {
  return { id: 1, role: 'follower', term: 1, vote: 0, leader: 0, commitIndex: 0, lastApplied: 0, firstIndex: 1, snapshotIndex: 0, snapshotTerm: 0, stableIndex: 0, lastLogIndex: 0, lastLogTerm: 0, voters: [1, 2, 3], learners: [], membership: { voters: [1, 2, 3], learners: [], addresses: {} }, leadTransferee: 0, pendingConfIndex: 0, ...over };
}

const cases: [string, ViolationCode, (w: ReturnType<typeof world>) => void][] = [
  ['two leaders in one term', 'ELECTION_SAFETY', (w) => {
    w.k.observeLeader(1, 3, 'test');
    w.k.observeLeader(2, 3, 'test');
  }],
  ['two nodes sending appends in one term', 'ELECTION_SAFETY', (w) => {
    w.k.observeSent(1, { type: 'append', from: 1, to: 2, term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [], commit: 0 });
    w.k.observeSent(3, { type: 'heartbeat', from: 3, to: 2, term: 2, commit: 0 });
  }],
  ['same index and term, different data', 'LOG_MATCHING', (w) => {
    write(w, 1, [cmd(1, 1, 'x')]);
    write(w, 2, [cmd(1, 1, 'y')]);
  }],
  ['same index and term, different predecessor', 'LOG_MATCHING', (w) => {
    write(w, 1, [cmd(1, 1), cmd(2, 2)]);
    write(w, 2, [cmd(1, 2), cmd(2, 2)]);
  }],
  ['commit on a single disk of three', 'COMMIT_WITHOUT_MAJORITY', (w) => {
    write(w, 1, [cmd(1, 1)]);
    commit(w, 1, 1, 1);
  }],
  ['commit beyond the log', 'COMMIT_BEYOND_LOG', (w) => {
    write(w, 1, [cmd(1, 1)]);
    write(w, 2, [cmd(1, 1)]);
    commit(w, 1, 2, 1);
  }],
  ['a node replaces entries at or below its own commit', 'TRUNCATED_COMMITTED', (w) => {
    for (const id of [1, 2]) write(w, id, [cmd(1, 1), cmd(2, 1)]);
    commit(w, 1, 2, 1);
    write(w, 1, [cmd(2, 3)]);
  }],
  ['a committed entry falls below a majority', 'COMMITTED_ENTRY_LOST', (w) => {
    for (const id of [1, 2]) write(w, id, [cmd(1, 1)]);
    commit(w, 1, 1, 1);
    write(w, 2, [cmd(1, 2)]); // node 2 never persisted commit 1 itself
  }],
  ['a new leader lacks an entry committed in an earlier term', 'LEADER_COMPLETENESS', (w) => {
    for (const id of [1, 2]) write(w, id, [cmd(1, 1)]);
    commit(w, 1, 1, 1);
    w.k.observeBecameLeader(3, 2, w.s[2]!);
  }],
  ['two nodes apply different entries at one index', 'STATE_MACHINE_SAFETY', (w) => {
    write(w, 1, [cmd(1, 1, 'x')]);
    write(w, 2, [cmd(1, 2, 'y')]);
    w.s[0]!.setHardState({ term: 1, vote: 0, commit: 1 });
    w.s[1]!.setHardState({ term: 2, vote: 0, commit: 1 });
    w.k.observeApply(1, w.s[0]!, cmd(1, 1, 'x'), 0);
    w.k.observeApply(2, w.s[1]!, cmd(1, 2, 'y'), 0);
  }],
  ['applying out of order', 'APPLY_OUT_OF_ORDER', (w) => {
    write(w, 1, [cmd(1, 1), cmd(2, 1)]);
    w.s[0]!.setHardState({ term: 1, vote: 0, commit: 2 });
    w.k.observeApply(1, w.s[0]!, cmd(2, 1), 0);
  }],
  ['applying beyond the persisted commit', 'APPLY_UNCOMMITTED', (w) => {
    write(w, 1, [cmd(1, 1)]);
    w.k.observeApply(1, w.s[0]!, cmd(1, 1), 0);
  }],
  ['applying before the own fsync an entry only one disk of three holds', 'APPLY_UNCOMMITTED', (w) => {
    write(w, 2, [cmd(1, 1)]);
    w.k.observeApply(1, w.s[0]!, cmd(1, 1), 0, true);
  }],
  ['applying before the own fsync a different entry than the majority holds', 'APPLY_UNCOMMITTED', (w) => {
    write(w, 2, [cmd(1, 1, 'x')]);
    write(w, 3, [cmd(1, 1, 'x')]);
    w.k.observeApply(1, w.s[0]!, cmd(1, 1, 'y'), 0, true);
  }],
  ['applying an entry that is not in the log', 'APPLY_NOT_IN_LOG', (w) => {
    write(w, 1, [cmd(1, 1, 'x')]);
    w.s[0]!.setHardState({ term: 1, vote: 0, commit: 1 });
    w.k.observeApply(1, w.s[0]!, cmd(1, 1, 'other'), 0);
  }],
  ['term going backwards on disk', 'TERM_DECREASED', (w) => w.k.observeHardState(1, { term: 3, vote: 0, commit: 0 }, { term: 2, vote: 0, commit: 0 })],
  ['a second vote in the same term', 'VOTE_CHANGED', (w) => w.k.observeHardState(1, { term: 3, vote: 2, commit: 0 }, { term: 3, vote: 3, commit: 0 })],
  ['persisted commit going backwards', 'COMMIT_DECREASED', (w) => w.k.observeHardState(1, { term: 3, vote: 2, commit: 5 }, { term: 3, vote: 2, commit: 4 })],
  ['commit index going backwards while up', 'COMMIT_DECREASED', (w) => {
    w.k.observeStatus(1, status({ commitIndex: 2, lastLogIndex: 2 }));
    w.k.observeStatus(1, status({ commitIndex: 1, lastLogIndex: 2 }));
  }],
  ['a read index below a write applied before the read', 'STALE_READ', (w) => {
    for (const id of [1, 2]) write(w, id, [cmd(1, 1), cmd(2, 1)]);
    commit(w, 1, 2, 1);
    w.k.observeApply(1, w.s[0]!, cmd(1, 1), 0);
    w.k.observeApply(1, w.s[0]!, cmd(2, 1), 1);
    w.k.observeReadIssued(3, 'r1');
    w.k.observeReadState(3, 'r1', 1);
  }],
  ['an answer to a read nobody issued', 'READ_UNKNOWN', (w) => w.k.observeReadState(1, 'ghost', 3)],
  ['an answer on the wrong node', 'READ_UNKNOWN', (w) => {
    w.k.observeReadIssued(1, 'r1');
    w.k.observeReadState(2, 'r1', 0);
  }],
  ['a read answered twice', 'READ_UNKNOWN', (w) => {
    w.k.observeReadIssued(1, 'r1');
    w.k.observeReadState(1, 'r1', 0);
    w.k.observeReadState(1, 'r1', -1);
  }],
  ['a status whose commit exceeds its log', 'BAD_STATUS', (w) => w.k.observeStatus(1, status({ commitIndex: 3, lastLogIndex: 2 }))],
  ['a leader naming someone else as leader', 'BAD_STATUS', (w) => w.k.observeStatus(1, status({ role: 'leader', leader: 2 }))],
];

for (const [what, code, run] of cases) {
  t.test(`${code}: ${what}`, async (t) => {
    const w = world();
    const err = (() => {
      try {
        run(w);
      } catch (e) {
        return e;
      }
      return null;
    })();
    t.type(err, InvariantViolation);
    t.equal((err as InvariantViolation).code, code, (err as Error | null)?.message ?? 'no violation');
  });
}

t.test('garbage messages from a core are reported, not crashed on', async (t) => {
  const garbage: unknown[] = [null, 42, 'x', {}, { type: 'append', from: 2, to: 1, term: 1 }, { type: 'vote', from: 1, to: 9, term: 1 }, { type: 'vote', from: 1, to: 2, term: -1 }, { type: 'vote', from: 1, to: 2, term: 1.5 }];
  for (const g of garbage) {
    const w = world();
    t.throws(() => w.k.observeSent(1, g as Message), { code: 'BAD_MESSAGE' }, JSON.stringify(g));
  }
});

t.test('a healthy history raises nothing', async (t) => {
  const w = world();
  w.k.observeLeader(1, 1, 'test');
  for (const id of [1, 2, 3]) write(w, id, [{ index: 1, term: 1, kind: 'noop' }, cmd(2, 1)]);
  commit(w, 1, 2, 1);
  commit(w, 2, 2, 1);
  w.k.observeApply(1, w.s[0]!, { index: 1, term: 1, kind: 'noop' }, 0);
  w.k.observeReadIssued(2, 'r1');
  t.same(w.k.observeReadState(2, 'r1', 2).ok, true);
  w.k.observeReadIssued(2, 'r2');
  t.same(w.k.observeReadState(2, 'r2', -1).ok, false, 'a failed read is allowed');
  // A follower's uncommitted tail replaced by a later leader is fine.
  write(w, 3, [cmd(3, 1)]);
  write(w, 3, [cmd(3, 2)]);
  w.k.observeBecameLeader(2, 2, w.s[1]!);
  w.k.observeHardState(1, { term: 1, vote: 0, commit: 0 }, { term: 1, vote: 1, commit: 0 });
  t.equal(w.k.highestCommitted, 2);
  t.equal(w.k.highestApplied, 1);
});

t.test('applying before the own fsync is fine once a majority of disks hold the entry', async (t) => {
  const w = world(3);
  write(w, 2, [cmd(1, 1)]);
  write(w, 3, [cmd(1, 1)]);
  t.doesNotThrow(() => w.k.observeApply(1, w.s[0]!, cmd(1, 1), 0, true), 'node 1 has not written it yet: allowed');
});
