/**
 * Membership requests that must be refused, on real processes: unknown ids, duplicate ids and
 * addresses, promoting a voter, transferring to a non-voter, a change while another is in flight,
 * removing the last voter, and garbage in the new ops (JSON and Redis). Each gets a clear error and
 * the membership stays as it was. Then a wiped node comes back with `raftkv node --join` under a
 * new id on its old ports.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { jsonRequest, rawExchange, startCluster, waitFor } from './harness.js';
import { memberRequest, roles, startJoiner, waitForVoters } from './membership-harness.js';

t.test('bad membership requests get clear errors and change nothing; a wiped node rejoins under a new id', async (t) => {
  // Small snapshots, so that the rejoining node catches up by InstallSnapshot and restarts from a
  // snapshot of its own (whose header must carry the membership).
  const c = await startCluster(t, { nodes: 3, extra: { snapshotEvery: 20, snapshotTrailing: 5 } });
  const leader = await c.waitForLeader();
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  const n1 = c.node(1);
  const before = await roles(c, follower);
  t.same(before, { voters: [1, 2, 3], learners: [] });

  const refused: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown id', { op: 'removeMember', id: 9 }, 'BAD_REQUEST', /node 9 is not a member/],
    ['a duplicate id', { op: 'addMember', id: 2, host: '127.0.0.1', port: 1, peerPort: 2, learner: true }, 'BAD_REQUEST', /node 2 is already a member/],
    ['a duplicate address', { op: 'addMember', id: 9, host: n1.host, port: n1.port, peerPort: 1, learner: true }, 'BAD_REQUEST', /clashes with node 1/],
    ['promoting a voter', { op: 'promoteMember', id: 2 }, 'BAD_REQUEST', /already a voter/],
    ['a transfer to a non-member', { op: 'transferLeader', id: 9 }, 'BAD_REQUEST', /not a voter/],
    ['no member id', { op: 'removeMember', nodeId: null }, 'BAD_REQUEST', /'nodeId' \(or 'id'\) is required/],
    ['an id of the wrong type', { op: 'promoteMember', nodeId: 'two' }, 'BAD_REQUEST', /must be a node id/],
    ['a negative id', { op: 'removeMember', nodeId: -1 }, 'BAD_REQUEST', /must be a node id/],
    ['a host with a space', { op: 'addMember', id: 9, host: 'a b', port: 1, peerPort: 2 }, 'BAD_REQUEST', /host/],
    ['a port out of range', { op: 'addMember', id: 9, host: 'h', port: 70000, peerPort: 2 }, 'BAD_REQUEST', /port/],
    ['learner not a boolean', { op: 'addMember', id: 9, host: 'h', port: 1, peerPort: 2, learner: 'yes' }, 'BAD_REQUEST', /'learner' must be a boolean/],
    ['forwarded not a boolean', { op: 'members', forwarded: 1 }, 'BAD_REQUEST', /'forwarded' must be a boolean/],
  ];
  for (const [what, req, code, message] of refused) {
    const r = await memberRequest(c, follower, req);
    t.equal(r.ok, false, `${what}: refused`);
    t.equal(r.error?.code, code, `${what}: ${code}`);
    t.match(r.error?.message, message, `${what}: ${r.error?.message}`);
  }

  const redis: Array<[string, RegExp]> = [
    ['RAFT.NODE ADD 9 nonsense\r\n', /^-ERR invalid address 'nonsense': expected host:port:peerPort\r\n$/],
    ['RAFT.NODE ADD 0 127.0.0.1:1:2\r\n', /^-ERR invalid node id '0'\r\n$/],
    ['RAFT.NODE ADD 9 127.0.0.1:1:99999\r\n', /^-ERR invalid address .*65535\r\n$/],
    ['RAFT.NODE REMOVE 99\r\n', /^-ERR node 99 is not a member\r\n$/],
    ['RAFT.NODE\r\n', /^-ERR wrong number of arguments for 'raft\.node' command\r\n$/],
    ['RAFT.NODE FROB 1\r\n', /^-ERR unknown subcommand 'FROB'\. Try RAFT\.NODE HELP\.\r\n$/],
    ['RAFT.TRANSFER_LEADER x\r\n', /^-ERR invalid node id 'x'\r\n$/],
    [`RAFT.NODE ADD 2 127.0.0.1:1:2\r\n`, /^-ERR node 2 is already a member\r\n$/],
    ['RAFT.NODE ADD 9 "127.0.0.1:1:2\r\n', /^-ERR Protocol error: unbalanced quotes in request\r\n$/],
    ['RAFT.NODE ADD 9 \xff\xfe:1:2\r\n', /^-ERR invalid address .*host name or IP address\r\n$/],
  ];
  for (const [line, want] of redis) {
    const { data } = await rawExchange(c.node(follower).port, line, /\r\n$/);
    t.match(data, want, `${JSON.stringify(line)} -> ${JSON.stringify(data)}`);
  }

  // One change in flight: two additions in one write to the leader; the second finds the first
  // appended but not yet committed.
  const two =
    JSON.stringify({ id: 1, op: 'addMember', nodeId: 8, host: '127.0.0.1', port: 1, peerPort: 2, learner: true }) + '\n' +
    JSON.stringify({ id: 2, op: 'addMember', nodeId: 9, host: '127.0.0.1', port: 3, peerPort: 4, learner: true }) + '\n';
  const { data } = await rawExchange(c.node(leader).port, two, /"id":1[^\n]*\n[^\n]*"id":2[^\n]*\n|"id":2[^\n]*\n[^\n]*"id":1[^\n]*\n/);
  const replies = data.trim().split('\n').map((l) => JSON.parse(l)).sort((a, b) => a.id - b.id);
  t.same(replies[0], { id: 1, ok: true, value: 'OK' }, 'the first change commits');
  t.equal(replies[1].error?.code, 'IN_PROGRESS', `the second, sent while the first was in flight: ${replies[1].error?.message}`);
  t.same(await roles(c, follower), { voters: [1, 2, 3], learners: [8] }, 'only the first took effect');
  t.same(await memberRequest(c, follower, { op: 'removeMember', id: 8 }), { id: 8, ok: true, value: 'OK' }, 'learner 8 removed again');
  t.same(await roles(c, follower), before, 'the membership is as it was before the bad requests');

  // A wiped node: removed, its data directory deleted, back under a new id on the same ports.
  // Ten at a time (each write is still its own log entry, which the snapshot thresholds count).
  const write = async (prefix: string, n: number) => {
    let ok = 0;
    for (let i = 0; i < n; i += 10) {
      const replies = await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => jsonRequest(c.node(1).port, { op: 'set', key: `${prefix}${i + j}`, value: String(i + j) }, 8000)));
      ok += replies.filter((r) => r.ok).length;
    }
    t.equal(ok, n, `${n} writes ${prefix}0..${prefix}${n - 1} acknowledged`);
  };
  await write('a', 50); // two snapshots on the leader: the log before the older is gone
  await c.kill(3, 'SIGTERM');
  // Node 3 may have been the leader (an election under load): until the others elect another,
  // the request is refused with a retryable error that says nothing was done (UNAVAILABLE
  // relaying to the dead leader, NO_LEADER), so it is asked again.
  const via = follower === 3 ? 1 : follower;
  const removed = await waitFor('node 3 to be removed', async () => {
    const r = await memberRequest(c, via, { op: 'removeMember', id: 3 });
    return r.ok || !['UNAVAILABLE', 'NO_LEADER', 'NOT_LEADER'].includes(r.error?.code) ? r : null;
  });
  t.same(removed, { id: 3, ok: true, value: 'OK' }, 'node 3 removed');
  rmSync(join(c.dir, 'data', 'node-3'), { recursive: true, force: true });
  const six = { ...c.node(3), id: 6 };
  startJoiner(c, six, 1);
  await waitForVoters(c, [1, 2, 6], [1, 2, 6]);
  t.match(readFileSync(join(c.dir, 'logs', 'node-6.log'), 'utf8'), /installed snapshot \d+/, 'node 6 caught up by InstallSnapshot');
  await write('b', 50); // node 6 takes snapshots of its own, past its own addition
  await waitFor('node 6 to have applied every write', async () => (await jsonRequest(six.port, { op: 'get', key: 'b49', consistency: 'stale' })).value === '49');
  t.equal((await jsonRequest(six.port, { op: 'get', key: 'a7', consistency: 'stale' })).value, '7', 'node 6 has the data from before it joined');
  const snaps = readdirSync(join(c.dir, 'data', 'node-6')).filter((f) => f.endsWith('.snap')).sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1]));
  const header = JSON.parse(readFileSync(join(c.dir, 'data', 'node-6', snaps[0]!), 'utf8').split('\n')[0]!);
  t.same(header.config, { voters: [1, 2, 6], learners: [], addresses: Object.fromEntries([1, 2, 6].map((id) => [String(id), { host: '127.0.0.1', port: c.node(id).port, peerPort: c.node(id).peerPort }])) }, `node 6's snapshot ${snaps[0]} carries the membership with addresses`);
  // Restarted from that snapshot (its --join command again), node 6 is still a voter of [1, 2, 6].
  await c.kill(6, 'SIGTERM');
  startJoiner(c, six, 1);
  await waitForVoters(c, [1, 2, 6], [1, 2, 6]);
  await write('c', 3);
  await waitFor('node 6 to apply writes after its restart', async () => (await jsonRequest(six.port, { op: 'get', key: 'c2', consistency: 'stale' })).value === '2');
  t.match(readFileSync(join(c.dir, 'logs', 'node-6.log'), 'utf8'), /recovered snapshot \d+/, 'node 6 restarted from its snapshot');
});

t.test('the last voter cannot be removed', async (t) => {
  const c = await startCluster(t, { nodes: 1 });
  await c.waitForLeader([1]);
  const r = await memberRequest(c, 1, { op: 'removeMember', id: 1 });
  t.equal(r.error?.code, 'BAD_REQUEST');
  t.match(r.error?.message, /last voter/);
  t.same(await roles(c, 1), { voters: [1], learners: [] }, 'still a member');
});
