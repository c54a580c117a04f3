import t from 'tap';
import type { Entry } from '../../src/protocol/raft-messages.js';
import { DurableStore } from './durable-store.js';

const e = (index: number, term: number, data: unknown = `c${index}`): Entry => ({ index, term, kind: 'cmd', data });

t.test('appends, replaces a conflicting tail, and reports what it removed', async (t) => {
  const s = new DurableStore();
  t.same(s.append([e(1, 1), e(2, 1), e(3, 1)]), { truncatedFrom: null, removed: [] });
  t.equal(s.lastIndex, 3);
  const out = s.append([e(2, 2)]);
  t.equal(out.truncatedFrom, 2);
  t.same(out.removed, [e(2, 1), e(3, 1)]);
  t.same(s.entries(), [e(1, 1), e(2, 2)]);
  t.equal(s.termAt(0), 0);
  t.equal(s.termAt(9), 0);
});

t.test('stores copies: later changes by the caller do not reach the disk', async (t) => {
  const s = new DurableStore();
  const x = e(1, 1, { k: 'v' });
  s.append([x]);
  (x.data as { k: string }).k = 'changed';
  t.same(s.entryAt(1)!.data, { k: 'v' });
  const init = s.initialState(false);
  init.entries[0]!.term = 99;
  t.equal(s.termAt(1), 1, 'initial state is a copy too');
});

t.test('state machine kept or replayed on restart', async (t) => {
  const s = new DurableStore();
  s.append([e(1, 1), e(2, 1)]);
  s.setHardState({ term: 1, vote: 1, commit: 2 });
  s.recordApplied(e(1, 1));
  t.equal(s.initialState(true).applied, 1);
  t.equal(s.initialState(false).applied, 0);
  s.resetStateMachine();
  t.equal(s.applied, 0);
  t.same(s.appliedLog, []);
});

t.test('garbage batches are refused with stable codes', async (t) => {
  const s = new DurableStore();
  s.append([e(1, 1)]);
  t.throws(() => s.append([e(3, 1)]), /STORE_GAP/);
  t.throws(() => s.append([e(0, 1)]), /STORE_GAP/);
  t.throws(() => s.append([e(2, 1), e(4, 1)]), /STORE_NOT_CONTIGUOUS/);
  for (const bad of [null, {}, { index: 2, term: 1, kind: 'nope' }, { index: '2', term: 1, kind: 'cmd' }]) {
    t.throws(() => s.append([bad as unknown as Entry]), /STORE_BAD_ENTRY/, JSON.stringify(bad));
  }
  t.equal(s.lastIndex, 1, 'nothing was written by refused batches');
});
