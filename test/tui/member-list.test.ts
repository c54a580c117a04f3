import t from 'tap';
import { listedNodes, MemberPollers, sameListedNodes } from '../../src/tui/member-list.js';

const bootstrap = [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', port: 7000 + id }));
const member = (id: number, role: 'voter' | 'learner') => ({ id, host: '127.0.0.1', port: 7000 + id, peerPort: 7100 + id, role });

t.test('the membership, once known, decides the rows; supervised nodes are never hidden', async (t) => {
  t.same(listedNodes(bootstrap, undefined, []).map((n) => [n.id, n.member]), [[1, undefined], [2, undefined], [3, undefined]], 'cluster.json until a node says');
  const membership = [member(1, 'voter'), member(3, 'voter'), member(4, 'learner')];
  t.same(listedNodes(bootstrap, membership, []).map((n) => [n.id, n.member]), [[1, 'voter'], [3, 'voter'], [4, 'learner']], 'added shown, removed gone');
  const supervised = [{ id: 5, host: '127.0.0.1', port: 7005 }, { id: 3 }, { id: 6 }];
  t.same(listedNodes(bootstrap, membership, supervised).map((n) => n.id), [1, 3, 4, 5], 'a supervised node with an address shows too');
});

t.test('sameListedNodes and MemberPollers follow changes only', async (t) => {
  const a = listedNodes(bootstrap, undefined, []);
  t.ok(sameListedNodes(a, listedNodes(bootstrap, undefined, [])));
  t.notOk(sameListedNodes(a, a.slice(1)));
  t.notOk(sameListedNodes(a, a.map((n) => (n.id === 2 ? { ...n, port: 1 } : n))));
  const pollers = new MemberPollers({ requestTimeoutMs: 100 });
  t.teardown(() => pollers.close());
  t.ok(pollers.set(a));
  t.notOk(pollers.set(listedNodes(bootstrap, undefined, [])), 'same list: nothing to do');
  const p2 = pollers.poller(2);
  const p3 = pollers.poller(3);
  t.ok(pollers.set(a.map((n) => (n.id === 3 ? { ...n, port: 9 } : n)).filter((n) => n.id !== 1)));
  t.equal(pollers.poller(1), undefined, 'a node gone loses its poller');
  t.equal(pollers.poller(2), p2, 'an unchanged node keeps its poller');
  t.not(pollers.poller(3), p3, 'a moved node gets a new one');
  t.same(pollers.pollers.map((p) => p.id), [2, 3]);
});
