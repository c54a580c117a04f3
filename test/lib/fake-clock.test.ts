import t from 'tap';
import { FakeClock } from './fake-clock.js';

t.test('intervals fire at their due times, in due order, and stop when cleared', async (t) => {
  const c = new FakeClock(1000);
  const seen: string[] = [];
  const a = c.setInterval(() => seen.push(`a@${c.monotonic()}`), 10);
  c.setInterval(() => seen.push(`b@${c.monotonic()}`), 25);
  c.advance(30);
  t.same(seen, ['a@10', 'a@20', 'b@25', 'a@30']);
  t.equal(c.now(), 1030, 'wall time moves with monotonic time');
  c.clearInterval(a);
  c.advance(20);
  t.same(seen.slice(4), ['b@50'], 'a cleared interval never fires again');
});

t.test('deferred callbacks wait for runDeferred (or advance) and run FIFO, nested ones too', async (t) => {
  const c = new FakeClock();
  const seen: number[] = [];
  c.defer(() => {
    seen.push(1);
    c.defer(() => seen.push(3));
  });
  c.defer(() => seen.push(2));
  t.same(seen, [], 'nothing runs on its own');
  t.equal(c.runDeferred(), 3);
  t.same(seen, [1, 2, 3]);
  c.defer(() => seen.push(4));
  c.advance(0);
  t.same(seen, [1, 2, 3, 4], 'advance runs what was deferred');
});

t.test('a callback that re-defers itself forever is reported, not spun on', async (t) => {
  const c = new FakeClock();
  const again = (): void => c.defer(again);
  c.defer(again);
  t.throws(() => c.runDeferred(100), /more than 100 deferred callbacks/);
  t.throws(() => c.advance(-1), /ms must be >= 0/);
  t.throws(() => c.setInterval(() => {}, 0), /interval must be > 0/);
});

t.test('one-shot timers fire once at their due time, among intervals in due order, unless cleared', async (t) => {
  const c = new FakeClock();
  const seen: string[] = [];
  c.setInterval(() => seen.push(`i@${c.monotonic()}`), 10);
  c.setTimeout(() => seen.push(`once@${c.monotonic()}`), 15);
  const cleared = c.setTimeout(() => seen.push('cleared'), 5);
  c.clearTimeout(cleared);
  c.advance(40);
  t.same(seen, ['i@10', 'once@15', 'i@20', 'i@30', 'i@40']);
  t.equal(c.pendingTimers, 1, 'only the interval is left');
  c.setTimeout(() => seen.push('zero'), 0);
  c.advance(0);
  t.equal(seen.at(-1), 'zero', 'a 0 ms timer fires at the next advance');
});
