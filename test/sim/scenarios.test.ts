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

/**
 * Leader leases (thesis §6.4.1): a leader cut off from the rest, whose clients keep reading from
 * it while the others elect a new leader and commit a write. Long election timeouts (30..60
 * ticks) against 1-tick messages leave the old leader believing it leads for a while after the
 * new leader's write is applied: exactly when a lease that is too long answers a stale read.
 * `wait` ticks pass before the partition, to vary where in its check-quorum period it falls.
 */
function partitionedLeaseLeader(nodes: number, wait: number, sabotage: 'long-lease' | null) {
  const c = scriptedCluster(nodes, { readMode: 'lease', electionTicksMin: 30, electionTicksMax: 60, sabotage });
  const old = awaitLeader(c, c.ids, 1000);
  awaitConverged(c);
  commitAt(c, old, 1, c.ids);
  c.ticks(wait);
  const leaseAtPartition = c.status(old)!.leaseTicksLeft ?? 0;
  c.network.isolate(old);
  const reads: { ctx: string; tick: number; afterWrite: boolean }[] = [];
  let write: ReturnType<typeof c.propose> | null = null;
  let newLeader = 0;
  let writeAppliedAt = -1;
  let oldStillLeaderAfterWrite = false;
  for (let i = 0; i < 400; i++) {
    const applied = write !== null && hasApplied(c, newLeader, write.commands[0]!);
    if (applied && writeAppliedAt < 0) writeAppliedAt = c.now;
    if (c.status(old)!.role === 'leader') {
      if (applied) oldStillLeaderAfterWrite = true;
      reads.push({ ctx: c.readIndex(old), tick: c.now, afterWrite: applied });
    } else if (applied) break;
    newLeader = c.ids.find((id) => id !== old && c.status(id)?.role === 'leader') ?? newLeader;
    if (newLeader && !write) write = c.propose(newLeader, 1);
    c.tick();
  }
  return { c, old, reads, leaseAtPartition, writeAppliedAt, oldStillLeaderAfterWrite };
}

t.test('thesis §6.4.1 lease: a partitioned old leader serves no stale lease read while a new leader commits a write', async (t) => {
  let overlaps = 0;
  for (const nodes of [3, 5]) {
    for (let wait = 0; wait < 30; wait += 3) {
      // Every tick of these runs is checked for STALE_READ (and the rest); a violation throws.
      const { c, reads, leaseAtPartition, writeAppliedAt, oldStillLeaderAfterWrite } = partitionedLeaseLeader(nodes, wait, null);
      const tag = `${nodes} nodes, partition after ${wait} ticks`;
      t.ok(leaseAtPartition > 0, `${tag}: the old leader held a lease when cut off`);
      t.ok(writeAppliedAt > 0, `${tag}: the new leader's write was applied at tick ${writeAppliedAt}`);
      const servedEarly = reads.filter((r) => c.servedReads.has(r.ctx));
      t.ok(servedEarly.length > 0, `${tag}: the old leader served ${servedEarly.length} reads from its lease right after the cut`);
      if (oldStillLeaderAfterWrite) {
        overlaps++;
        const late = reads.filter((r) => r.afterWrite);
        t.notOk(late.some((r) => c.servedReads.has(r.ctx)), `${tag}: none of the ${late.length} reads issued at the old leader after the write was served`);
      }
    }
  }
  t.ok(overlaps >= 4, `in ${overlaps} runs the old leader still believed it led when the new write was applied (the scenario has teeth)`);
});

t.test('control: the same scenario with a lease of 2 * electionTicksMax serves a stale read', async (t) => {
  const caught: string[] = [];
  for (const nodes of [3, 5]) {
    for (let wait = 0; wait < 30; wait += 3) {
      try {
        partitionedLeaseLeader(nodes, wait, 'long-lease');
      } catch (err) {
        if ((err as { code?: string }).code !== 'STALE_READ') throw err;
        caught.push(`${nodes} nodes, wait ${wait}: ${(err as Error).message}`);
      }
    }
  }
  t.ok(caught.length >= 4, `the checker reported STALE_READ in ${caught.length} runs, e.g. ${caught[0] ?? 'none'}`);
});

t.test('thesis §6.4.1 lease: a paused leader catches its clock up on resume, so its lease is gone', async (t) => {
  const scene = (catchUp: boolean) => {
    const c = scriptedCluster(5, { readMode: 'lease' });
    const old = awaitLeader(c);
    awaitConverged(c);
    commitAt(c, old, 1, c.ids);
    c.ticks(2);
    const lease = c.status(old)!.leaseTicksLeft!;
    c.pause(old); // a GC pause or a stopped VM: its timers stop, real time does not
    const l2 = awaitLeader(c, c.ids.filter((id) => id !== old));
    const w = commitAt(c, l2, 1, c.ids.filter((id) => id !== old));
    c.resume(old, { dropHeld: true, catchUp });
    return { c, old, lease, w };
  };
  const { c, old, lease } = scene(true);
  t.ok(lease > 0, 'the leader held a lease when it froze');
  t.equal(c.status(old)!.leaseTicksLeft ?? 0, 0, 'after catching up its clock it holds none');
  const ctx = c.readIndex(old);
  waitFor(c, 'the read answered', () => c.failedReads.has(ctx) || c.servedReads.has(ctx), 5 * SCRIPT_ELECTION_MAX);
  t.ok(c.failedReads.has(ctx) || c.servedReads.get(ctx)! >= c.checker.highestApplied, 'the read is refused or current, never stale');

  // Control: a driver that resumes without catching up on missed ticks (breaking the contract in
  // src/node/raft/types.ts) answers from a lease whose time is long gone.
  const bad = scene(false);
  t.ok((bad.c.status(bad.old)!.leaseTicksLeft ?? 0) > 0, 'control: without catch-up the frozen clock still shows a lease');
  t.throws(
    () => {
      bad.c.readIndex(bad.old);
      bad.c.tick();
    },
    { code: 'STALE_READ' },
    'control: and the checker reports the stale read',
  );
});

/**
 * The lease rests on acks of follower `a` alone while `b`, cut off from the leader, campaigns.
 * The moment b asks a for a pre-vote, the leader is cut off from a too (and, with `restartA`, a
 * crashes and restarts, forgetting it ever heard from the leader). Returns the tick the old lease
 * ended, the tick a new leader was elected and who; the checker watches reads at the old leader.
 */
function campaignAgainstLease(restartA: boolean) {
  const c = scriptedCluster(3, { readMode: 'lease' });
  const leader = awaitLeader(c);
  awaitConverged(c);
  commitAt(c, leader, 1, c.ids);
  const [a, b] = c.ids.filter((id) => id !== leader) as [number, number];
  c.network.isolate(b);
  let preVote: Message | null = null;
  c.network.filter = (m) => {
    if (m.type === 'vote' && m.pre && m.from === b && m.to === a) preVote = m;
    return true;
  };
  c.ticks(2 * SCRIPT_ELECTION_MAX);
  preVote = null;
  waitFor(c, 'b asking a for a pre-vote', () => preVote !== null, 3 * SCRIPT_ELECTION_MAX);
  const leaseAtCut = c.status(leader)!.role === 'leader' ? (c.status(leader)!.leaseTicksLeft ?? 0) : 0;
  c.network.filter = null;
  c.network.heal();
  c.network.isolate(leader);
  if (restartA) {
    c.crash(a, 'restart right after an ack');
    c.restart(a);
  }
  c.inject(preVote!); // the pre-vote that was on its way reaches a now
  let leaseEnd = -1;
  let elected = -1;
  let next = 0;
  for (let i = 0; i < 20 * SCRIPT_ELECTION_MAX && elected < 0; i++) {
    if (c.status(leader)!.role === 'leader') c.readIndex(leader);
    if (leaseEnd < 0 && !((c.status(leader)!.leaseTicksLeft ?? 0) > 0)) leaseEnd = c.now;
    next = [a, b].find((id) => c.status(id)!.role === 'leader') ?? 0;
    if (next) elected = c.now;
    c.tick();
  }
  // The new leader commits a write while the old one's clients keep reading there.
  if (next) commitAt(c, next, 1, [a, b]);
  return { leaseAtCut, leaseEnd, elected, next };
}

t.test('thesis §6.4.1 lease: a follower that heard the leader does not vote for a campaigner while the lease runs', async (t) => {
  const r = campaignAgainstLease(false);
  t.ok(r.leaseAtCut > 0, `the leader held a lease (${r.leaseAtCut} ticks) when the campaigner asked`);
  t.ok(r.elected > 0, `node ${r.next} became leader at tick ${r.elected}`);
  t.ok(r.leaseEnd >= 0 && r.leaseEnd < r.elected, `after the old lease ended (tick ${r.leaseEnd})`);
});

t.test('thesis §6.4.1 lease: a follower that restarts right after acking the leader does not vote while the lease runs', async (t) => {
  const r = campaignAgainstLease(true);
  t.ok(r.leaseAtCut > 0, `the leader held a lease (${r.leaseAtCut} ticks) when the campaigner asked`);
  t.ok(r.elected > 0, `node ${r.next} became leader at tick ${r.elected}`);
  t.ok(r.leaseEnd >= 0 && r.leaseEnd < r.elected, `after the old lease ended (tick ${r.leaseEnd})`);
});
