/**
 * A real 3-node cluster: leader election, writes through every node in every dialect read back
 * from every node, a killed leader replaced, a killed follower catching up, and the whole cluster
 * restarted with its data. Real processes, sockets and files.
 */
import t from 'tap';
import { jsonRequest, rawExchange, startCluster, waitFor } from './harness.js';

t.test('3 nodes: election, every dialect through every node, kill -9, restart', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const started = Date.now();
  const leader = await c.waitForLeader();
  t.comment(`first leader: node ${leader} after ${Date.now() - started} ms`);

  // JSON, inline and RESP writes through every node; read back through every node.
  for (const n of c.nodes) {
    const set = await jsonRequest(n.port, { op: 'set', key: `json-${n.id}`, value: `v${n.id}` });
    t.same(set, { id: 1, ok: true, value: 'OK' }, `JSON set through node ${n.id}`);
    const inline = await rawExchange(n.port, `SET inline-${n.id} "hello world"\r\n`);
    t.equal(inline.data, '+OK\r\n', `inline SET through node ${n.id}`);
    const key = `resp-${n.id}`;
    const resp = await rawExchange(n.port, `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$2\r\nok\r\n`);
    t.equal(resp.data, '+OK\r\n', `RESP SET through node ${n.id}`);
  }
  for (const n of c.nodes) {
    for (const m of c.nodes) {
      const r = await jsonRequest(n.port, { op: 'get', key: `json-${m.id}` });
      t.equal(r.value, `v${m.id}`, `node ${n.id} reads json-${m.id}`);
    }
    const got = await rawExchange(n.port, `GET inline-${(n.id % 3) + 1}\r\n`);
    t.equal(got.data, '$11\r\nhello world\r\n');
  }

  // kill -9 the leader: a new one is elected and writes continue; nothing acknowledged is lost.
  const killedAt = Date.now();
  await c.kill(leader, 'SIGKILL');
  const others = c.nodes.map((n) => n.id).filter((id) => id !== leader);
  const port = c.node(others[0]!).port;
  await waitFor('a write after the leader died', async () => (await jsonRequest(port, { op: 'set', key: 'after-kill', value: '1' }, 2000)).ok);
  t.comment(`kill -9 of the leader to first successful write: ${Date.now() - killedAt} ms`);
  const newLeader = await c.waitForLeader(others);
  t.not(newLeader, leader);
  for (const n of c.nodes) {
    if (n.id === leader) continue;
    t.equal((await jsonRequest(n.port, { op: 'get', key: `json-${n.id}` }, 10_000)).value, `v${n.id}`, 'acknowledged write survives');
  }

  // The killed node restarts and catches up (including what was written while it was down).
  c.start(leader);
  await waitFor('the restarted node to catch up', async () => {
    const r = await jsonRequest(c.node(leader).port, { op: 'get', key: 'after-kill', consistency: 'stale' }, 1000);
    return r.ok && r.value === '1';
  });
  t.pass('restarted node caught up');

  // The whole cluster stopped cleanly and started again keeps its data.
  for (const n of c.nodes) await c.kill(n.id, 'SIGTERM');
  for (const n of c.nodes) c.start(n.id);
  await c.waitForLeader();
  for (const n of c.nodes) {
    // Generous: right after a restart the first read waits for the new leader's no-op to commit.
    t.equal((await jsonRequest(n.port, { op: 'get', key: `json-${n.id}` }, 10_000)).value, `v${n.id}`, `after full restart, node ${n.id}`);
  }
});

t.test('5 nodes: a majority down fails writes within a deadline; back up, they succeed', async (t) => {
  const c = await startCluster(t, { nodes: 5 });
  const leader = await c.waitForLeader();
  t.ok(leader);
  const alive = c.nodes[0]!;
  t.same(await jsonRequest(alive.port, { op: 'set', key: 'before', value: 'b' }), { id: 1, ok: true, value: 'OK' });
  await waitFor('node 1 to apply the write', async () => (await jsonRequest(alive.port, { op: 'get', key: 'before', consistency: 'stale' })).value === 'b');
  const down = c.nodes.slice(1, 4).map((n) => n.id);
  for (const id of down) await c.kill(id, 'SIGKILL');
  // Without a majority no read can be proven fresh; a client that asks for a stale read still
  // gets the node's local state (JSON per request, Redis dialect per connection after READONLY).
  const linearizable = await jsonRequest(alive.port, { op: 'get', key: 'before' }, 10_000);
  t.equal(linearizable.ok, false, `a linearizable read without a majority fails (${linearizable.error?.code})`);
  t.same(await jsonRequest(alive.port, { op: 'get', key: 'before', consistency: 'stale' }), { id: 1, ok: true, value: 'b' }, 'stale JSON read');
  t.equal((await rawExchange(alive.port, 'READONLY\r\nGET before\r\nREADWRITE\r\n')).data, '+OK\r\n$1\r\nb\r\n+OK\r\n', 'READONLY then GET');
  const began = Date.now();
  const r = await jsonRequest(alive.port, { op: 'set', key: 'k', value: 'v' }, 10_000);
  t.equal(r.ok, false, 'write without a majority fails');
  t.match(r.error.code, /TIMEOUT|NO_LEADER|PROPOSAL_DROPPED/, `with a clear code (${r.error.code}: ${r.error.message})`);
  t.ok(Date.now() - began < 10_000, `within a deadline (${Date.now() - began} ms)`);
  for (const id of down) c.start(id);
  await waitFor('writes to succeed again', async () => (await jsonRequest(alive.port, { op: 'set', key: 'k', value: 'v2' }, 3000)).ok, 30_000);
  t.equal((await jsonRequest(alive.port, { op: 'get', key: 'k' })).value, 'v2');
});
