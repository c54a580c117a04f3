import t from 'tap';
import { computeLayout, MIN_COLUMNS, minRows } from '../../src/tui/layout.js';

t.test('the app is one line shorter and one column narrower than the terminal', async (t) => {
  const r = computeLayout(100, 30, 3);
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.layout.height, 29);
  t.equal(r.layout.width, 99);
  t.equal(r.layout.tableRows, 3);
});

t.test('the parts add up to the height, at every size that fits', async (t) => {
  for (const nodes of [1, 3, 5, 9]) {
    for (let rows = minRows(nodes); rows < 80; rows++) {
      const r = computeLayout(MIN_COLUMNS, rows, nodes);
      t.ok(r.ok, `${nodes} nodes, ${rows} rows`);
      if (!r.ok) continue;
      const l = r.layout;
      const total = 7 + l.tableRows + l.detailLines + l.timelineLines + l.shellOutputLines;
      if (total !== l.height) t.fail(`${nodes} nodes, ${rows} rows: ${total} != ${l.height}`);
      if (l.detailLines < 3 || l.timelineLines < 1 || l.shellOutputLines < 2 || l.timelineLines > 4) {
        t.fail(`minimums broken at ${rows} rows: ${JSON.stringify(l)}`);
      }
    }
  }
});

t.test('too small says what it needs', async (t) => {
  t.same(computeLayout(79, 40, 3), { ok: false, columns: 79, rows: 40, needColumns: 80, needRows: minRows(3) });
  t.same(computeLayout(120, minRows(3) - 1, 3), { ok: false, columns: 120, rows: minRows(3) - 1, needColumns: 80, needRows: minRows(3) });
  t.ok(minRows(9) > minRows(3), 'more nodes need more rows: nodes are never hidden');
});
