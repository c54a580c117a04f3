/** FaultPlan: each node's share of isolate/cut/slow/heal, both ends of a cut enforcing it. */
import t from 'tap';
import { describePlan, FaultPlan } from '../../src/cluster/fault-plan.js';

t.test('isolate cuts a node both ways from every other member', async (t) => {
  const p = new FaultPlan([1, 2, 3]);
  p.isolate(2);
  t.same(p.faultsFor(2), { dropTo: [1, 3], dropFrom: [1, 3], delayMs: 0 });
  t.same(p.faultsFor(1), { dropTo: [2], dropFrom: [2], delayMs: 0 });
  t.same(p.faultsFor(3), { dropTo: [2], dropFrom: [2], delayMs: 0 });
  t.equal(describePlan(p.view()), '1<->2, 2<->3');
});

t.test('a one-way cut: the sender drops to, the receiver drops from', async (t) => {
  const p = new FaultPlan([1, 2, 3]);
  p.cut(1, 3, true);
  t.same(p.faultsFor(1), { dropTo: [3], dropFrom: [], delayMs: 0 });
  t.same(p.faultsFor(3), { dropTo: [], dropFrom: [1], delayMs: 0 });
  t.same(p.faultsFor(2), { dropTo: [], dropFrom: [], delayMs: 0 });
  t.equal(describePlan(p.view()), '1->3');
});

t.test('heal one node keeps the other faults; heal all clears everything', async (t) => {
  const p = new FaultPlan([1, 2, 3]);
  p.cut(1, 2, false);
  p.cut(2, 3, false);
  p.setSlow(3, 200);
  p.heal(1);
  t.same(p.view(), { cuts: [[2, 3], [3, 2]], slow: { '3': 200 } });
  p.heal();
  t.ok(p.empty);
  t.equal(describePlan(p.view()), 'no faults');
});

t.test('unknown ids and self-cuts are refused', async (t) => {
  const p = new FaultPlan([1, 2, 3]);
  t.throws(() => p.isolate(7), { code: 'BAD_REQUEST' });
  t.throws(() => p.cut(2, 2, false), { code: 'BAD_REQUEST' });
  t.throws(() => p.heal(0), { code: 'BAD_REQUEST' });
  t.ok(p.empty);
});
