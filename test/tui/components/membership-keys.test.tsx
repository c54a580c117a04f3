/**
 * The membership keys against a fake ClusterSource: `a` adds a node, `x` removes the selected one,
 * `t` moves leadership to it; each says so on the timeline, and so does a failure. Learners are
 * marked in the table, and a config entry in the raft log.
 */
import t from 'tap';
import { FakeClusterSource, threeNodes } from '../fake-cluster-source.js';
import { renderApp } from '../render-app.js';

const start = (t: { teardown: (fn: () => unknown) => void }, source = new FakeClusterSource()) => renderApp(t, source, { columns: 120, rows: 32 });

t.test('a, x and t call the source and say so on the timeline', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  await s.script([['a', 'node 4 added and promoted to voter'], ['3'], ['t', 'move leadership to node 3'], ['x', 'remove node 3 from the cluster']]);
  t.same(s.source.calls.map((c) => [c.method, ...c.args]), [['addNode'], ['transferLeader', 3], ['removeNode', 3]]);
});

t.test('a failed add or transfer shows the error', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.source.failNext('addNode', Object.assign(new Error('no supervisor answering'), { code: 'UNAVAILABLE' }));
  s.press('a');
  await s.see(/add a node failed: .*no supervisor answering/);
  s.source.failNext('transferLeader', Object.assign(new Error('node 1 is not a voter'), { code: 'BAD_REQUEST' }));
  s.press('t');
  await s.see(/move leadership to node 1 failed: .*not a voter/);
});

t.test('learners are marked, joins and promotions are on the timeline, config entries in the log', async (t) => {
  const source = new FakeClusterSource({
    nodes: threeNodes().map((n) => ({ ...n, member: 'voter' as const })),
    entries: { 1: [{ index: 43, term: 5, kind: 'config', command: 'add learner 4 127.0.0.1:7004' }] },
  });
  const s = start(t, source);
  await s.see('(config) add learner 4 127.0.0.1');
  const four = { ...threeNodes()[2]!, id: 4, port: 7004, member: 'learner' as const };
  source.update({ nodes: [...source.getSnapshot().nodes, four] });
  let f = await s.see('node 4 joined as a learner (127.0.0.1:7004)');
  t.match(f, /4 127\.0\.0\.1:7004\s+up\s+learner/);
  source.patchNode(4, { member: 'voter' });
  f = await s.see('node 4 promoted to voter');
  t.match(f, /4 127\.0\.0\.1:7004\s+up\s+follower/);
  source.update({ nodes: source.getSnapshot().nodes.filter((n) => n.id !== 1) });
  await s.see('node 1 left the cluster');
});
