/**
 * The smaller components on their own: exact heights, scrolling, and the edges (long input,
 * one-line event line, the help overlay at the smallest size the layout allows).
 */
import t from 'tap';
import { render } from 'ink-testing-library';
import { HelpOverlay } from '../../../src/tui/components/HelpOverlay.js';
import { NodeDetail } from '../../../src/tui/components/NodeDetail.js';
import { Shell } from '../../../src/tui/components/Shell.js';
import { StatsBar, statsText } from '../../../src/tui/components/StatsBar.js';
import { Timeline } from '../../../src/tui/components/Timeline.js';
import { TooSmall } from '../../../src/tui/components/TooSmall.js';
import { KEY_BINDINGS } from '../../../src/tui/keys.js';
import { computeLayout, minRows } from '../../../src/tui/layout.js';
import type { ClusterEvent, LogEntryView } from '../../../src/tui/model.js';
import type { ShellLine } from '../../../src/tui/shell/commands.js';
import { threeNodes } from '../fake-cluster-source.js';
import { plain, waitForFrame } from '../wait-for.js';

type HasTeardown = { teardown: (fn: () => unknown) => void };

async function frameOf(t: HasTeardown, tree: React.ReactElement, ready: string | RegExp): Promise<string[]> {
  const r = render(tree);
  t.teardown(() => r.unmount());
  return plain(await waitForFrame(r.lastFrame, ready)).split('\n');
}

t.test('Shell scrolls: newest output right above the prompt, fixed height', async (t) => {
  const output: ShellLine[] = Array.from({ length: 20 }, (_, i) => ({ text: `line ${i}`, tone: 'reply' }));
  const lines = await frameOf(
    t,
    <Shell prompt="127.0.0.1:7001> " input="GET x" output={output} lines={4} focused pending={false} width={60} />,
    'GET x',
  );
  t.equal(lines.length, 6, 'title + 4 output + prompt');
  t.same(lines.slice(1, 5), ['line 16', 'line 17', 'line 18', 'line 19']);
  t.match(lines[5]!, /^127\.0\.0\.1:7001> GET x/);
});

t.test('Shell keeps short output top-aligned and the height fixed', async (t) => {
  const lines = await frameOf(
    t,
    <Shell prompt="p> " input="" output={[{ text: 'only', tone: 'info' }]} lines={3} focused={false} pending={false} width={40} />,
    'only',
  );
  t.equal(lines.length, 5);
  t.equal(lines[1], 'only');
  t.match(lines[0]!, /shell \(Tab to type\)/);
});

t.test('Shell scrolls a long input sideways so the end stays visible', async (t) => {
  const input = 'SET key ' + 'v'.repeat(200) + 'END';
  const lines = await frameOf(t, <Shell prompt="p> " input={input} output={[]} lines={2} focused pending width={60} />, 'END');
  const prompt = lines[lines.length - 1]!;
  t.ok(prompt.length <= 60, `fits: ${prompt.length}`);
  t.match(prompt, /^p> …v+END .*\(waiting for reply…\)/);
});

t.test('Timeline: newest last, one line works as an event line', async (t) => {
  const events: ClusterEvent[] = [
    { atMs: 1, text: 'node 2 down', kind: 'down' },
    { atMs: 2, text: 'node 1 started an election (term 6)', kind: 'election' },
    { atMs: 3, text: 'node 1 became leader (term 6)', kind: 'leader' },
  ];
  const three = await frameOf(t, <Timeline events={events} lines={3} width={80} />, 'became leader');
  t.equal(three.length, 4);
  t.match(three[1]!, /^\d\d:\d\d:\d\d node 2 down/);
  t.match(three[3]!, /node 1 became leader \(term 6\)/);
  const one = await frameOf(t, <Timeline events={events} lines={1} width={80} />, 'became leader');
  t.equal(one.length, 2);
  t.notMatch(one.join('\n'), /node 2 down/);
});

t.test('NodeDetail: newest entries, padded to its height, long commands cut', async (t) => {
  const entries: LogEntryView[] = Array.from({ length: 10 }, (_, i) => ({
    index: i + 1,
    term: 3,
    kind: 'cmd',
    command: i === 9 ? 'SET long ' + 'x'.repeat(100) : `SET k${i} v`,
  }));
  const lines = await frameOf(
    t,
    <NodeDetail node={threeNodes()[0]} entries={entries} logTail={['a', 'b']} lines={4} width={90} />,
    'SET k8',
  );
  t.equal(lines.length, 5);
  t.match(lines[1]!, /^\s+7 t3\s+SET k6 v/);
  t.match(lines[4]!, /10 t3\s+SET long x+…/);
  t.match(lines[1]!, / a$/);
  t.ok(lines.every((l) => l.length <= 90));
});

t.test('NodeDetail for a dead node with nothing known', async (t) => {
  const down = { ...threeNodes()[0]!, state: 'down' as const };
  const lines = await frameOf(t, <NodeDetail node={down} entries={[]} logTail={[]} lines={3} width={90} />, 'no entries');
  t.match(lines[1]!, /\(node not up: no entries\)/);
  const none = await frameOf(t, <NodeDetail node={undefined} entries={[]} logTail={[]} lines={3} width={90} />, 'no node selected');
  t.equal(none.length, 4);
});

t.test('StatsBar has a fixed layout', async (t) => {
  t.equal(statsText({ shellOps: 0 }).length, statsText({ shellOps: 123456, p50Ms: 0.5, p99Ms: 812.2, commitRatePerSec: 12345.6 }).length);
  const lines = await frameOf(t, <StatsBar metrics={{ shellOps: 3, p50Ms: 0.42 }} width={90} />, 'ops');
  t.match(lines[0]!, /shell\s+3 ops\s+p50\s+0\.42 ms\s+p99\s+-\s+│ commits\s+-/);
});

t.test('HelpOverlay shows every key even at the smallest layout', async (t) => {
  const r = computeLayout(80, minRows(3), 3);
  t.ok(r.ok);
  if (!r.ok) return;
  const height = r.layout.height - 1;
  const lines = await frameOf(t, <HelpOverlay width={r.layout.width} height={height} />, 'any key');
  t.equal(lines.length, height);
  t.ok(lines.every((l) => !l.includes('…')), 'no description cut at 80 columns');
  const text = lines.join('\n');
  for (const b of KEY_BINDINGS) {
    if (b.scope !== 'help') t.ok(text.includes(b.description), b.description);
  }
});

t.test('TooSmall says the size and the need', async (t) => {
  const lines = await frameOf(t, <TooSmall columns={50} rows={10} needColumns={80} needRows={17} />, 'too small');
  t.same(lines, ['Terminal too small', '50x10, need at least 80x17.', 'Enlarge the window, or press q to quit.']);
});
