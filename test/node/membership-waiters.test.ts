import t from 'tap';
import { MembershipWaiters } from '../../src/node/membership-waiters.js';
import type { RaftKvError } from '../../src/protocol/errors.js';

/** A completion that records what it was called with. */
function recorder() {
  const calls: Array<string | null> = [];
  return { calls, done: (err: RaftKvError | null) => void calls.push(err ? err.code : null) };
}

t.test('a change is done when its index is applied with its term; another term there means it was overwritten', async (t) => {
  const w = new MembershipWaiters();
  const ok = recorder();
  const lost = recorder();
  w.change(5, 2, 1000, ok.done);
  w.change(6, 2, 1000, lost.done);
  w.applied({ index: 5, term: 2, kind: 'config' });
  w.applied({ index: 6, term: 3, kind: 'noop' });
  t.same(ok.calls, [null]);
  t.same(lost.calls, ['PROPOSAL_DROPPED']);
  w.applied({ index: 5, term: 2, kind: 'config' });
  t.same(ok.calls, [null], 'answered once');
});

t.test('a transfer waits while the leader runs it, succeeds when the target leads, fails when it gave up or another leads', async (t) => {
  const w = new MembershipWaiters();
  const a = recorder();
  const b = recorder();
  const c = recorder();
  w.transfer(3, 1000, a.done);
  w.leadership(1, { transferee: 3 });
  w.leadership(0, null);
  t.same(a.calls, [], 'still waiting: the leader transfers, then an election runs');
  w.leadership(3, null);
  t.same(a.calls, [null], 'the target leads');
  w.transfer(3, 1000, b.done);
  w.leadership(1, { transferee: 0 });
  t.same(b.calls, ['TIMEOUT'], 'the leader gave up');
  w.transfer(3, 1000, c.done);
  w.leadership(2, null);
  t.same(c.calls, ['TIMEOUT'], 'another node leads');
  t.equal(w.waitingTransfers, 0);
});

t.test('deadlines and shutdown end every waiter', async (t) => {
  const w = new MembershipWaiters();
  const late = recorder();
  const early = recorder();
  const stop = recorder();
  w.change(5, 1, 100, late.done);
  w.transfer(2, 100, late.done);
  w.change(6, 1, 500, early.done);
  w.sweep(100);
  t.same(late.calls, ['TIMEOUT', 'TIMEOUT']);
  t.same(early.calls, []);
  w.transfer(2, 500, stop.done);
  w.failAll(new (await import('../../src/protocol/errors.js')).RaftKvError('SHUTTING_DOWN', 'bye'));
  t.same(early.calls, ['SHUTTING_DOWN']);
  t.same(stop.calls, ['SHUTTING_DOWN']);
});
