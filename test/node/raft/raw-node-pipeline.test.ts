/**
 * RawNode with several Readies in flight (the driver builds the next Ready while the previous
 * one's fsync runs): entries are handed out once, in order; advance() goes oldest first; a
 * conflicting append that replaces entries still on their way to disk hands them out again.
 */
import t from 'tap';
import type { AppendRequest, Entry } from '../../../src/protocol/raft-messages.js';
import { RawNode } from '../../../src/node/raft/raw-node.js';
import type { RaftConfig } from '../../../src/node/raft/types.js';

function config(id: number, peers: number[]): RaftConfig {
  return { id, peers, electionTicksMin: 10, electionTicksMax: 10, heartbeatTicks: 2, random: () => 0 };
}

function indices(entries: readonly Entry[]): number[] {
  return entries.map((e) => e.index);
}

/** A single-node cluster elects itself once its election timeout passes. */
function soloLeader(maxPendingReadies: number): RawNode {
  const n = new RawNode(config(1, [1]), undefined, { maxPendingReadies });
  for (let i = 0; i < 40 && n.status().role !== 'leader'; i++) {
    n.tick();
    while (n.hasReady()) n.advance(n.ready());
  }
  if (n.status().role !== 'leader') throw new Error('no leader');
  return n;
}

t.test('two Readies in flight: each entry handed out once, in order', async (t) => {
  const n = soloLeader(2);
  const start = n.status().lastLogIndex;
  n.propose(['a', 'b']);
  const r1 = n.ready();
  t.same(indices(r1.entries), [start + 1, start + 2]);
  n.propose(['c']);
  t.ok(n.hasReady(), 'a second Ready may be taken before the first is advanced');
  const r2 = n.ready();
  t.same(indices(r2.entries), [start + 3], 'only the new entry');
  t.notOk(n.hasReady(), 'no third Ready beyond maxPendingReadies');
  t.throws(() => n.ready(), /not yet advanced/);
  t.throws(() => n.advance(r2), /oldest/, 'advance goes oldest first');
  n.advance(r1);
  n.advance(r2);
  // A lone node commits what it persisted; the next Ready hands the entries out for applying.
  const r3 = n.ready();
  t.same(indices(r3.committedEntries), [start + 1, start + 2, start + 3]);
  t.same(r3.entries, []);
  n.advance(r3);
  t.equal(n.status().lastApplied, start + 3);
});

t.test('maxPendingReadies 1 keeps the classic one-Ready-at-a-time contract', async (t) => {
  const n = soloLeader(1);
  n.propose(['a']);
  const r1 = n.ready();
  n.propose(['b']);
  t.notOk(n.hasReady());
  t.throws(() => n.ready());
  n.advance(r1);
  t.same(n.ready().entries.map((e) => e.data), ['b'], 'the second proposal comes in the next Ready');
});

t.test('a conflicting append replaces entries still in flight: they are handed out again', async (t) => {
  const n = new RawNode(config(2, [1, 2, 3]), undefined, { maxPendingReadies: 2 });
  const entry = (index: number, term: number, data: string): Entry => ({ index, term, kind: 'cmd', data });
  const append = (term: number, prevLogIndex: number, prevLogTerm: number, entries: Entry[]): AppendRequest => ({
    type: 'append', from: 1, to: 2, term, prevLogIndex, prevLogTerm, entries, commit: 0,
  });
  // Leader of term 1 sends 1..3; the follower's Ready for them is in flight (not advanced).
  n.step(append(1, 0, 0, [entry(1, 1, 'x'), entry(2, 1, 'y'), entry(3, 1, 'z')]));
  const r1 = n.ready();
  t.same(indices(r1.entries), [1, 2, 3]);
  t.equal(r1.sendBeforePersist, false, 'a follower acknowledges only after its fsync');
  t.equal(r1.mustSync, true);
  // A leader of term 2 overwrites from index 2 while r1's fsync still runs.
  n.step(append(2, 1, 1, [entry(2, 2, 'Y')]));
  const r2 = n.ready();
  t.same(r2.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 2]], 'everything not yet durable goes out again, with the new entry 2');
  n.advance(r1); // 3 is gone: marking (3, term 1) stable must not mark the new log stable
  n.advance(r2);
  t.equal(n.status().lastLogIndex, 2);
  t.notOk(n.hasReady(), 'nothing left to hand out');
});

t.test('a single voter elected alone sends nothing of its new term before that term is on disk', async (t) => {
  // Voter 1 with learner 2 (found by the simulator: a crash before the election's fsync let the
  // node win the same term again and append different entries at the same indices).
  const n = new RawNode({ ...config(1, [1]), learners: [2] }, undefined, { maxPendingReadies: 2 });
  for (let i = 0; i < 40 && n.status().role !== 'leader'; i++) n.tick();
  t.equal(n.status().role, 'leader', 'elected alone, in one step');
  const election = n.ready();
  t.equal(election.sendBeforePersist, false, 'the election Ready changes term and vote');
  n.propose(['x']);
  n.tick();
  n.tick();
  const next = n.ready();
  t.ok(next.messages.some((m) => m.to === 2 && m.term === n.status().term), 'messages of the new term for the learner');
  t.equal(next.sendBeforePersist, false, 'held until the election Ready is durable');
  n.advance(election);
  n.advance(next);
  n.propose(['y']);
  t.equal(n.ready().sendBeforePersist, true, 'afterwards a leader may send before its fsync again');
});
