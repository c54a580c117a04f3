/**
 * The core against the sentences of the Raft paper (and thesis), one test per rule, tagged with
 * the section. Scripted on a synchronous in-memory network: no sleeps, no timers.
 */
import t from 'tap';
import { RawNode } from '../../../src/node/raft/raw-node.js';
import { Prng } from '../../lib/prng.js';
import { TestNet } from './net.js';

t.test('§5.2 a follower that hears nothing campaigns and wins a majority', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  t.same(net.leaderIds(), [1]);
  const s = net.node(1).status();
  t.equal(s.term, 1, 'pre-vote does not bump the term; the real campaign does, once');
  t.equal(net.node(2).status().leader, 1);
  t.equal(net.node(3).status().leader, 1);
});

t.test('§5.2 election safety: one vote per term, persisted before the reply', async (t) => {
  const voter = new RawNode({ id: 2, peers: [1, 2, 3], electionTicksMin: 10, electionTicksMax: 20, heartbeatTicks: 1, random: new Prng(2).asFunction() });
  voter.step({ type: 'vote', from: 1, to: 2, term: 1, pre: false, lastLogIndex: 0, lastLogTerm: 0 });
  const grant = voter.ready();
  t.same(grant.hardState, { term: 1, vote: 1, commit: 0 }, 'the vote is in the Ready that carries the grant');
  t.ok(grant.mustSync, 'it must be fsynced');
  t.notOk(grant.sendBeforePersist, 'before the grant is sent');
  t.match(grant.messages, [{ type: 'voteResp', to: 1, term: 1, granted: true }]);
  voter.advance(grant);
  // Another candidate in the same term, even with a longer log, does not get a second vote.
  voter.step({ type: 'vote', from: 3, to: 2, term: 1, pre: false, lastLogIndex: 5, lastLogTerm: 1 });
  const refusal = voter.ready();
  t.equal(refusal.hardState, null, 'the vote of term 1 stands');
  t.match(refusal.messages, [{ type: 'voteResp', to: 3, term: 1, granted: false }]);
});

t.test('§5.2 two followers that hear nothing campaign in the same term: at most one leader per term', async (t) => {
  // Without pre-vote both time out on the same tick and ask for votes in term 1 at once.
  const net = new TestNet(3, { preVote: false });
  net.bias.set(1, 0);
  net.bias.set(3, 0);
  net.bias.set(2, 0.999);
  for (const id of net.ids) net.start(id); // the first timeouts are drawn at start: draw them biased
  const leaderOfTerm = new Map<number, Set<number>>();
  for (let i = 0; i < 100 && net.leaderIds().length === 0; i++) {
    net.tickAll();
    for (const id of net.leaderIds()) {
      const term = net.node(id).status().term;
      leaderOfTerm.set(term, (leaderOfTerm.get(term) ?? new Set()).add(id));
    }
  }
  const requests = net.delivered.filter((m) => m.type === 'vote' && !m.pre && m.term === 1);
  t.same([...new Set(requests.map((m) => m.from))].sort(), [1, 3], 'both nodes campaigned in term 1');
  const grantsBy2 = net.delivered.filter((m) => m.type === 'voteResp' && m.from === 2 && m.term === 1 && m.granted);
  t.equal(grantsBy2.length, 1, 'node 2 granted one of them, once');
  t.equal(net.leaderIds().length, 1, 'a leader emerged');
  for (const [term, ids] of leaderOfTerm) t.equal(ids.size, 1, `one leader in term ${term}`);
  t.equal(net.disks.get(2)!.hard.vote, grantsBy2[0]!.to, 'node 2\'s durable vote is the one it granted');
});

t.test('§8 a new leader appends a no-op of its term and commits it', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  const applied = net.applied.get(1)!;
  t.equal(applied.length, 1);
  t.equal(applied[0]!.kind, 'noop');
  t.equal(applied[0]!.term, 1);
  t.equal(net.node(1).status().commitIndex, 1);
});

t.test('§5.3 entries replicate and apply everywhere in order', async (t) => {
  const net = new TestNet(5);
  net.elect(1);
  for (let i = 0; i < 20; i++) net.node(1).propose([`cmd-${i}`, `cmd-${i}b`]);
  net.deliver();
  net.tickAll(3); // heartbeats carry the final commit index
  const want = Array.from({ length: 20 }, (_, i) => [`cmd-${i}`, `cmd-${i}b`]).flat();
  for (const id of net.ids) t.same(net.appliedData(id), want, `node ${id} applied all in order`);
});

t.test('§5.3 a follower forwards proposals to the leader; with no leader they are dropped', async (t) => {
  const net = new TestNet(3);
  t.same(net.node(2).propose(['x']), { status: 'dropped', leader: 0 });
  net.elect(1);
  t.same(net.node(2).propose(['x']), { status: 'forwarded', leader: 1 });
  net.deliver();
  net.tickAll(2);
  t.same(net.appliedData(3), ['x']);
});

t.test('§5.3 a divergent follower log is repaired with fast backtracking', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  // Node 1 leads term 1 but is cut off; its proposals stay uncommitted on it alone.
  net.isolate(1);
  for (let i = 0; i < 30; i++) net.node(1).propose([`lost-${i}`]);
  net.deliver();
  net.elect(2);
  for (let i = 0; i < 5; i++) net.node(2).propose([`kept-${i}`]);
  net.deliver();
  net.heal();
  net.tickAll(30);
  t.same(net.leaderIds(), [2]);
  for (const id of net.ids) t.same(net.appliedData(id), ['kept-0', 'kept-1', 'kept-2', 'kept-3', 'kept-4'], `node ${id}`);
  t.equal(net.node(1).status().role, 'follower');
  const rejects = net.delivered.filter((m) => m.type === 'appendResp' && !m.success && m.from === 1 && m.to === 2);
  t.ok(rejects.length <= 2, `repair took ${rejects.length} rejections for 30 divergent entries, not one per entry`);
});

t.test('§5.4.1 a candidate with a stale log gets no vote', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 3; i++) net.node(1).propose([`v${i}`]);
  net.deliver();
  net.heal();
  net.isolate(1); // leader gone; 3 has a shorter log than 2
  net.cut.delete('2->3');
  net.cut.delete('3->2');
  net.elect(3); // 3 times out first but cannot win
  net.bias.set(2, 0.999);
  t.not(net.node(3).status().role, 'leader', 'node 3 cannot win without the committed entries');
  net.elect(2);
  t.equal(net.node(2).status().role, 'leader');
});

t.test('§5.4.2 Figure 8: a leader never commits an old-term entry by counting replicas', async (t) => {
  const net = new TestNet(5, { maxEntriesPerMessage: 1 });
  net.elect(1);
  // Term 1: S1 gets 'old' to S2 only, then loses its leadership.
  net.isolate(1);
  net.cut.delete('1->2');
  net.cut.delete('2->1');
  net.node(1).propose(['old']);
  net.deliver();
  t.equal(net.node(1).status().commitIndex, 1, "'old' is on 2 of 5: uncommitted");
  // A later term: S5 wins with S3, S4 but none of its entries ever leave it (Figure 8 (b)).
  net.heal();
  net.isolate(1);
  net.isolate(2);
  for (const [a, b] of [[3, 4], [3, 5], [4, 5]]) { net.cut.delete(`${a}->${b}`); net.cut.delete(`${b}->${a}`); }
  net.drop = (m) => m.from === 5 && m.type === 'append';
  net.elect(5);
  const t5 = net.node(5).status().term;
  // S1 returns and leads a later term; S5 is gone. Entries of S1's own term are held back, so
  // S1 can bring 'old' to a majority (S1-S4) but nothing of its term.
  net.heal();
  net.isolate(5);
  net.drop = (m) => {
    if (m.type === 'append') m.entries = m.entries.filter((e) => e.term <= t5);
    return false;
  };
  net.elect(1);
  const s1 = net.node(1).status();
  t.equal(s1.role, 'leader');
  const matches = Object.values(s1.progress!).filter((p) => p.match >= 2).length;
  t.ok(matches >= 3, `'old' is on ${matches} of 5 nodes`);
  t.equal(s1.commitIndex, 1, "§5.4.2: 'old' is on a majority but from an old term: not committed");
  // Once an entry of S1's term reaches a majority, both commit.
  net.drop = () => false;
  net.tickAll(3);
  t.equal(net.node(1).status().commitIndex, 3);
  net.heal();
  net.tickAll(20);
  for (const id of net.ids) t.same(net.appliedData(id), ['old'], `node ${id}`);
});

t.test('§6.4 ReadIndex: served after a heartbeat round, at the commit index', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.node(1).propose(['w']);
  net.deliver();
  net.node(1).readIndex('r1');
  net.deliver();
  t.same(net.reads.get(1), [{ ctx: 'r1', index: net.node(1).status().commitIndex }]);
  // A follower's read is forwarded to the leader and comes back.
  net.node(3).readIndex('r2');
  net.deliver();
  t.same(net.reads.get(3), [{ ctx: 'r2', index: net.node(1).status().commitIndex }]);
});

t.test('§6.4 ReadIndex: a leader cut off from the majority serves no read', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.isolate(1);
  net.node(1).readIndex('r');
  net.deliver();
  t.same(net.reads.get(1), [], 'no answer without a quorum');
  net.tick(1, 20); // check-quorum makes it step down, which fails the read
  t.same(net.reads.get(1), [{ ctx: 'r', index: -1 }]);
});

t.test('thesis §6.2 check-quorum: an isolated leader steps down within an election timeout', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.isolate(1);
  let ticks = 0;
  while (net.node(1).status().role === 'leader' && ticks < 100) { net.tick(1); ticks++; }
  t.equal(net.node(1).status().role, 'follower');
  t.ok(ticks <= 20, `stepped down after ${ticks} ticks (election timeout 10)`);
});

t.test('thesis §9.6 pre-vote: a rejoining partitioned node does not disrupt the leader', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 200; i++) net.tick(3); // it campaigns over and over, in vain
  t.equal(net.node(3).status().term, 1, 'pre-vote failures leave the term alone');
  net.heal();
  net.tickAll(5);
  t.equal(net.node(1).status().role, 'leader');
  t.equal(net.node(1).status().term, 1);
  t.equal(net.node(3).status().leader, 1);
});

t.test('a stale leader rejoining learns the new term and steps down', async (t) => {
  const net = new TestNet(3, { checkQuorum: false });
  net.elect(1);
  net.isolate(1);
  net.elect(2);
  t.equal(net.node(1).status().role, 'leader', 'without check-quorum the old leader lingers');
  net.heal();
  net.tickAll(2);
  t.equal(net.node(1).status().role, 'follower');
  t.equal(net.node(1).status().leader, 2);
});

t.test('restart: a node rebuilt from its disk keeps term, vote and log', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.node(1).propose(['a', 'b']);
  net.deliver();
  const before = net.node(2).status();
  net.start(2);
  const after = net.node(2).status();
  t.equal(after.term, before.term);
  t.equal(after.vote, before.vote);
  t.equal(after.lastLogIndex, before.lastLogIndex);
  net.tickAll(3);
  t.same(net.appliedData(2), ['a', 'b'], 're-applies its committed log after restart');
});

t.test('a log may start after a snapshot (first index > 1)', async (t) => {
  const n = new RawNode(
    { id: 1, peers: [1], electionTicksMin: 5, electionTicksMax: 5, heartbeatTicks: 1, random: new Prng(1).asFunction() },
    { hardState: { term: 3, vote: 1, commit: 100 }, entries: [{ index: 101, term: 3, kind: 'noop' }], snapshotIndex: 100, snapshotTerm: 2, applied: 100 },
  );
  t.equal(n.status().firstIndex, 101);
  for (let i = 0; i < 6; i++) n.tick();
  let rd = n.ready();
  n.advance(rd);
  rd = n.ready();
  n.advance(rd);
  t.equal(n.status().role, 'leader');
  t.equal(n.status().commitIndex, 102);
});

t.test('single node: a proposal commits only after the leader persisted it', async (t) => {
  const n = new RawNode({ id: 1, peers: [1], electionTicksMin: 2, electionTicksMax: 2, heartbeatTicks: 1, random: new Prng(1).asFunction() });
  n.tick(); n.tick();
  let rd = n.ready();
  t.equal(rd.entries.length, 1, 'the no-op to persist');
  t.equal(rd.committedEntries.length, 0, 'not committed before the fsync');
  n.advance(rd);
  rd = n.ready();
  t.same(rd.committedEntries.map((e) => e.kind), ['noop']);
  n.advance(rd);
  const res = n.propose(['x']);
  t.same(res, { status: 'appended', index: 2, term: 1 });
});

t.test('config errors are refused loudly', async (t) => {
  t.throws(() => new RawNode({ id: 0, peers: [1], electionTicksMin: 10, electionTicksMax: 20, heartbeatTicks: 1, random: new Prng(1).asFunction() }), /id must be a positive integer/);
  t.throws(() => new RawNode({ id: 1, peers: [1], electionTicksMin: 1, electionTicksMax: 20, heartbeatTicks: 1, random: new Prng(1).asFunction() }), /must exceed heartbeatTicks/);
});
