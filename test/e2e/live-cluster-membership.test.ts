/**
 * raft-tui's live source follows the cluster's own membership on real node processes: `a`
 * (addNode) through the supervisor brings a 4th row that joins as a learner and turns voter, the
 * leader's raft log shows the config entries, `t` (transferLeader) moves the leader mark, and `x`
 * (removeNode) takes the row away. The rows come from the members op, not from cluster.json.
 */
import t from 'tap';
import { LiveClusterSource } from '../../src/tui/live-cluster-source.js';
import { leaderOf } from '../../src/tui/model.js';
import { waitFor } from './harness.js';
import { startSupervised } from './supervised.js';

t.test('add, transfer and remove from raft-tui follow the membership', async (t) => {
  const c = await startSupervised(t);
  await c.waitForLeader();
  const source = new LiveClusterSource({ config: c.cfg });
  t.teardown(() => source.close());
  const snap = () => source.getSnapshot();
  await waitFor('three voters on the table', () => snap().nodes.length === 3 && snap().nodes.every((n) => n.member === 'voter'), 30_000);

  const id = await source.addNode();
  t.equal(id, 4);
  const four = await waitFor('node 4 on the table as a voter, up', () => snap().nodes.find((n) => n.id === 4 && n.member === 'voter' && n.state === 'up'), 20_000);
  t.not(four.port, c.cfg.nodes[0].port, 'its own address, from the membership');
  const leader = leaderOf(snap().nodes)!;
  const configs = await waitFor("the config entries in the leader's log", () => {
    const texts = (snap().entries[leader.id] ?? []).filter((e) => e.kind === 'config').map((e) => e.command);
    return texts.length >= 2 ? texts.join('\n') : '';
  }, 10_000);
  t.match(configs, /add learner 4 127\.0\.0\.1:\d+\npromote 4/);

  await source.transferLeader(4);
  await waitFor('node 4 leading on the table', () => leaderOf(snap().nodes)?.id === 4, 10_000);

  await source.removeNode(2);
  await waitFor('node 2 gone from the table', () => snap().nodes.map((n) => n.id).join() === '1,3,4', 10_000);
  t.same(await source.execute(['SET', 'after', 'remove']), { type: 'simple', value: 'OK' }, 'the shell follows the new members');
  t.equal(source.selectShellNode(4), null, 'an added node can be the shell\'s');
  t.match(source.selectShellNode(2), /^no node 2/);
});
