/**
 * Membership changes on real processes (issue 10): a 3-node cluster grows to 5 voters with nodes
 * started by `raftkv node --join`, survives kill -9 of any two, shrinks back to 3 by removing two
 * (the leader one of them), hands leadership over with transferLeader, and keeps its membership
 * across a full restart (cluster.json still lists the bootstrap nodes: it is not consulted again).
 */
import t from 'tap';
import { RaftKvClient } from '../../src/client/raftkv-client.js';
import { startCluster, waitFor, type TestCluster } from './harness.js';
import { memberRequest, newNodes, roles, startJoiner, waitForVoters } from './membership-harness.js';

function clientOf(c: TestCluster, ids: number[]): RaftKvClient {
  return new RaftKvClient({ nodes: ids.map((id) => c.node(id)), timeoutMs: 15_000 });
}

t.test('3 -> 5 voters by --join, kill -9 two, back to 3 removing the leader, a transfer, a full restart', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  await c.waitForLeader([1, 2, 3]);
  const client = clientOf(c, [1, 2, 3]);
  t.teardown(() => client.close());
  await client.set('before', 'grow');

  // Two nodes join at once through different members: one of them waits out the other's change
  // (IN_PROGRESS, retried by the joiner) and both end up voters.
  const joiners = await newNodes([4, 5]);
  startJoiner(c, joiners[0]!, 2);
  startJoiner(c, joiners[1]!, 3);
  await waitForVoters(c, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
  t.same(await roles(c, 1), { voters: [1, 2, 3, 4, 5], learners: [] }, 'members through node 1: five voters');
  const members = (await memberRequest(c, 4, { op: 'members' })).value;
  t.same(members.find((m: any) => m.id === 5), { id: 5, host: '127.0.0.1', port: joiners[1]!.port, peerPort: joiners[1]!.peerPort, role: 'voter' }, 'a joined member with its address');
  const five = clientOf(c, [1, 2, 3, 4, 5]);
  t.teardown(() => five.close());
  t.equal(await five.get('before'), 'grow', 'the joined nodes serve the data written before they joined');

  // Kill -9 any two (the leader and a joined node): three of five still make a majority.
  const leader = await c.waitForLeader([1, 2, 3, 4, 5]);
  const victims = [leader, leader === 4 ? 5 : 4];
  for (const id of victims) await c.kill(id);
  const alive = [1, 2, 3, 4, 5].filter((id) => !victims.includes(id));
  const survivors = clientOf(c, alive);
  t.teardown(() => survivors.close());
  await survivors.set('after-kill', 'yes');
  t.equal(await survivors.get('after-kill'), 'yes', `writes succeed with nodes ${victims.join(' and ')} killed`);
  for (const id of victims) {
    if (id <= 3) c.start(id);
    else startJoiner(c, c.node(id), alive[0]!);
  }
  await c.waitForLeader([1, 2, 3, 4, 5]);

  // Back to three: remove the leader and one follower, one change at a time.
  const leader2 = await c.waitForLeader([1, 2, 3, 4, 5]);
  const follower = [1, 2, 3, 4, 5].find((id) => id !== leader2)!;
  const via = [1, 2, 3, 4, 5].find((id) => id !== leader2 && id !== follower)!;
  t.same(await memberRequest(c, via, { op: 'removeMember', id: follower }), { id: follower, ok: true, value: 'OK' }, `removing follower ${follower} through node ${via}`);
  t.same(await memberRequest(c, via, { op: 'removeMember', id: leader2 }), { id: leader2, ok: true, value: 'OK' }, `removing the leader, node ${leader2}`);
  const rest = [1, 2, 3, 4, 5].filter((id) => id !== follower && id !== leader2);
  await waitForVoters(c, rest, rest);
  const newLeader = await c.waitForLeader(rest);
  t.ok(rest.includes(newLeader), `a remaining node leads (node ${newLeader})`);
  const three = clientOf(c, rest);
  t.teardown(() => three.close());
  await three.set('after-shrink', 'yes');
  // The removed nodes still run; they must not disrupt the three (no campaigns, no new terms).
  const term = (await c.status(newLeader)).term;
  for (let i = 0; i < 5; i++) await three.set(`k${i}`, String(i));
  const removed = await Promise.all([follower, leader2].map((id) => c.status(id)));
  t.ok(removed.every((s) => s && s.role !== 'leader'), 'no removed node leads');
  t.equal((await c.status(newLeader)).term, term, 'the removed nodes did not bump the term');

  // Transfer leadership to a named follower; time from the command to the new leader's first write.
  // Writers keep going meanwhile: writes refused during the transfer (PROPOSAL_DROPPED) are retried
  // by the client library, so every one of them succeeds.
  const target = rest.find((id) => id !== newLeader)!;
  let writing = true;
  const writers = Array.from({ length: 4 }, async (_, w) => {
    let n = 0;
    while (writing) await three.set(`during-transfer-${w}`, String(++n));
    return n;
  });
  const started = performance.now();
  t.same(await memberRequest(c, rest.find((id) => id !== target)!, { op: 'transferLeader', id: target }), { id: target, ok: true, value: 'OK' }, `transferLeader to node ${target}`);
  writing = false;
  const written = await Promise.all(writers);
  t.ok(written.every((n) => n > 0), `writes during the transfer all succeeded (${written.join(', ')} per writer)`);
  await clientOf(c, [target]).set('after-transfer', 'yes');
  t.comment(`transfer to node ${target}: ${(performance.now() - started).toFixed(0)} ms from the command to its first write`);
  t.equal((await c.status(target)).role, 'leader', `node ${target} leads`);

  // Full restart: every process stopped, the three members started again (joined ones with their
  // --join command, which asks nothing of a node already a voter): same membership, same data.
  for (const id of [1, 2, 3, 4, 5]) await c.kill(id, 'SIGTERM');
  for (const id of rest) {
    if (id <= 3) c.start(id);
    else startJoiner(c, c.node(id), rest.find((x) => x <= 3) ?? rest[0]!);
  }
  await c.waitForLeader(rest);
  await waitForVoters(c, rest, rest);
  t.same(await roles(c, rest[0]!), { voters: rest, learners: [] }, 'the membership survives a full restart (cluster.json is bootstrap only)');
  const again = clientOf(c, rest);
  t.teardown(() => again.close());
  t.same([await again.get('before'), await again.get('after-kill'), await again.get('after-transfer')], ['grow', 'yes', 'yes'], 'every acknowledged write is there');
});
