/**
 * Membership changes in the core (thesis §4.1 single-server changes, learners, §3.10 leadership
 * transfer) on the synchronous test network. Election timeout 10..20 ticks, heartbeat every tick.
 */
import t, { type Test } from 'tap';
import type { ConfChange, MemberAddress, NodeId } from '../../../src/protocol/raft-messages.js';
import { applyConfChange, bootstrapMembership } from '../../../src/node/raft/membership.js';
import { TestNet } from './net.js';

const addr = (id: NodeId): MemberAddress => ({ host: '127.0.0.1', port: 7000 + id, peerPort: 7100 + id });
const addLearner = (id: NodeId): ConfChange => ({ type: 'addLearner', id, address: addr(id) });

/** Three voters with node 1 leading and its no-op committed. */
function cluster(n = 3, opts = {}): TestNet {
  const net = new TestNet(n, opts);
  net.elect(1);
  return net;
}

function committed(net: TestNet, id: NodeId): number {
  return net.node(id).status().commitIndex;
}

/** Propose a change at the leader and let it commit; returns the entry's index. */
function change(t: Test, net: TestNet, leader: NodeId, cc: ConfChange): number {
  const r = net.node(leader).proposeConfChange(cc);
  if (r.status !== 'appended') throw new Error(`change refused: ${JSON.stringify(r)}`);
  net.deliver();
  t.ok(committed(net, leader) >= r.index, `${cc.type} ${cc.id} committed at ${r.index}`);
  return r.index;
}

t.test('the membership rules: adds, promotions and removals, and what they refuse', async (t) => {
  const m = bootstrapMembership([3, 1, 2], [], { 1: addr(1), 2: addr(2), 3: addr(3) });
  t.same(m.voters, [1, 2, 3]);
  const plus4 = applyConfChange(m, addLearner(4));
  t.same(plus4, { voters: [1, 2, 3], learners: [4], addresses: { 1: addr(1), 2: addr(2), 3: addr(3), 4: addr(4) } });
  t.same(applyConfChange(m, { type: 'addVoter', id: 4, address: addr(4) }), { voters: [1, 2, 3, 4], learners: [], addresses: { ...m.addresses, 4: addr(4) } });
  const refused = (cc: ConfChange, re: RegExp) => {
    const r = applyConfChange('code' in plus4 ? m : plus4, cc);
    t.match(r, { code: 'BAD_REQUEST', reason: re }, `${JSON.stringify(cc)} refused`);
  };
  refused(addLearner(2), /already a member/);
  refused({ type: 'addLearner', id: 5, address: { host: '127.0.0.1', port: 7002, peerPort: 7999 } }, /clashes with node 2/);
  refused({ type: 'addLearner', id: 5, address: { host: '127.0.0.1', port: 7998, peerPort: 7103 } }, /clashes with node 3/);
  refused({ type: 'addLearner', id: 5, address: { host: '127.0.0.1', port: 7998, peerPort: 7998 } }, /must differ/);
  refused({ type: 'promote', id: 2 }, /already a voter/);
  refused({ type: 'promote', id: 9 }, /not a member/);
  refused({ type: 'remove', id: 9 }, /not a member/);
  t.match(applyConfChange(bootstrapMembership([1]), { type: 'remove', id: 1 }), { code: 'BAD_REQUEST', reason: /last voter/ });
  t.same(applyConfChange(m, { type: 'remove', id: 2 }), { voters: [1, 3], learners: [], addresses: { 1: addr(1), 3: addr(3) } });
  t.same(m.voters, [1, 2, 3], 'the input membership is never changed');
});

t.test('a learner gets the log but neither counts toward commit nor campaigns', async (t) => {
  const net = cluster();
  net.startJoiner(4);
  t.same(net.node(4).status().voters, [], 'a joiner starts knowing no members');
  change(t, net, 1, addLearner(4));
  net.tickAll(2);
  t.same(net.node(4).status().membership.learners, [4], 'the joiner learned the membership from the log');
  t.same(net.node(4).status().voters, [1, 2, 3]);
  t.equal(net.node(4).status().lastLogIndex, net.node(1).status().lastLogIndex, 'and has the whole log');

  // Two voters cut off: the learner's acknowledgement must not make a majority.
  net.cut.add('1->2').add('1->3');
  const before = committed(net, 1);
  net.node(1).propose(['x']);
  net.deliver();
  t.equal(committed(net, 1), before, 'leader + learner is not a majority of 3 voters');
  t.equal(net.node(4).status().lastLogIndex, before + 1, 'the learner did get the entry');
  net.heal();
  net.tickAll(2);
  t.equal(committed(net, 1), before + 1, 'committed once a voter acknowledged');

  // The leader gone for a long time: the learner never campaigns; the voters elect a new leader.
  net.isolate(1);
  net.tickAll(100);
  t.equal(net.node(4).status().role, 'follower', 'the learner never campaigned');
  t.ok(net.node(4).status().term <= Math.max(net.node(2).status().term, net.node(3).status().term));
  t.ok([2, 3].some((id) => net.node(id).status().role === 'leader'), 'a voter took over');
});

t.test('promotion waits until the learner caught up; the promoted voter counts', async (t) => {
  const net = cluster(3, { maxEntriesPerMessage: 2 });
  net.startJoiner(4);
  net.cut.add('1->4');
  change(t, net, 1, addLearner(4));
  for (let i = 0; i < 10; i++) net.node(1).propose([`w${i}`]);
  net.deliver();
  t.match(net.node(1).proposeConfChange({ type: 'promote', id: 4 }), { status: 'refused', code: 'NOT_CAUGHT_UP' });
  net.heal();
  net.tickAll(5);
  change(t, net, 1, { type: 'promote', id: 4 });
  t.same(net.node(1).status().voters, [1, 2, 3, 4]);
  // Four voters: a majority is three. Leader + node 4 alone cannot commit.
  net.cut.add('1->2').add('1->3');
  const before = committed(net, 1);
  net.node(1).propose(['y']);
  net.deliver();
  t.equal(committed(net, 1), before, '2 of 4 voters is not a majority');
  net.cut.delete('1->2');
  net.tickAll(1);
  t.equal(committed(net, 1), before + 1, '3 of 4 is');
});

t.test('one change at a time, and only after the leader committed an entry of its own term', async (t) => {
  const net = cluster();
  net.cut.add('1->2').add('1->3');
  const first = net.node(1).proposeConfChange(addLearner(4));
  t.equal(first.status, 'appended');
  t.match(net.node(1).proposeConfChange(addLearner(5)), { status: 'refused', code: 'IN_PROGRESS', reason: /not yet committed/ });
  t.same(net.node(1).status().membership.learners, [4], 'the uncommitted change is already in force on the leader (§4.1)');
  net.heal();
  net.tickAll(2);
  t.equal(net.node(1).proposeConfChange(addLearner(5)).status, 'appended', 'accepted once the first committed');
  net.deliver();

  // A new leader whose no-op is not yet acknowledged by anyone must not start a change (errata fix).
  net.isolate(1);
  net.drop = (m) => m.type === 'appendResp' && m.to === 2;
  net.elect(2);
  t.equal(net.node(2).status().role, 'leader');
  t.match(net.node(2).proposeConfChange({ type: 'remove', id: 5 }), { status: 'refused', code: 'IN_PROGRESS', reason: /own|its term/ });
  net.drop = () => false;
  net.heal();
  net.tickAll(2);
  t.equal(net.node(2).proposeConfChange({ type: 'remove', id: 5 }).status, 'appended');
  t.match(net.node(3).proposeConfChange({ type: 'remove', id: 4 }), { status: 'notLeader', leader: 2 });
});

t.test('a removed follower stops campaigning; the smaller majority decides', async (t) => {
  const net = cluster(5);
  change(t, net, 1, { type: 'remove', id: 5 });
  change(t, net, 1, { type: 'remove', id: 4 });
  t.same(net.node(1).status().voters, [1, 2, 3]);
  t.same(net.node(5).status().voters, [1, 2, 3, 4], 'the removed node saw its own removal (not the next change: it gets no log after that)');
  const term = net.node(1).status().term;
  net.isolate(5);
  net.tickAll(200);
  t.equal(net.node(5).status().role, 'follower', 'removed: it never campaigns');
  t.equal(net.node(5).status().term, term);
  // Nodes 4 and 5 gone for good: 1..3 still make progress (2 of 3).
  net.isolate(4);
  net.cut.add('1->3');
  const before = committed(net, 1);
  net.node(1).propose(['z']);
  net.deliver();
  t.equal(committed(net, 1), before + 1, 'leader + node 2 are a majority of three voters');
  t.equal(net.node(1).status().role, 'leader');
});

t.test('a leader that removes itself commits the change, hands over and steps down', async (t) => {
  const net = cluster(3);
  const term = net.node(1).status().term;
  const r = net.node(1).proposeConfChange({ type: 'remove', id: 1 });
  t.equal(r.status, 'appended');
  net.deliver();
  t.not(net.node(1).status().role, 'leader', 'the old leader stepped down');
  t.same(net.node(1).status().voters, [2, 3]);
  const leaders = net.leaderIds();
  t.equal(leaders.length, 1, 'a remaining voter took over at once (timeoutNow)');
  t.ok([2, 3].includes(leaders[0]!));
  t.equal(net.node(leaders[0]!).status().term, term + 1);
  const newLeader = leaders[0]!;
  net.node(newLeader).propose(['after']);
  net.tickAll(300);
  t.equal(net.leaderIds().length, 1);
  t.not(net.node(1).status().role, 'leader', 'the removed node never leads again');
  t.ok(net.node(1).status().role === 'follower', 'nor campaigns');
  t.same(net.appliedData(newLeader).slice(-1), ['after']);
});

t.test('leadership transfer: catch the target up, drop proposals meanwhile, give up after a timeout', async (t) => {
  const net = cluster(3);
  t.match(net.node(2).transferLeader(3), { ok: false, code: 'NOT_LEADER' });
  t.match(net.node(1).transferLeader(9), { ok: false, code: 'BAD_REQUEST' });
  // A lagging target: it gets the missing entries first, then timeoutNow.
  net.cut.add('1->3');
  for (let i = 0; i < 5; i++) net.node(1).propose([`lag${i}`]);
  net.deliver();
  net.cut.clear();
  const term = net.node(1).status().term;
  t.same(net.node(1).transferLeader(3), { ok: true });
  t.equal(net.node(1).status().leadTransferee, 3);
  t.match(net.node(1).propose(['during']), { status: 'dropped' }, 'proposals are refused during the transfer');
  t.match(net.node(1).proposeConfChange(addLearner(4)), { status: 'refused', code: 'IN_PROGRESS' });
  net.deliver();
  t.equal(net.node(3).status().role, 'leader', 'the lagging target caught up and won');
  t.equal(net.node(3).status().term, term + 1);
  t.equal(net.node(3).status().lastLogIndex >= 6, true);

  // An unreachable target: the transfer is abandoned after an election timeout.
  net.isolate(2);
  t.same(net.node(3).transferLeader(2), { ok: true });
  net.tick(3, 10);
  t.equal(net.node(3).status().role, 'leader');
  t.equal(net.node(3).status().leadTransferee, 0, 'given up');
  t.match(net.node(3).propose(['again']), { status: 'appended' }, 'proposals accepted again');
});

t.test('a restart rebuilds the membership from the log; a truncated change is undone', async (t) => {
  const net = cluster(3);
  change(t, net, 1, addLearner(4));
  net.start(2);
  t.same(net.node(2).status().membership.learners, [4], 'replayed from the persisted log');
  t.same(net.node(2).status().membership.addresses['4'], addr(4));

  // Node 1 appends a change nobody else gets, then loses leadership: the entry is overwritten.
  net.tickAll(2);
  net.isolate(1);
  t.equal(net.node(1).proposeConfChange({ type: 'remove', id: 4 }).status, 'appended');
  t.same(net.node(1).status().membership.learners, [], 'in force on node 1 while in its log');
  net.elect(2);
  net.node(2).propose(['overwrite']);
  net.deliver();
  net.heal();
  net.tickAll(5);
  t.same(net.node(1).status().membership.learners, [4], 'the truncated change no longer counts');
  t.equal(net.leaderIds().length, 1);
});

t.test('Ready.membership reports each change; a snapshot brings its membership', async (t) => {
  const net = cluster(3);
  let seen = null;
  t.equal(net.node(1).proposeConfChange(addLearner(4)).status, 'appended');
  const rd = net.runReady(1);
  seen = rd!.membership;
  t.same(seen?.learners, [4]);
  net.deliver();
  t.equal(net.runReady(1), null, 'no Ready without news');

  const lone = new TestNet(1);
  lone.startJoiner(7);
  const membership = { voters: [1, 2, 3], learners: [7], addresses: { 7: addr(7) } };
  lone.node(7).step({ type: 'snapshot', from: 1, to: 7, term: 3, index: 40, snapshotTerm: 2, membership });
  const srd = lone.node(7).ready();
  t.same(srd.snapshot, { index: 40, term: 2 });
  t.same(srd.membership, membership, 'installed with the snapshot');
  t.same(lone.node(7).status().voters, [1, 2, 3]);
});
