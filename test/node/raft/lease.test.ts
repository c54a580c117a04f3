/**
 * Leader leases (Raft thesis §6.4.1) on the synchronous test network: when a lease read is served
 * at once, when it falls back to ReadIndex (§6.4), and the vote rejection that makes it safe.
 * Election timeout 10..20 ticks, heartbeat every tick, maxClockDrift 0.1: the lease is
 * floor(9 * 0.9 / 1.1) = 7 ticks.
 */
import t from 'tap';
import type { Message, NodeId } from '../../../src/protocol/raft-messages.js';
import { leaseTicksFor } from '../../../src/node/raft/lease.js';
import { RawNode } from '../../../src/node/raft/raw-node.js';
import type { RaftConfig } from '../../../src/node/raft/types.js';
import { Prng } from '../../lib/prng.js';
import { TestNet } from './net.js';

const LEASE = { readMode: 'lease' } as const;
const LEASE_TICKS = 7;

function leaseLeft(net: TestNet, id: NodeId): number | undefined {
  return net.node(id).status().leaseTicksLeft;
}

/** A leader elected, its no-op committed, a heartbeat round acknowledged. */
function leaseCluster(n: number, opts: Partial<RaftConfig> = {}): TestNet {
  const net = new TestNet(n, { ...LEASE, ...opts });
  net.elect(1);
  net.tickAll(2);
  return net;
}

t.test('§6.4.1 the lease length keeps a margin below the election timeout for clock drift', async (t) => {
  t.equal(leaseTicksFor(10, 0.1), LEASE_TICKS);
  t.equal(leaseTicksFor(15, 0.1), 11, 'cluster.json defaults: 150 ms / 10 ms ticks -> a 110 ms lease');
  t.equal(leaseTicksFor(10, 0), 9, 'no drift: one tick short of the election timeout (a tick may come right after an ack)');
  for (const min of [2, 3, 5, 8, 10, 15, 30, 150]) {
    for (const d of [0, 0.01, 0.1, 0.2, 0.45]) {
      const lease = leaseTicksFor(min, d);
      // The safety condition of lease.ts: a lease of L leader ticks ends before a follower whose
      // clock runs (1+d)/(1-d) times as fast counts min - 1 ticks.
      t.ok(lease * ((1 + d) / (1 - d)) <= min - 1 + 1e-9, `min ${min}, drift ${d}: lease ${lease}`);
    }
  }
});

t.test('§6.4.1 a leader with a valid lease answers a read in the next Ready, with no messages', async (t) => {
  const net = leaseCluster(3);
  t.equal(net.node(1).status().role, 'leader');
  t.ok(leaseLeft(net, 1)! > 0, `lease valid (${leaseLeft(net, 1)} ticks left)`);
  net.node(1).propose(['w']);
  net.deliver();
  const commit = net.node(1).status().commitIndex;
  t.equal(commit, 2, 'the write is committed');

  net.node(1).readIndex('r1');
  const rd = net.runReady(1);
  t.ok(rd, 'a Ready at once');
  t.same(rd!.readStates, [{ ctx: 'r1', index: commit }], 'the read state, at the commit index');
  t.same(rd!.messages, [], 'no heartbeat round');

  // A follower's read is forwarded and answered from the leader's lease: still no heartbeat round.
  const before = net.delivered.length;
  net.node(3).readIndex('r2');
  net.deliver();
  t.same(net.reads.get(3), [{ ctx: 'r2', index: commit }]);
  t.same(net.delivered.slice(before).map((m) => m.type), ['readIndex', 'readIndexResp'], 'one request, one answer');
});

t.test('§6.4.1 appends and heartbeats carry the send tick and followers echo it', async (t) => {
  const net = leaseCluster(3);
  const start = net.delivered.length;
  net.node(1).propose(['x']);
  net.tickAll(1);
  const sent = net.delivered.slice(start);
  for (const type of ['append', 'appendResp', 'heartbeat', 'heartbeatResp'] as const) {
    const ms = sent.filter((m) => m.type === type);
    t.ok(ms.length > 0 && ms.every((m) => Number.isInteger((m as Message & { sentTick?: number }).sentTick)), `${type} carries sentTick`);
  }
  const plain = new TestNet(3);
  plain.elect(1);
  plain.tickAll(2);
  t.notOk(plain.delivered.some((m) => 'sentTick' in m), 'readindex mode sends no sentTick');
});

t.test('§6.4.1 an expired lease falls back to a ReadIndex round (§6.4)', async (t) => {
  const net = leaseCluster(3);
  // Followers still hear the leader (so nobody campaigns) but their acknowledgements are lost.
  net.drop = (m) => m.type === 'heartbeatResp' || m.type === 'appendResp';
  let ticks = 0;
  while (leaseLeft(net, 1)! > 0 && ticks < 50) {
    net.tickAll();
    ticks++;
  }
  t.ok(ticks <= LEASE_TICKS, `the lease ran out ${ticks} ticks after the last acknowledgement`);
  t.equal(net.node(1).status().role, 'leader', 'still leader: only the lease is gone');

  net.node(1).readIndex('r');
  const rd = net.runReady(1)!;
  t.same(rd.readStates, [], 'not answered from the lease');
  t.same(
    rd.messages.map((m) => [m.type, (m as { ctx?: string }).ctx]),
    [
      ['heartbeat', '1:r'],
      ['heartbeat', '1:r'],
    ],
    'a heartbeat round for the read instead',
  );
  net.deliver();
  t.same(net.reads.get(1), [], 'no quorum of acks, no answer');
  net.drop = () => false;
  net.tickAll();
  t.same(net.reads.get(1), [{ ctx: 'r', index: net.node(1).status().commitIndex }], 'answered once a majority acked');
  t.ok(leaseLeft(net, 1)! > 0, 'and the acks renewed the lease');
});

t.test('§6.4.1 a new leader serves no lease read before its no-op of its term is committed', async (t) => {
  const net = new TestNet(3, LEASE);
  // Heartbeats are acknowledged (so acks exist) but no append is: the no-op cannot commit.
  net.drop = (m) => m.type === 'appendResp';
  net.elect(1);
  net.tickAll(2);
  const s = net.node(1).status();
  t.equal(s.role, 'leader');
  t.equal(s.commitIndex, 0, 'no-op not committed');
  t.equal(s.leaseTicksLeft, 0, 'no lease without a committed no-op');
  net.node(1).readIndex('early');
  net.deliver();
  t.same(net.reads.get(1), [], 'the read waits');
  net.drop = () => false;
  net.tickAll();
  t.equal(net.node(1).status().commitIndex, 1, 'the no-op commits');
  t.same(net.reads.get(1), [{ ctx: 'early', index: 1 }], 'then the read is answered at its index');
  t.ok(leaseLeft(net, 1)! > 0, 'and the lease is valid');
});

t.test('§6.4.1 the lease is lost on step-down and not inherited by a later term', async (t) => {
  const net = leaseCluster(3);
  t.ok(leaseLeft(net, 1)! > 0);
  const term = net.node(1).status().term;
  // Any message of a later term deposes the leader.
  net.node(1).step({ type: 'appendResp', from: 2, to: 1, term: term + 5, success: false, index: 0, hintIndex: 0, hintTerm: 0 });
  t.equal(net.node(1).status().role, 'follower');
  t.equal(leaseLeft(net, 1), undefined, 'no lease on a follower');
  net.node(1).readIndex('after');
  net.runReady(1);
  t.same(net.reads.get(1), [{ ctx: 'after', index: -1 }], 'the read is refused, not served from the old lease');

  // Re-elected in a later term, with every acknowledgement to it lost: the acks of its old term
  // do not count, and it has no lease of its own yet.
  net.drop = (m) => m.to === 1 && (m.type === 'appendResp' || m.type === 'heartbeatResp');
  net.elect(1);
  const s = net.node(1).status();
  t.equal(s.role, 'leader');
  t.ok(s.term > term + 5);
  t.equal(s.leaseTicksLeft, 0, 'no lease in the new term without new acks');
});

t.test('thesis §4.2.3 / §6.4.1 (pre-)votes are rejected while a leader was heard within the minimum election timeout', async (t) => {
  const net = leaseCluster(3);
  const term = net.node(2).status().term;
  const voteFrom3 = (pre: boolean): Message => ({ type: 'vote', from: 3, to: 2, term: term + 1, pre, lastLogIndex: 100, lastLogTerm: term });
  const answers = (): Message[] => net.delivered.filter((m) => m.type === 'voteResp' && m.from === 2 && m.to === 3);

  for (const pre of [true, false]) net.node(2).step(voteFrom3(pre));
  net.deliver();
  t.same(answers(), [], 'a node that just heard from the leader does not even answer');
  t.equal(net.node(2).status().term, term, 'nor move to the later term');

  // The leader goes quiet for node 2; its own election timer is 20 ticks (drawn long by elect()).
  net.cut.add('1->2');
  for (let i = 1; i < 10; i++) {
    net.tick(2);
    net.node(2).step(voteFrom3(true));
    net.deliver();
  }
  t.same(answers(), [], 'still no vote 9 ticks after the leader was last heard');
  net.tick(2);
  net.node(2).step(voteFrom3(true));
  net.deliver();
  t.match(answers(), [{ pre: true, granted: true }], 'after 10 ticks (electionTicksMin) it grants the pre-vote');
});

t.test('§6.4.1 a restarted node does not vote for electionTicksMin ticks (it may have acked just before the crash)', async (t) => {
  for (const readMode of ['lease', 'readindex'] as const) {
    const net = new TestNet(3, { readMode });
    net.elect(1);
    net.tickAll(2);
    const term = net.node(3).status().term;
    net.cut.add('1->3');
    net.bias.set(3, 0.999); // its own timer: 20 ticks
    net.start(3);
    const mark = net.delivered.length;
    let granted = -1;
    for (let i = 0; i <= 12 && granted < 0; i++) {
      net.node(3).step({ type: 'vote', from: 2, to: 3, term: term + 1, pre: true, lastLogIndex: 100, lastLogTerm: term });
      net.deliver();
      if (net.delivered.slice(mark).some((m) => m.type === 'voteResp' && m.from === 3 && m.granted)) granted = i;
      else net.tick(3);
    }
    if (readMode === 'lease') t.equal(granted, 10, 'lease mode: the first vote is granted once it counted 10 ticks');
    else t.equal(granted, 0, 'control: in readindex mode a restarted node votes at once');
  }
});

t.test('§6.4.1 a leadership transfer gives up the lease before the transferee may campaign', async (t) => {
  const net = leaseCluster(3);
  const term = net.node(1).status().term;
  t.ok(leaseLeft(net, 1)! > 0, 'lease valid before the transfer');
  t.same(net.node(1).transferLeader(2), { ok: true });
  t.equal(leaseLeft(net, 1), 0, 'no lease once the transfer started (voters will ignore their leader lease)');
  net.node(1).readIndex('during');
  const rd = net.runReady(1);
  t.ok(rd!.messages.some((m) => m.type === 'timeoutNow' && m.to === 2), 'timeoutNow sent to the caught-up transferee');
  t.same(rd!.readStates, [], 'a read needs a heartbeat round now, not the lease');
  net.deliver();
  t.equal(net.node(2).status().role, 'leader', 'the transferee won at once, with votes of nodes that had just heard from the leader');
  t.equal(net.node(2).status().term, term + 1);
});

t.test('§6.4.1 timeoutNow from anyone but the current leader is ignored', async (t) => {
  const net = leaseCluster(3);
  const term = net.node(2).status().term;
  net.send({ type: 'timeoutNow', from: 3, to: 2, term });
  net.deliver();
  t.equal(net.node(2).status().role, 'follower');
  t.equal(net.node(2).status().term, term);
  t.ok(leaseLeft(net, 1)! > 0, "the leader's lease is intact");
});

/**
 * Isolate leader 1 of a 5-node lease cluster and let real time pass with the worst drift the
 * config allows: the leader's clock 10% slow, the followers' up to 10% fast (each step of real
 * time, node i ticks floor(rate * (k + 1)) - floor(rate * k) times). A read is issued at node 1
 * every step while it believes it leads. Returns the step its lease ended (or it stepped down),
 * the step another node became leader, and the steps of the reads node 1 served.
 */
function partitionedLeader(opts: Partial<RaftConfig>): { leaseEnd: number; newLeader: number; servedSteps: number[] } {
  const rates = new Map<NodeId, number>([
    [1, 0.9],
    [2, 1.1],
    [3, 1.1],
    [4, 1.09],
    [5, 1.08],
  ]);
  const net = leaseCluster(5, { electionTicksMax: 12, ...opts });
  if (!(leaseLeft(net, 1)! > 0)) throw new Error('no lease to start with');
  net.isolate(1);
  const reads = new Map<string, number>();
  let leaseEnd = -1;
  let newLeader = -1;
  for (let k = 0; k < 200 && newLeader < 0; k++) {
    for (const id of net.ids) {
      const rate = rates.get(id)!;
      const n = Math.floor(rate * (k + 1)) - Math.floor(rate * k);
      for (let i = 0; i < n; i++) net.node(id).tick();
    }
    net.deliver();
    if (net.node(1).status().role === 'leader') {
      reads.set(`r${k}`, k);
      net.node(1).readIndex(`r${k}`);
      net.deliver();
    }
    if (leaseEnd < 0 && !(leaseLeft(net, 1)! > 0)) leaseEnd = k;
    if (net.leaderIds().some((id) => id !== 1)) newLeader = k;
  }
  const servedSteps = net.reads.get(1)!.filter((r) => r.index >= 0).map((r) => reads.get(r.ctx)!);
  return { leaseEnd, newLeader, servedSteps };
}

t.test('§6.4.1 a partitioned leader loses its lease before any new leader can be elected, with drifting clocks', async (t) => {
  const { leaseEnd, newLeader, servedSteps } = partitionedLeader({});
  t.ok(leaseEnd >= 0 && newLeader >= 0, `lease ended at step ${leaseEnd}, a new leader at step ${newLeader}`);
  t.ok(leaseEnd < newLeader, 'the old lease ended first');
  t.ok(servedSteps.length > 0, `the isolated leader served reads from its lease at steps ${servedSteps.join(',')}`);
  t.ok(servedSteps.every((s) => s < leaseEnd), 'only while the lease lasted');

  // Control: with a lease longer than the election timeout the same run goes wrong.
  const bad = partitionedLeader({ unsafeLeaseTicks: 24 });
  t.ok(bad.servedSteps.some((s) => s >= bad.newLeader), `control: a 24-tick lease serves reads at steps ${bad.servedSteps.join(',')}, after the new leader came at step ${bad.newLeader}`);
});

t.test('lease config errors are refused loudly', async (t) => {
  const base = { id: 1, peers: [1, 2, 3], electionTicksMin: 10, electionTicksMax: 20, heartbeatTicks: 1, random: new Prng(1).asFunction() };
  t.throws(() => new RawNode({ ...base, readMode: 'lease', checkQuorum: false }), /readMode 'lease' needs checkQuorum/);
  t.throws(() => new RawNode({ ...base, readMode: 'stale' as 'lease' }), /readMode must be 'readindex' or 'lease'/);
  t.throws(() => new RawNode({ ...base, readMode: 'lease', maxClockDrift: 0.5 }), /maxClockDrift must be in \[0, 0\.5\)/);
  t.throws(() => new RawNode({ ...base, readMode: 'lease', maxClockDrift: -0.1 }), /maxClockDrift/);
  t.throws(() => new RawNode({ ...base, readMode: 'lease', electionTicksMin: 2, heartbeatTicks: 1 }), /leaves no room for a lease/);
  t.throws(() => new RawNode({ ...base, unsafeLeaseTicks: 1.5 }), /unsafeLeaseTicks must be an integer/);
  t.doesNotThrow(() => new RawNode({ ...base, readMode: 'lease' }));
  t.doesNotThrow(() => new RawNode({ ...base, electionTicksMin: 2, heartbeatTicks: 1 }), 'readindex mode needs no room for a lease');
});
