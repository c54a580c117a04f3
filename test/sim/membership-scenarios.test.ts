/**
 * Membership changes (thesis §4.1 single-server changes, learners, §3.10 leadership transfer) as
 * scripted scenarios on the simulator: every step runs under the InvariantChecker, including
 * REMOVED_LEADER and quorums counted over the membership in force. Spare nodes start empty and
 * outside the membership, as `raftkv node --join` does.
 */
import t, { type Test } from 'tap';
import type { ConfChange, NodeId } from '../../src/protocol/raft-messages.js';
import type { SimCluster } from './cluster.js';
import { awaitConverged, awaitLeader, commitAt, electLeader, SCRIPT_ELECTION_MAX, scriptedCluster, waitFor } from './script.js';
import { simAddress } from './sim-membership.js';

function propose(c: SimCluster, leader: NodeId, cc: ConfChange) {
  return c.node(leader).raw!.proposeConfChange(cc);
}

/** Propose a change at `leader` and wait until every member of the result has it committed. */
function changeAndCommit(t: Test, c: SimCluster, leader: NodeId, cc: ConfChange): void {
  const r = propose(c, leader, cc);
  t.equal(r.status, 'appended', `${cc.type} ${cc.id} appended (${JSON.stringify(r)})`);
  if (r.status !== 'appended') return;
  waitFor(c, `${cc.type} ${cc.id} committed`, () => c.checker.committedAt(r.index) !== undefined, 400);
}

const learner = (id: NodeId): ConfChange => ({ type: 'addLearner', id, address: simAddress(id) });

t.test('the single-server-change bug (Ongaro, raft-dev 2015): its losing schedule, forced step by step, loses nothing because a new leader changes the membership only after committing an entry of its term', async (t) => {
  // The schedule of "bug in single-server membership changes": C0 = {1,2,3,4}, node 1 leads.
  //   1. node 1 appends C1 = C0 + 5; only node 5 gets it; 1 and 5 go down.
  //   2. node 2 is elected in term 2 by 2, 3, 4 (a majority of C0), but its no-op reaches only 3:
  //      it cannot commit under C0 (2 of 4).
  //   3. node 2 proposes C2 = C0 - 4. Without the fix, C2 commits under C2 = {1,2,3} with 2 and 3
  //      alone, the no-op with it.
  //   4. nodes 1 and 5 come back, cut off from 2 and 3. In C1 = {1..5}, votes from 1, 4 and 5 are
  //      a majority; node 4's log (term 1, nothing of term 2) is no newer than theirs, so 1 or 5
  //      wins term 3 and commits its own entries at the index where C2 was committed: a
  //      committed entry lost (STATE_MACHINE_SAFETY).
  // With the fix, step 3 is refused (IN_PROGRESS), so nothing of term 2 is ever committed and the
  // rest of the schedule is harmless. Every step is forced (filter, crashes, partitions), so the
  // same schedule runs whatever the rule says; with the rule disabled this test fails at step 4.
  const c = scriptedCluster(4, { spares: 1 });
  electLeader(c, 1);
  awaitConverged(c);
  const before = c.status(1)!.lastLogIndex;

  // 1.
  c.network.partition([1, 5], [2, 3, 4]);
  t.equal(propose(c, 1, { type: 'addVoter', id: 5, address: simAddress(5) }).status, 'appended', 'node 1 appends C1 = C0 + 5');
  waitFor(c, 'node 5 holding C1', () => c.node(5).store.lastIndex === before + 1, 100);
  t.same(c.status(5)!.voters, [1, 2, 3, 4, 5], 'node 5 is in force under C1');
  c.crash(1);
  c.crash(5);
  c.network.heal();

  // 2. From node 2 only its vote requests reach node 4: not its no-op, nor any heartbeat.
  c.network.filter = (m) => !(m.from === 2 && m.to === 4 && m.type !== 'vote');
  // Nodes 3 and 4 first stop counting on node 1 (their election timers run out; neither can win
  // a pre-vote without node 2, whose timer is stopped), then only node 2's timer runs.
  c.runUntil(() => false, 2 * SCRIPT_ELECTION_MAX, { only: [3, 4] });
  const term2 = electLeader(c, 2);
  t.ok(c.node(4).store.hardState.term === term2 && c.node(4).store.hardState.vote === 2, 'node 4 voted for node 2');
  waitFor(c, "node 3 holding node 2's no-op", () => c.node(3).store.lastIndex === before + 1, 100);
  t.equal(c.status(2)!.commitIndex, before, "node 2's no-op is not committed (2 of 4 voters of C0)");
  t.equal(c.node(4).store.lastIndex, before, 'node 4 has nothing of term 2');

  // 3.
  const change = propose(c, 2, { type: 'remove', id: 4 });
  t.match(change, { status: 'refused', code: 'IN_PROGRESS', reason: /entry of its term/ }, 'C2 refused: node 2 has not committed an entry of its term');
  if (change.status === 'appended') {
    // Only with the rule disabled: the change commits under C2 with nodes 2 and 3.
    waitFor(c, 'C2 committed by nodes 2 and 3', () => c.checker.committedAt(change.index) !== undefined, 100);
  }

  // 4.
  c.network.filter = null;
  c.network.partition([1, 4, 5], [2, 3]);
  c.restart(1);
  c.restart(5);
  const stale = awaitLeader(c, [1, 5]);
  t.ok(c.status(stale)!.term > term2, `node ${stale} leads a later term with the votes of 1, 4 and 5`);
  waitFor(c, `node ${stale}'s entries committed`, () => c.status(stale)!.commitIndex === c.status(stale)!.lastLogIndex, 200);
  t.same(c.status(stale)!.voters, [1, 2, 3, 4, 5], 'C1, never C2, is the membership');

  c.network.heal();
  awaitConverged(c);
  t.same(c.members(), [1, 2, 3, 4, 5]);
  t.comment('no invariant broken: nothing committed was lost (the checker throws STATE_MACHINE_SAFETY otherwise)');
});

t.test('removing the leader: it commits its removal, hands over, and never leads again', async (t) => {
  const c = scriptedCluster(3);
  electLeader(c, 1);
  awaitConverged(c);
  commitAt(c, 1, 2, [1, 2, 3]);
  changeAndCommit(t, c, 1, { type: 'remove', id: 1 });
  const next = awaitLeader(c, [2, 3]);
  t.not(c.status(1)!.role, 'leader');
  t.same(c.members(), [2, 3]);
  commitAt(c, next, 2, [2, 3]);
  // Long after: node 1 has not campaigned (its term never moved past the new leader's).
  c.runUntil(() => false, 30 * 20);
  t.ok(c.status(1)!.term <= c.status(next)!.term);
  t.equal(c.leader(), next, 'the same leader all along');
});

t.test('adding a node while a minority is partitioned', async (t) => {
  const c = scriptedCluster(5, { spares: 1 });
  electLeader(c, 1);
  awaitConverged(c);
  c.network.partition([4, 5]);
  changeAndCommit(t, c, 1, learner(6));
  waitFor(c, 'node 6 caught up', () => c.node(6).store.applied >= c.status(1)!.commitIndex, 400);
  changeAndCommit(t, c, 1, { type: 'promote', id: 6 });
  t.same(c.status(1)!.voters, [1, 2, 3, 4, 5, 6]);
  commitAt(c, 1, 2, [1, 2, 3, 6]); // 4 of 6 voters
  c.network.heal();
  awaitConverged(c);
  t.same(c.status(4)!.voters, [1, 2, 3, 4, 5, 6], 'the partitioned minority learned the new membership');
});

t.test('transfer to a lagging node: it is caught up first, then wins at once', async (t) => {
  const c = scriptedCluster(3);
  electLeader(c, 1);
  awaitConverged(c);
  c.network.cut(1, 3);
  commitAt(c, 1, 5, [1, 2]);
  c.network.heal();
  const term = c.status(1)!.term;
  t.same(c.node(1).raw!.transferLeader(3), { ok: true });
  t.match(c.node(1).raw!.propose(['refused-during-transfer']), { status: 'dropped' });
  waitFor(c, 'node 3 leading', () => c.status(3)?.role === 'leader', 100);
  t.equal(c.status(3)!.term, term + 1, 'one election, no split votes');
  t.equal(c.status(3)!.lastLogIndex >= c.status(1)!.commitIndex, true);
  commitAt(c, 3, 1, [1, 2, 3]);
});

t.test('a learner catches up by snapshot and is promoted; a removed follower stays quiet', async (t) => {
  const c = scriptedCluster(3, { spares: 1, snapshots: { every: 5, trailing: 2 } });
  electLeader(c, 1);
  awaitConverged(c);
  for (let i = 0; i < 6; i++) commitAt(c, 1, 3, [1, 2, 3]);
  t.ok(c.status(1)!.firstIndex > 1, 'the leader compacted its log');
  changeAndCommit(t, c, 1, learner(4));
  waitFor(c, 'node 4 installed a snapshot', () => (c.node(4).store.snapshot?.index ?? 0) > 0, 400);
  awaitConverged(c);
  changeAndCommit(t, c, 1, { type: 'promote', id: 4 });
  changeAndCommit(t, c, 1, { type: 'remove', id: 2 });
  t.same(c.members(), [1, 3, 4]);
  const term2 = c.status(2)!.term;
  c.runUntil(() => false, 30 * 20);
  t.equal(c.status(2)!.term, term2, 'the removed node never started an election');
  commitAt(c, 1, 1, [1, 3, 4]);
});
