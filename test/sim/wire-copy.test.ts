import t from 'tap';
import { wireCopy } from './wire-copy.js';

t.test('copies like a JSON round trip', async (t) => {
  const samples: unknown[] = [
    null,
    'x',
    0,
    -3.5,
    true,
    [1, 'a', null, [2]],
    { a: 1, b: { c: [1, { d: 'e' }] } },
    { type: 'append', entries: [{ term: 1, index: 2, kind: 'cmd', data: { k: 'v' } }] },
  ];
  for (const s of samples) {
    const c = wireCopy(s);
    t.same(c, JSON.parse(JSON.stringify(s)), JSON.stringify(s));
    if (s !== null && typeof s === 'object') t.not(c, s, 'a new object');
  }
  t.same(wireCopy({ a: undefined, b: 1 }), { b: 1 }, 'undefined keys vanish');
  t.same(wireCopy([undefined]), [null], 'undefined array slots become null');
});

t.test('refuses what JSON would silently change', async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  for (const bad of [NaN, Infinity, () => 1, new Date(0), new Map(), cyclic, 10n, Symbol('s')]) {
    t.throws(() => wireCopy(bad), /WIRE_NOT_JSON/, String(typeof bad));
  }
});
