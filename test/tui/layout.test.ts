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
  for (const [nodes, shellLines] of [[1, 0], [3, 0], [5, 0], [9, 0], [3, 7], [3, 500]] as const) {
    for (let rows = minRows(nodes); rows < 80; rows++) {
      const r = computeLayout(MIN_COLUMNS, rows, nodes, shellLines);
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

t.test('the shell pane takes what its output needs, at most a third; the detail panels the rest', async (t) => {
  // [columns, rows, shell output lines] -> [detail lines, shell output lines]
  const cases: Array<[number, number, number, number, number]> = [
    // 3 nodes: 7 fixed lines + 3 rows + 4 timeline lines; the rest is detail + shell output.
    [80, 24, 0, 7, 2],
    [80, 24, 100, 4, 5], // a third of 23 lines is 7: title + 5 output lines + prompt
    [120, 40, 0, 23, 2],
    [120, 40, 5, 20, 5],
    [120, 40, 100, 14, 11], // a third of 39 is 13
    [200, 60, 0, 43, 2],
    [200, 60, 100, 28, 17], // a third of 59 is 19
  ];
  for (const [columns, rows, shellLines, detail, shell] of cases) {
    const r = computeLayout(columns, rows, 3, shellLines);
    if (!r.ok) {
      t.fail(`${columns}x${rows} should fit`);
      continue;
    }
    t.same([r.layout.detailLines, r.layout.shellOutputLines], [detail, shell], `${columns}x${rows}, ${shellLines} shell lines`);
    t.ok(r.layout.shellOutputLines + 2 <= Math.max(4, Math.floor(r.layout.height / 3)), 'at most a third');
  }
  const small = computeLayout(120, 40, 3, 0);
  const big = computeLayout(120, 80, 3, 0);
  t.ok(small.ok && big.ok && big.layout.detailLines - small.layout.detailLines === 40, 'the detail panels get every extra row');
});
