import t from 'tap';
import { Prng } from './prng.js';

t.test('same seed, same stream; different seeds differ', async (t) => {
  const a = new Prng(42);
  const b = new Prng(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  t.same(Array.from({ length: 100 }, () => b.next()), xs);
  t.not(new Prng(43).next(), xs[0]);
  t.ok(xs.every((x) => x >= 0 && x < 1), 'values in [0, 1)');
});

t.test('int, chance, pick and shuffle stay in range and cover it', async (t) => {
  const p = new Prng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(p.int(3, 6));
  t.same([...seen].sort(), [3, 4, 5, 6], 'every value reached, none outside [3, 6]');
  let hits = 0;
  for (let i = 0; i < 10000; i++) if (p.chance(0.25)) hits++;
  t.ok(hits > 2200 && hits < 2800, `chance(0.25) hit ${hits}/10000`);
  const before = new Prng(7);
  before.chance(0);
  t.equal(before.next(), new Prng(7).next(), 'chance(0) draws nothing');
  t.ok(['a', 'b'].includes(p.pick(['a', 'b'])));
  t.same(p.shuffle([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5], 'shuffle permutes');
});

t.test('fork gives stable, independent streams', async (t) => {
  const root = new Prng(1);
  const x = root.fork('net').next();
  root.next();
  t.equal(root.fork('net').next(), x, 'forking does not depend on draws from the parent');
  t.not(root.fork('disk').next(), x, 'different labels, different streams');
  t.not(new Prng(2).fork('net').next(), x, 'different parents, different streams');
});

t.test('garbage is refused with stable codes', async (t) => {
  for (const bad of [1.5, NaN, Infinity, '3' as unknown as number]) {
    t.throws(() => new Prng(bad), /PRNG_BAD_SEED/, `seed ${String(bad)}`);
  }
  t.throws(() => new Prng(1).int(5, 4), /PRNG_BAD_RANGE/);
  t.throws(() => new Prng(1).pick([]), /PRNG_EMPTY_PICK/);
});
