/**
 * The node table for every role and state. Colours are part of what is tested (the leader must
 * stand out at a glance), so this file turns colour on before Ink (and chalk inside it) loads:
 * tap runs tests with FORCE_COLOR=0, and chalk reads it once, at import.
 */
import t from 'tap';
import type { NodeView } from '../../../src/tui/model.js';
import { threeNodes } from '../fake-cluster-source.js';
import { plain, waitForFrame } from '../wait-for.js';

process.env.FORCE_COLOR = '1';
const { render } = await import('ink-testing-library');
const { NodeTable } = await import('../../../src/tui/components/NodeTable.js');

const GREEN = '\u001b[32m';
const CYAN = '\u001b[36m';
const YELLOW = '\u001b[33m';
const MAGENTA = '\u001b[35m';
const RED = '\u001b[31m';
const BOLD = '\u001b[1m';
const DIM = '\u001b[2m';
const INVERSE = '\u001b[7m';

/** The one thing the helpers need from a tap test. */
type HasTeardown = { teardown: (fn: () => unknown) => void };

async function renderTable(t: HasTeardown, nodes: NodeView[], selectedId: number | undefined, focused = true, width = 110) {
  const r = render(<NodeTable nodes={nodes} selectedId={selectedId} focused={focused} width={width} />);
  t.teardown(() => r.unmount());
  const frame = await waitForFrame(r.lastFrame, 'ADDRESS');
  const lines = frame.split('\n');
  const row = (id: number) => {
    const line = lines.find((l) => plain(l).includes(`127.0.0.1:${7000 + id}`));
    if (line === undefined) throw new Error(`no row for node ${id} in\n${frame}`);
    return line;
  };
  return { frame, lines, row };
}

t.test('colour is on in this file', async (t) => {
  const { frame } = await renderTable(t, threeNodes(), 1);
  t.ok(frame.includes('\u001b['), 'frames carry ANSI colour');
});

t.test('header and one row per node with every column', async (t) => {
  const { lines, row } = await renderTable(t, threeNodes(), 1);
  t.match(plain(lines[0]!), /ID\s+ADDRESS\s+STATE\s+ROLE\s+TERM\s+LEADER\s+LAST I\/T\s+COMMIT\s+APPLIED\s+(SNAP\s+)?LAG\s+UPTIME\s+PID/);
  t.equal(lines.length, 4);
  t.match(plain(row(3)), /3 127\.0\.0\.1:7003\s+up\s+follower\s+5\s+2\s+40\/5\s+42\s+40\s+2\s+1m05s\s+4003/);
  t.match(plain(row(2)), /leader\s+5\s+2\s+42\/5\s+42\s+42\s+0 /);
  // Fixed widths: every column starts at the same place on every row.
  const starts = new Set([1, 2, 3].map((id) => plain(row(id)).indexOf('up')));
  t.equal(starts.size, 1, 'STATE column aligned');
  t.equal(plain(lines[0]!).indexOf('STATE'), [...starts][0], 'header aligned with cells');
});

t.test('the leader stands out: marker, bold, green role', async (t) => {
  const { row } = await renderTable(t, threeNodes(), 1);
  const leader = row(2);
  t.match(plain(leader), /^ \*/, 'leader marker');
  t.ok(leader.includes(BOLD), 'bold');
  t.ok(leader.includes(GREEN + 'leader'), 'role in green');
  t.notOk(row(1).includes(BOLD), 'followers are not bold');
  t.ok(row(1).includes(CYAN + 'follower'), 'follower in cyan');
});

t.test('every role has its colour', async (t) => {
  const nodes = threeNodes();
  nodes[0] = { ...nodes[0]!, role: 'candidate', term: 6 };
  nodes[2] = { ...nodes[2]!, role: 'pre-candidate' };
  const { row } = await renderTable(t, nodes, 2);
  t.ok(row(1).includes(YELLOW + 'candidate'));
  t.ok(row(3).includes(MAGENTA + 'pre-candidate'));
  t.ok(row(2).includes(GREEN + 'leader'));
});

t.test('every state is shown, dead rows dimmed red and never hidden', async (t) => {
  const base = threeNodes()[0]!;
  const states = ['up', 'starting', 'down', 'stopped', 'unreachable'] as const;
  const nodes: NodeView[] = states.map((state, i) => ({ ...base, id: i + 1, port: 7001 + i, state, role: 'follower' }));
  // A node that never came up: identity only.
  nodes.push({ id: 6, host: '127.0.0.1', port: 7006, state: 'down' });
  const { lines, row } = await renderTable(t, nodes, 1);
  t.equal(lines.length, 7, 'header + six rows');
  states.forEach((state, i) => t.match(plain(row(i + 1)), new RegExp(`\\b${state}\\b`), state));
  for (const id of [3, 5, 6]) {
    t.ok(row(id).includes(RED), `node ${id} red`);
    t.ok(row(id).includes(DIM), `node ${id} dim`);
    t.notMatch(plain(row(id)), /follower|leader/, `node ${id} shows no role`);
  }
  t.ok(row(4).includes(DIM), 'stopped is dimmed');
  t.notOk(row(1).includes(RED), 'up is not red');
  t.match(plain(row(6)), /6 127\.0\.0\.1:7006\s+down\s+-\s+-\s+-\s+-/, 'never-up node: dashes');
});

t.test('selection: marker always, inverse only with focus', async (t) => {
  const focused = await renderTable(t, threeNodes(), 3, true);
  t.match(plain(focused.row(3)), /^>/);
  t.ok(focused.row(3).includes(INVERSE));
  t.notOk(focused.row(1).includes(INVERSE));
  const unfocused = await renderTable(t, threeNodes(), 3, false);
  t.match(plain(unfocused.row(3)), /^>/);
  t.notOk(unfocused.row(3).includes(INVERSE));
  const leaderSelected = await renderTable(t, threeNodes(), 2);
  t.match(plain(leaderSelected.row(2)), /^>\*/);
});

t.test('narrow terminals drop low-priority columns, not rows', async (t) => {
  const { lines } = await renderTable(t, threeNodes(), 1, true, 79);
  t.equal(lines.length, 4);
  t.notMatch(plain(lines[0]!), /PID|UPTIME|APPLIED/);
  t.match(plain(lines[0]!), /LAG/);
  for (const l of lines) t.ok(plain(l).length <= 79);
});
