/**
 * The classic Raft traps as scripted, deterministic scenarios on the simulator. Each runs a whole
 * cluster of the real core under the InvariantChecker (every step is checked for election safety,
 * log matching, leader completeness, state machine safety, durability and stale reads) and then
 * asserts the specific outcome the paper requires.
 */
import t from 'tap';
import type { Entry, Message } from '../../src/protocol/raft-messages.js';
import type { SimCluster } from './cluster.js';
import {
  SCRIPT_ELECTION_MAX,
  SCRIPT_ELECTION_MIN,
  appliedAnywhere,
  awaitConverged,
  awaitLeader,
  commitAt,
  electLeader,
  hasApplied,
  scriptedCluster,
  waitFor,
} from './script.js';

/** Entries of node `id`'s durable log as "index/term" strings. */
function logOf(c: SimCluster, id: number): string[] {
  return c.node(id).store.entries().map((e: Entry) => `${e.index}/${e.term}`);
}

t.test('§5.2 leader election: one leader, followed by all, and its §8 no-op committed', async (t) => {
  for (const nodes of [3, 5]) {
    const c = scriptedCluster(nodes);
    const leader = awaitLeader(c);
    const term = c.status(leader)!.term;
    awaitConverged(c);
    c.ticks(5 * SCRIPT_ELECTION_MAX);
    t.equal(c.leader(), leader, `${nodes} nodes: the leader keeps office while the cluster is healthy`);
    for (const id of c.ids) {
      const st = c.status(id)!;
      t.equal(st.term, term, `${nodes} nodes: node ${id} is in the leader's term`);
      t.equal(st.leader, leader, `${nodes} nodes: node ${id} follows ${leader}`);
      t.equal(st.role, id === leader ? 'leader' : 'follower', `${nodes} nodes: node ${id} role`);
      const first = c.appliedLog(id)[0];
      t.same(first && { kind: first.kind, term: first.term }, { kind: 'noop', term }, `${nodes} nodes: node ${id} applied the leader's no-op first`);
    }
  }
});

t.test('§5.2 a candidate without a majority never becomes leader', async (t) => {
  const c = scriptedCluster(5);
  c.network.partition([1, 2], [3, 4, 5]);
  c.ticks(10 * SCRIPT_ELECTION_MAX, { only: [1, 2] });
  t.notOk([1, 2].some((id) => c.status(id)!.role === 'leader'), 'no leader on the minority side');
  const leader = awaitLeader(c, [3, 4, 5]);
  t.ok([3, 4, 5].includes(leader), 'the majority side elects one');
});

t.test('§5.4.2 Figure 8: a leader does not commit an older-term entry by counting replicas', async (t) => {
  // The paper's setting: no pre-vote or check-quorum, so the script can move leadership freely.
  // One entry per AppendEntries so that a probe carries only the old-term entry.
  const c = scriptedCluster(5, { preVote: false, checkQuorum: false, maxEntriesPerMessage: 1 });
  const t1 = electLeader(c, 1);
  awaitConverged(c);

  // (a) S1 (term t1) replicates X at index 2 to S2 only.
  c.network.partition([1, 2], [3, 4, 5]);
  const x = c.propose(1, 1);
  t.same(x.result, { status: 'appended', index: 2, term: t1 }, 'S1 appends X at index 2');
  waitFor(c, 'X on S2', () => c.node(2).store.termAt(2) === t1, 50);

  // (b) S1 crashes; S5 wins term t2 with S3 and S4 and appends entries nobody else receives.
  c.crash(1);
  c.network.filter = (m: Message) => !(m.from === 5 && m.type === 'append');
  const t2 = electLeader(c, 5);
  const y = c.propose(5, 1);
  t.equal(y.result.status, 'appended', 'S5 appends Y');
  c.ticks(2, { only: [5] });
  t.equal(c.node(5).store.termAt(2), t2, 'S5 holds its own entry at index 2');
  t.equal(c.node(3).store.lastIndex, 1, 'S3 got nothing from S5');

  // (c) S5 crashes; S1 restarts and wins a later term t3; it replicates the term-t1 entry at
  // index 2 to S3 (a majority S1, S2, S3 now holds it) but none of its own term-t3 entries.
  c.crash(5);
  c.restart(1);
  c.network.heal();
  let t3 = 0;
  c.network.filter = (m: Message) => {
    if (m.from !== 1 || m.type !== 'append') return true;
    if (m.to === 4) return false;
    // Let through what a follower would reject (so the leader probes back to index 2) and the
    // probe carrying index 2 itself; lose anything that would put a term-t3 entry on a disk.
    const wouldAccept = c.node(m.to).store.termAt(m.prevLogIndex) === m.prevLogTerm;
    return !(wouldAccept && m.entries.some((e) => e.term !== t1));
  };
  t3 = electLeader(c, 1);
  t.ok(t3 > t2, `S1 leads term ${t3} > ${t2}`);
  waitFor(c, 'index 2 (term t1) on S3', () => c.node(3).store.termAt(2) === t1, 100);
  c.ticks(5 * SCRIPT_ELECTION_MAX, { only: [1] });
  t.same([1, 2, 3].map((id) => c.node(id).store.termAt(2)), [t1, t1, t1], 'a majority holds index 2 from term t1');
  t.equal(c.status(1)!.commitIndex, 1, 'S1 did not commit index 2: replicas of an older-term entry do not count');
  t.notOk(appliedAnywhere(c, x.commands[0]!), 'X was applied nowhere');

  // (d) S1 crashes; S5 comes back, wins with S2, S3, S4 and overwrites index 2 everywhere.
  c.crash(1);
  c.network.filter = null;
  c.restart(5);
  const t4 = electLeader(c, 5);
  t.ok(t4 > t3, `S5 leads term ${t4}`);
  c.restart(1);
  awaitConverged(c);
  for (const id of c.ids) {
    t.equal(c.node(id).store.termAt(2), t2, `node ${id} holds S5's entry at index 2`);
    t.ok(hasApplied(c, id, y.commands[0]!), `node ${id} applied Y`);
  }
  t.notOk(appliedAnywhere(c, x.commands[0]!), 'X, never committed, was overwritten and never applied');
});

t.test('a stale leader rejoining after a pause steps down and its entries are discarded', async (t) => {
  const c = scriptedCluster(5);
  const t1 = electLeader(c, 1);
  awaitConverged(c);
  commitAt(c, 1, 2, c.ids);

  c.pause(1); // e.g. a long GC pause: it still believes it leads term t1
  const l2 = awaitLeader(c, [2, 3, 4, 5]);
  const t2 = c.status(l2)!.term;
  t.ok(t2 > t1, 'the others elected a leader of a later term');
  const fresh = commitAt(c, l2, 3, [2, 3, 4, 5]);

  // The stale leader wakes up having missed everything, and accepts a proposal at once.
  c.resume(1, { dropHeld: true });
  t.equal(c.status(1)!.role, 'leader', 'node 1 still thinks it leads');
  const stale = c.propose(1, 1);
  t.same(stale.result, { status: 'appended', index: c.status(1)!.lastLogIndex, term: t1 }, 'the stale leader appends at its old term');
  waitFor(c, 'node 1 stepping down', () => c.status(1)!.role === 'follower', 3 * SCRIPT_ELECTION_MAX);
  awaitConverged(c);
  t.equal(c.leader(), l2, 'the new leader keeps office');
  t.equal(c.status(l2)!.term, t2, 'the stale leader did not force a new term');
  t.notOk(appliedAnywhere(c, stale.commands[0]!), "the stale leader's entry was never applied");
  for (const cmd of fresh.commands) t.ok(hasApplied(c, 1, cmd), `node 1 caught up with ${cmd}`);
  t.same(logOf(c, 1), logOf(c, l2), "node 1's log was repaired to the new leader's");
});

t.test('pre-vote: a partitioned node does not disrupt a healthy cluster when it returns', async (t) => {
  for (const nodes of [3, 5]) {
    const c = scriptedCluster(nodes);
    const leader = awaitLeader(c);
    awaitConverged(c);
    const term = c.status(leader)!.term;
    const loner = c.ids.find((id) => id !== leader)!;
    c.network.isolate(loner);
    c.ticks(10 * SCRIPT_ELECTION_MAX);
    t.equal(c.status(loner)!.term, term, `${nodes} nodes: the isolated node's failed pre-votes left its term alone`);
    commitAt(c, leader, 2, c.ids.filter((id) => id !== loner));
    c.network.heal();
    awaitConverged(c);
    c.ticks(5 * SCRIPT_ELECTION_MAX);
    t.equal(c.leader(), leader, `${nodes} nodes: same leader after the node returned`);
    for (const id of c.ids) t.equal(c.status(id)!.term, term, `${nodes} nodes: node ${id} still in term ${term}`);
  }
});

t.test('control: without pre-vote or check-quorum the returning node does disrupt the cluster', async (t) => {
  const c = scriptedCluster(5, { preVote: false, checkQuorum: false });
  const leader = awaitLeader(c);
  awaitConverged(c);
  const term = c.status(leader)!.term;
  const loner = c.ids.find((id) => id !== leader)!;
  c.network.isolate(loner);
  c.ticks(10 * SCRIPT_ELECTION_MAX);
  t.ok(c.status(loner)!.term > term, 'the isolated node kept raising its term');
  c.network.heal();
  awaitLeader(c);
  awaitConverged(c);
  t.ok(c.status(c.leader())!.term > term, 'the majority had to move to a higher term (the scenario has teeth)');
});

t.test('check-quorum: a leader cut off from a majority steps down within about an election timeout', async (t) => {
  const cuts: [string, (c: SimCluster, leader: number) => void][] = [
    ['isolated', (c, l) => c.network.isolate(l)],
    ['deaf (can send, cannot hear)', (c, l) => c.ids.filter((x) => x !== l).forEach((x) => c.network.cut(x, l))],
    ['with one follower, in a minority', (c, l) => c.network.partition([l, l === 1 ? 2 : 1])],
  ];
  for (const [how, cut] of cuts) {
    const c = scriptedCluster(5);
    const leader = awaitLeader(c);
    awaitConverged(c);
    cut(c, leader);
    const before = c.now;
    waitFor(c, `${how} leader stepping down`, () => c.status(leader)!.role !== 'leader', 2 * SCRIPT_ELECTION_MIN + 1);
    t.ok(c.now - before <= 2 * SCRIPT_ELECTION_MIN, `${how}: stepped down after ${c.now - before} ticks (check every ${SCRIPT_ELECTION_MIN})`);
  }
  // Control: without check-quorum the isolated leader keeps believing.
  const c = scriptedCluster(5, { checkQuorum: false });
  const leader = awaitLeader(c);
  awaitConverged(c);
  c.network.isolate(leader);
  c.ticks(10 * SCRIPT_ELECTION_MAX);
  t.equal(c.status(leader)!.role, 'leader', 'control: without check-quorum it stays leader');
});

t.test('§5.3 log repair: divergent followers are brought in line, backtracking a term at a time', async (t) => {
  const lines: string[] = [];
  const c = scriptedCluster(5, { trace: (l) => lines.push(l) });
  const t1 = electLeader(c, 1);
  awaitConverged(c);
  commitAt(c, 1, 3, c.ids);

  // Node 1 keeps leading a minority {1, 2}: 20 entries reach node 2 and are never committed.
  c.network.partition([1, 2], [3, 4, 5]);
  const doomed = [];
  for (let i = 0; i < 20; i++) doomed.push(c.propose(1, 1));
  const lastDoomed = doomed[doomed.length - 1]!.result;
  const tail = lastDoomed.status === 'appended' ? lastDoomed.index : -1;
  waitFor(c, 'the doomed entries on node 2', () => c.node(2).store.lastIndex === tail, 100, { only: [1] });
  t.equal(c.node(2).store.lastTerm, t1, 'node 2 holds a long uncommitted term-t1 tail');
  c.crash(1);

  // The majority moves on: 30 entries of a later term.
  const l2 = awaitLeader(c, [3, 4, 5]);
  for (let i = 0; i < 10; i++) c.propose(l2, 3);
  waitFor(c, 'the new entries committed', () => c.status(l2)!.commitIndex >= c.status(l2)!.lastLogIndex, 200);

  // A third leader, elected with node 1 back (node 2 still cut off), starts from the end of its
  // long log: it must walk node 2 (and node 1) back over the whole divergent term.
  c.network.heal();
  c.network.isolate(2);
  c.restart(1);
  c.crash(l2);
  const l3 = awaitLeader(c, c.ids.filter((id) => id !== 2 && id !== l2));
  const t3 = c.status(l3)!.term;
  c.restart(l2);
  const mark = lines.length;
  c.network.heal();
  awaitConverged(c);
  for (const id of c.ids) t.same(logOf(c, id), logOf(c, l3), `node ${id}'s log equals the leader's`);
  for (const p of doomed) t.notOk(appliedAnywhere(c, p.commands[0]!), `${p.commands[0]} (uncommitted, divergent) never applied`);
  const rejects = lines.slice(mark).filter((l) => l.includes(`deliver 2->${l3} appendResp t${t3} reject`)).length;
  t.ok(rejects >= 1 && rejects <= 3, `node 2 needed ${rejects} rejected appends for a 20-entry divergent tail (fast backtracking)`);
});

t.test('§5.3 probe: a follower far behind after a crash catches up', async (t) => {
  const c = scriptedCluster(3, { maxEntriesPerMessage: 16 });
  const leader = electLeader(c, 1);
  t.ok(leader > 0);
  awaitConverged(c);
  c.crash(3);
  for (let i = 0; i < 40; i++) c.propose(1, 5);
  waitFor(c, '200 entries committed on 1 and 2', () => c.node(2).store.applied >= 201, 400);
  c.restart(3);
  awaitConverged(c, 400);
  t.same(logOf(c, 3), logOf(c, 1), 'node 3 caught up');
});

t.test('ReadIndex on a deposed leader never returns a stale read', async (t) => {
  // (1) A paused leader wakes up and serves a read before it hears of the new term.
  {
    const c = scriptedCluster(5);
    electLeader(c, 1);
    awaitConverged(c);
    c.pause(1);
    const l2 = awaitLeader(c, [2, 3, 4, 5]);
    const w = commitAt(c, l2, 1, [2, 3, 4, 5]);
    c.resume(1, { dropHeld: true });
    t.equal(c.status(1)!.role, 'leader', 'node 1 still believes it leads');
    const ctx = c.readIndex(1);
    waitFor(c, 'the read answered', () => c.failedReads.has(ctx) || c.servedReads.has(ctx), 5 * SCRIPT_ELECTION_MAX);
    t.ok(c.failedReads.has(ctx), 'the deposed leader failed the read (-1) instead of answering from its stale state');
    t.ok(hasApplied(c, l2, w.commands[0]!), 'while the write it would have missed was applied');
  }
  // (2) Partitioned with one follower that also missed the election: 2 acks of 5 are not a quorum.
  {
    const c = scriptedCluster(5, { checkQuorum: false });
    electLeader(c, 1);
    awaitConverged(c);
    c.network.partition([1, 2], [3, 4, 5]);
    const l2 = awaitLeader(c, [3, 4, 5]);
    commitAt(c, l2, 1, [3, 4, 5]);
    const atLeader = c.readIndex(1);
    const atFollower = c.readIndex(2);
    c.ticks(5 * SCRIPT_ELECTION_MAX);
    t.notOk(c.servedReads.has(atLeader) || c.servedReads.has(atFollower), 'no read served on the stale side');
    c.network.heal();
    waitFor(c, 'both reads answered', () => [atLeader, atFollower].every((r) => c.failedReads.has(r) || c.servedReads.has(r)), 5 * SCRIPT_ELECTION_MAX);
    // Whatever the answer, the checker verified it against every write applied before the read.
    const fresh = c.readIndex(l2);
    waitFor(c, 'a read at the real leader served', () => c.servedReads.has(fresh), 5 * SCRIPT_ELECTION_MAX);
    t.ok(c.servedReads.get(fresh)! >= c.checker.highestApplied - 1, 'the real leader serves a current read');
  }
});

t.test('no committed entry is lost when every node crashes at once', async (t) => {
  const c = scriptedCluster(5);
  const leader = awaitLeader(c);
  awaitConverged(c);
  const recs = [commitAt(c, leader, 3, c.ids), commitAt(c, leader, 3, c.ids)];
  const committed = c.checker.highestCommitted;
  let k = 0;
  c.restartKeepsApplied = () => k++ % 2 === 0; // half keep their state machine, half replay it
  for (const id of c.ids) c.crash(id, 'power loss');
  for (const id of c.ids) c.restart(id);
  awaitLeader(c);
  awaitConverged(c);
  for (const id of c.ids) {
    t.ok(c.node(id).store.applied >= committed, `node ${id} applied at least the ${committed} entries committed before`);
    for (const r of recs) for (const cmd of r.commands) t.ok(hasApplied(c, id, cmd), `node ${id} still has ${cmd}`);
  }
});
