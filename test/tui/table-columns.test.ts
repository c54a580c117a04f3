import t from 'tap';
import { fitColumns, nodeColumns, rowWidth, cellText, headerText } from '../../src/tui/table-columns.js';
import { leaderOf } from '../../src/tui/model.js';
import { threeNodes } from './fake-cluster-source.js';

t.test('all columns at 120, low-priority ones dropped on narrow terminals', async (t) => {
  const cols = nodeColumns(threeNodes());
  const keys = (w: number) => fitColumns(cols, w).map((c) => c.key);
  t.same(keys(rowWidth(cols)), ['id', 'address', 'state', 'role', 'term', 'leader', 'last', 'commit', 'applied', 'snap', 'lag', 'uptime', 'pid', 'restarts']);
  t.same(keys(rowWidth(cols) - 1), ['id', 'address', 'state', 'role', 'term', 'leader', 'last', 'commit', 'applied', 'snap', 'lag', 'uptime', 'pid'], 'restarts go first');
  t.same(keys(110), ['id', 'address', 'state', 'role', 'term', 'leader', 'last', 'commit', 'applied', 'lag', 'uptime', 'pid'], 'then SNAP');
  t.notOk(keys(100).includes('pid'));
  const narrow = keys(79);
  for (const k of ['id', 'address', 'state', 'role', 'term', 'last', 'commit', 'lag'] as const) t.ok(narrow.includes(k), k);
  t.ok(rowWidth(fitColumns(cols, 79)) <= 79);
  t.ok(rowWidth(fitColumns(cols, 100)) <= 100);
});

t.test('cells have fixed widths whatever the values', async (t) => {
  const nodes = threeNodes();
  const cols = nodeColumns(nodes);
  const ctx = { leader: leaderOf(nodes) };
  const big = { ...nodes[0]!, term: 123456789, lastLogIndex: 9_999_999_999, commitIndex: 1e12, uptimeMs: 1e12 };
  for (const c of cols) {
    t.equal(cellText(c, nodes[0]!, ctx).length, c.width, c.key);
    t.equal(cellText(c, big, ctx).length, c.width, `${c.key} (huge value)`);
    t.equal(headerText(c).length, c.width, `${c.key} header`);
  }
});

t.test('SNAP shows the snapshot index, or the bytes received while a snapshot is installed', async (t) => {
  const nodes = threeNodes();
  const col = nodeColumns(nodes).find((c) => c.key === 'snap')!;
  const ctx = { leader: leaderOf(nodes) };
  t.match(cellText(col, { ...nodes[0]!, snapshotIndex: 20000 }, ctx), /^\s*20000$/);
  t.match(cellText(col, { ...nodes[0]!, snapshotIndex: 20000, receivingSnapshotBytes: 3 * 1024 * 1024 }, ctx), /^\s*rx 3\.0M$/);
});

t.test('a node that is not up shows no role and no lag', async (t) => {
  const nodes = threeNodes();
  const cols = nodeColumns(nodes);
  const ctx = { leader: leaderOf(nodes) };
  const down = { ...nodes[1]!, state: 'down' as const };
  const by = (k: string) => cols.find((c) => c.key === k)!;
  t.equal(cellText(by('role'), down, ctx).trim(), '-');
  t.equal(cellText(by('lag'), down, ctx).trim(), '-');
  t.equal(cellText(by('uptime'), down, ctx).trim(), '-');
  t.equal(cellText(by('leader'), { ...nodes[0]!, leader: 0 }, ctx).trim(), 'none');
});

t.test('a learner shows as such in ROLE', async (t) => {
  const nodes = threeNodes();
  const role = nodeColumns(nodes).find((c) => c.key === 'role')!;
  const ctx = { leader: leaderOf(nodes) };
  t.equal(cellText(role, { ...nodes[0]!, member: 'learner' }, ctx).trim(), 'learner');
  t.equal(cellText(role, { ...nodes[0]!, member: 'voter' }, ctx).trim(), 'follower');
  t.equal(cellText(role, { ...nodes[0]!, member: 'learner', state: 'down' }, ctx).trim(), '-');
});
