/** The live source's snapshot holder: identity until a change, asynchronous coalesced notifications. */
import t from 'tap';
import { SnapshotStore } from '../../src/tui/snapshot-store.js';
import { waitFor } from '../lib/wait-for.js';

t.test('same object until a field really changes', async (t) => {
  const store = new SnapshotStore({}, 10);
  t.teardown(() => store.close());
  const first = store.snapshot;
  t.equal(store.update({ nodes: first.nodes, shellTarget: undefined }), false);
  t.equal(store.snapshot, first);
  t.equal(store.update({ shellTarget: 'h:1' }), true);
  t.not(store.snapshot, first);
  t.equal(store.snapshot.nodes, first.nodes, 'untouched parts keep their identity');
});

t.test('listeners: called later, not inside update; many updates, one call', async (t) => {
  const store = new SnapshotStore({}, 20);
  t.teardown(() => store.close());
  let calls = 0;
  const off = store.subscribe(() => calls++);
  store.update({ shellTarget: 'a:1' });
  store.update({ shellTarget: 'a:2' });
  store.update({ shellTarget: 'a:3' });
  t.equal(calls, 0, 'not synchronous');
  await waitFor('a notification', () => calls > 0, 3000, 5);
  t.equal(calls, 1, 'coalesced');
  off();
  off();
  store.update({ shellTarget: 'a:4' });
  const seen = calls;
  // Another subscriber proves a notification went out; the removed one must not get it.
  let other = 0;
  store.subscribe(() => other++);
  store.update({ shellTarget: 'a:5' });
  await waitFor('the other subscriber', () => other > 0, 3000, 5);
  t.equal(calls, seen, 'unsubscribed listener not called');
});

t.test('close stops notifications', async (t) => {
  const store = new SnapshotStore({}, 0);
  let calls = 0;
  store.subscribe(() => calls++);
  store.update({ shellTarget: 'x:1' });
  store.close();
  t.equal(store.update({ shellTarget: 'x:2' }), false);
  t.equal(calls, 0);
});
