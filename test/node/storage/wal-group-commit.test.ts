import t from 'tap';
import { Wal } from '../../../src/node/storage/wal.js';
import { entries, tempDir } from './wal-test-helpers.js';

t.test('100 concurrent appends share far fewer than 100 fsyncs, resolve in order, all survive reopen', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  const resolved: number[] = [];
  const calls: Promise<void>[] = [];
  for (let i = 1; i <= 100; i++) {
    calls.push(wal.append({ term: 1, vote: 1, commit: i - 1 }, entries(i, 1, 1)).then(() => void resolved.push(i)));
  }
  await Promise.all(calls);
  const c = wal.counters;
  t.equal(c.appends, 100);
  t.ok(c.fsyncs < 10, `fsyncs ${c.fsyncs} << 100`);
  t.equal(c.writes, c.fsyncs, 'one write per fsync');
  t.same(resolved, Array.from({ length: 100 }, (_, i) => i + 1), 'promises resolve in call order');
  await wal.close();

  const b = await Wal.open(dir);
  t.teardown(() => b.wal.close());
  t.same(b.state.entries.map((e) => e.index), Array.from({ length: 100 }, (_, i) => i + 1));
  t.same(b.state.hardState, { term: 1, vote: 1, commit: 99 }, 'the last call wins');
});

t.test('calls made during a write+fsync go out as ONE write and ONE fsync after it', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  t.teardown(() => wal.close());
  const first = wal.append(null, entries(1, 1, 1));
  // Let the flush start: the first batch (just call 1) is now in write(2)/fdatasync.
  await new Promise<void>((r) => queueMicrotask(r));
  let firstDone = false;
  void first.then(() => (firstDone = true));
  const later: Promise<void>[] = [];
  for (let i = 2; i <= 51; i++) later.push(wal.append(null, entries(i, 1, 1)));
  t.notOk(firstDone, 'the first write was still in flight when the others arrived');
  await Promise.all([first, ...later]);
  t.same({ writes: wal.counters.writes, fsyncs: wal.counters.fsyncs, appends: wal.counters.appends }, { writes: 2, fsyncs: 2, appends: 51 });
});

t.test('an empty append waits its turn without a write', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await Wal.open(dir);
  t.teardown(() => wal.close());
  const order: string[] = [];
  const a = wal.append(null, entries(1, 1, 1)).then(() => order.push('a'));
  const b = wal.append(null, []).then(() => order.push('b'));
  await Promise.all([a, b]);
  await wal.append(null, []);
  t.same(order, ['a', 'b']);
  t.equal(wal.counters.fsyncs, 1, 'empty batches cost no fsync');
});
