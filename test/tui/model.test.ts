import t from 'tap';
import {
  appendBounded,
  diffNodes,
  lagOf,
  leaderOf,
  mergeEvents,
  type ClusterEvent,
  type NodeView,
} from '../../src/tui/model.js';
import { threeNodes } from './fake-cluster-source.js';

const AT = 1_700_000_000_000;
const patch = (nodes: NodeView[], id: number, p: Partial<NodeView>): NodeView[] =>
  nodes.map((n) => (n.id === id ? { ...n, ...p } : n));
const texts = (events: ClusterEvent[]) => events.map((e) => `${e.kind}: ${e.text}`);

t.test('leaderOf picks an up leader with the highest term (§5.1)', async (t) => {
  const nodes = threeNodes();
  t.equal(leaderOf(nodes)?.id, 2);
  t.equal(leaderOf(patch(nodes, 2, { state: 'down' })), undefined, 'a dead leader is no leader');
  const twoLeaders = patch(patch(nodes, 1, { role: 'leader', term: 6 }), 2, { term: 5 });
  t.equal(leaderOf(twoLeaders)?.id, 1, 'stale leader of an older term loses');
  t.equal(leaderOf([]), undefined);
});

t.test('lagOf counts entries behind the leader, never negative', async (t) => {
  const nodes = threeNodes();
  const leader = leaderOf(nodes);
  t.equal(lagOf(nodes[1]!, leader), 0, 'leader itself');
  t.equal(lagOf(nodes[2]!, leader), 2);
  t.equal(lagOf({ ...nodes[0]!, lastLogIndex: 50 }, leader), 0, 'uncommitted tail beyond the leader');
  t.equal(lagOf({ ...nodes[0]!, state: 'down' }, leader), undefined);
  t.equal(lagOf(nodes[0]!, undefined), undefined);
  t.equal(lagOf({ ...nodes[0]!, lastLogIndex: undefined }, leader), undefined);
});

t.test('diffNodes reports nodes going down and up', async (t) => {
  const a = threeNodes();
  const b = patch(a, 3, { state: 'down' });
  t.same(texts(diffNodes(a, b, AT)), ['down: node 3 down']);
  t.same(texts(diffNodes(b, a, AT)), ['up: node 3 up']);
  t.same(texts(diffNodes(a, patch(a, 1, { state: 'unreachable' }), AT)), ['down: node 1 unreachable']);
  t.same(texts(diffNodes(a, patch(a, 1, { state: 'stopped' }), AT)), ['down: node 1 stopped']);
  t.same(texts(diffNodes(patch(a, 1, { state: 'down' }), patch(a, 1, { state: 'starting' }), AT)), ['info: node 1 starting']);
  t.equal(diffNodes(a, b, AT)[0]!.atMs, AT);
});

t.test('diffNodes reports leader changes and elections', async (t) => {
  const a = threeNodes();
  // Leader 2 dies; node 1 campaigns; node 1 wins term 6.
  const dead = patch(a, 2, { state: 'down' });
  t.same(texts(diffNodes(a, dead, AT)), ['down: node 2 down', 'election: no leader (node 2 lost it)']);
  const campaign = patch(dead, 1, { role: 'candidate', term: 6 });
  t.same(texts(diffNodes(dead, campaign, AT)), ['election: node 1 started an election (term 6)']);
  const won = patch(campaign, 1, { role: 'leader', term: 6 });
  t.same(texts(diffNodes(campaign, won, AT)), ['leader: node 1 became leader (term 6)']);
  t.same(texts(diffNodes(a, patch(a, 2, { term: 7 }), AT)), ['leader: node 2 became leader (term 7)'], 're-elected in a new term');
  t.same(texts(diffNodes(a, a, AT)), [], 'nothing changed');
  t.same(texts(diffNodes(a, patch(a, 1, { role: 'pre-candidate' }), AT)), [], 'pre-votes are not elections');
});

t.test('first picture is quiet; a new node is a join, not a state event', async (t) => {
  t.same(diffNodes([], threeNodes(), AT), []);
  const two = threeNodes().slice(0, 2);
  t.same(texts(diffNodes(two, threeNodes(), AT)), ['member: node 3 joined (127.0.0.1:7003)']);
});

t.test('membership changes and transfers are on the timeline', async (t) => {
  const before = threeNodes().map((n) => ({ ...n, member: 'voter' as const }));
  const learner = { ...before[2]!, id: 4, port: 7004, member: 'learner' as const };
  const joined = diffNodes(before, [...before, learner], AT);
  t.same(texts(joined), ['member: node 4 joined as a learner (127.0.0.1:7004)']);
  t.same(texts(diffNodes([...before, learner], [...before, { ...learner, member: 'voter' }], AT)), ['member: node 4 promoted to voter']);
  t.same(texts(diffNodes(before, before.slice(1), AT)), ['member: node 1 left the cluster']);
  const handing = before.map((n) => (n.id === 2 ? { ...n, transferringTo: 3 } : n));
  t.same(texts(diffNodes(before, handing, AT)), ['member: node 2 is handing leadership to node 3']);
  t.same(texts(diffNodes(handing, handing, AT)), [], 'said once');
  const moved = before.map((n) => ({ ...n, role: n.id === 3 ? ('leader' as const) : ('follower' as const), term: 6, leader: 3 }));
  t.same(texts(diffNodes(handing, moved, AT)), ['leader: node 3 became leader (term 6)']);
});

t.test('appendBounded keeps the newest and keeps identity when nothing is added', async (t) => {
  const list = [1, 2, 3];
  t.equal(appendBounded(list, [], 3), list);
  t.same(appendBounded(list, [4, 5], 3), [3, 4, 5]);
  t.same(appendBounded(list, [4], 10), [1, 2, 3, 4]);
});

t.test('mergeEvents interleaves by time, stable', async (t) => {
  const e = (atMs: number, text: string): ClusterEvent => ({ atMs, text, kind: 'info' });
  const merged = mergeEvents([e(1, 'a1'), e(3, 'a3'), e(5, 'a5')], [e(2, 'b2'), e(3, 'b3'), e(9, 'b9')]);
  t.same(merged.map((x) => x.text), ['a1', 'b2', 'a3', 'b3', 'a5', 'b9']);
  t.same(mergeEvents([], []), []);
});
