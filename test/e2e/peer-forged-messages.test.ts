/**
 * Forged Raft messages on the peer port of a cluster without security (anyone who reaches the
 * port can say hello as a member): the two attacks that used to corrupt or crash a node. The core
 * now refuses what no correct member could send, before it changes any state, and logs it naming
 * the sender; the cluster keeps committing and nothing diverges.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { jsonRequest, readValue, startCluster, waitFor } from './harness.js';

/** Hello as `from`, then `lines`; resolves once they are written and a moment passed for the node to read them. */
function forge(port: number, from: number, to: number, lines: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.write(`${JSON.stringify({ hello: { from, to } })}\n`);
      socket.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(''), () => resolve());
    });
    socket.on('error', reject);
  });
}

t.test('an acknowledgement of index 1e9 sent to the leader is refused; the leader lives on', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const port = c.node(leader).port;
  t.equal((await jsonRequest(port, { op: 'set', key: 'k', value: 'before' })).ok, true);
  const follower = c.nodes.find((n) => n.id !== leader)!.id;
  const { term } = await c.status(leader);
  await forge(c.node(leader).peerPort, follower, leader, [
    { type: 'appendResp', from: follower, to: leader, term, success: true, index: 1_000_000_000, hintIndex: 0, hintTerm: 0 },
  ]);
  const log = () => readFileSync(join(c.dir, 'logs', `node-${leader}.log`), 'utf8');
  await waitFor('the refusal in the leader log', () => log().includes(`refused a appendResp from node ${follower}: acknowledges index 1000000000`));
  for (let i = 0; i < 5; i++) t.equal((await jsonRequest(port, { op: 'set', key: 'k', value: `after-${i}` })).ok, true, `write ${i} after the forged message`);
  t.equal(c.procs.get(leader)!.exitCode, null, 'the leader process is alive');
  for (const n of c.nodes) {
    await waitFor(`node ${n.id} to agree`, async () => (await jsonRequest(n.port, { op: 'get', key: 'k', consistency: 'stale' })).value === 'after-4');
  }
});

t.test('a second leader in the current term and entries that contradict committed ones are refused', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const port = c.node(leader).port;
  t.equal((await jsonRequest(port, { op: 'set', key: 'secret', value: 'original' })).ok, true);
  const [a, b] = c.nodes.filter((n) => n.id !== leader).map((n) => n.id) as [number, number];
  const st = await c.status(a);
  await waitFor('the follower to have the write', async () => (await jsonRequest(c.node(a).port, { op: 'get', key: 'secret', consistency: 'stale' })).value === 'original');
  // Node b "leads" the current term at the leader: a second leader in one term.
  await forge(c.node(leader).peerPort, b, leader, [{ type: 'heartbeat', from: b, to: leader, term: st.term, commit: 0 }]);
  // The leader "rewrites" the follower's last committed entry with another command: same index,
  // a term the follower has not seen there, following an entry it does hold.
  const tail = (await readValue(c.node(a).port, { op: 'entries', limit: 2 })) as Array<{ index: number; term: number }>;
  const [prev, last] = tail as [{ index: number; term: number }, { index: number; term: number }];
  t.ok((await c.status(a)).commitIndex >= last.index, 'the entry to rewrite is committed on the follower');
  await forge(c.node(a).peerPort, leader, a, [
    {
      type: 'append', from: leader, to: a, term: st.term, prevLogIndex: prev.index, prevLogTerm: prev.term,
      entries: [{ term: st.term + 1, index: last.index, kind: 'cmd', data: { op: 'set', key: 'secret', value: 'PWNED' } }], commit: last.index,
    },
  ]);
  const followerLog = () => readFileSync(join(c.dir, 'logs', `node-${a}.log`), 'utf8');
  await waitFor('the follower to refuse the rewrite', () => followerLog().includes(`refused a append from node ${leader}: `));
  const leaderLog = () => readFileSync(join(c.dir, 'logs', `node-${leader}.log`), 'utf8');
  await waitFor('the leader to refuse the second leader', () => leaderLog().includes(`refused a heartbeat from node ${b}: claims to lead term`));
  t.equal((await jsonRequest(port, { op: 'set', key: 'after', value: '1' })).ok, true, 'the cluster commits on');
  for (const n of c.nodes) {
    await waitFor(`node ${n.id} to have the later write`, async () => (await jsonRequest(n.port, { op: 'get', key: 'after', consistency: 'stale' })).value === '1');
    t.equal((await jsonRequest(n.port, { op: 'get', key: 'secret', consistency: 'stale' })).value, 'original', `node ${n.id} still says original`);
  }
});
