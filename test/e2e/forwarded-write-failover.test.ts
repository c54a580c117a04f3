/**
 * A write forwarded by a follower to a leader that stops answering: once the others elect a new
 * leader, the follower tells the client at once that the outcome is unknown ("leader changed"),
 * instead of holding the request until its timeout. Real processes; the old leader is frozen
 * with SIGSTOP so the forwarded write is certainly stuck on it.
 */
import t from 'tap';
import { jsonRequest, startCluster } from './harness.js';

t.test('a forwarded write fails fast, as ambiguous, when the leader changes', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const follower = c.nodes.find((n) => n.id !== leader)!;
  t.same(await jsonRequest(follower.port, { op: 'set', key: 'k', value: 'before' }), { id: 1, ok: true, value: 'OK' });

  c.procs.get(leader)!.kill('SIGSTOP');
  t.teardown(() => void c.procs.get(leader)?.kill('SIGCONT'));
  const r = await jsonRequest(follower.port, { op: 'set', key: 'k', value: 'during' }, 15_000);
  t.equal(r.ok, false, 'the write is not confirmed');
  t.equal(r.error.code, 'TIMEOUT', 'reported as ambiguous (retry only with a session)');
  t.match(r.error.message, new RegExp(`leader changed \\(node ${leader} -> node \\d\\).*may or may not have been applied`));

  // The cluster carries on under the new leader.
  const again = await jsonRequest(follower.port, { op: 'set', key: 'k', value: 'after' }, 10_000);
  t.same(again, { id: 1, ok: true, value: 'OK' });
});
