/**
 * The whole screen against a fake ClusterSource: what it shows, and what each key does to the
 * source. Keys are written to Ink's stdin as a terminal would send them.
 */
import t from 'tap';
import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { App } from '../../../src/tui/components/App.js';
import { KEY_BINDINGS } from '../../../src/tui/keys.js';
import type { ShellReply } from '../../../src/tui/shell/reply.js';
import { RaftKvClient } from '../../../src/client/raftkv-client.js';
import { executeShellCommand } from '../../../src/tui/shell-executor.js';
import { startCluster } from '../../e2e/harness.js';
import { CodedError, FakeClusterSource } from '../fake-cluster-source.js';
import { waitFor } from '../../lib/wait-for.js';
import { plain, waitForFrame } from '../wait-for.js';

const KEY = {
  up: '\u001b[A',
  down: '\u001b[B',
  tab: '\t',
  enter: '\r',
  escape: '\u001b',
  backspace: '\u007f',
  ctrlC: '\u0003',
  ctrlU: '\u0015',
  ctrlL: '\u000c',
};

const SIZE = { columns: 100, rows: 30 };
const NOW = 1_700_000_000_000;

type HasTeardown = { teardown: (fn: () => unknown) => void };

function start(t: HasTeardown, source = new FakeClusterSource(), size = SIZE, onQuit?: () => void) {
  let quits = 0;
  const r = render(<App source={source} size={size} now={() => NOW} onQuit={onQuit ?? (() => quits++)} />);
  t.teardown(() => r.unmount());
  const frame = () => plain(r.lastFrame() ?? '');
  const see = (accept: string | RegExp | ((f: string) => boolean)) => waitForFrame(frame, accept);
  /** The table row of node `id`. */
  const row = (id: number) => frame().split('\n').find((l) => l.includes(`127.0.0.1:${7000 + id}`)) ?? '';
  const press = (...keys: string[]) => {
    for (const k of keys) r.stdin.write(k);
  };
  /** Types a shell line and presses Enter. */
  const type = async (line: string) => {
    press(line);
    await see(`> ${line}`);
    press(KEY.enter);
  };
  return { r, source, frame, see, row, press, type, quits: () => quits };
}

t.test('shows the table, the leader and the selected node', async (t) => {
  const s = start(t);
  const f = await s.see('ADDRESS');
  t.match(f, /leader: node 2 \(term 5\)/);
  t.match(s.row(1), /^> /, 'first row selected by default');
  t.match(s.row(2), /^ \*.*leader/, 'leader marked');
  t.match(f, /node 1: raft log/);
  t.match(f, /shell\s+0 ops/);
  t.match(f, /127\.0\.0\.1:7001>/, 'redis-cli-style prompt');
});

t.test('the frame is always rows - 1 lines, whatever is open', async (t) => {
  const s = start(t);
  const height = () => (s.r.lastFrame() ?? '').split('\n').length;
  await s.see('ADDRESS');
  t.equal(height(), SIZE.rows - 1);
  s.press('?');
  await s.see('help (any key closes)');
  t.equal(height(), SIZE.rows - 1, 'help');
  s.press('x');
  await s.see('ADDRESS');
  s.source.update({ nodes: s.source.getSnapshot().nodes.map((n) => ({ ...n, state: 'down' as const })) });
  await s.see('no leader');
  t.equal(height(), SIZE.rows - 1, 'all nodes down');
});

t.test('selection moves with arrows and digits, clamped', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press(KEY.down);
  await waitFor('down selects node 2', () => s.row(2).startsWith('>'), 3000, 5);
  t.match(s.frame(), /node 2: raft log/);
  s.press('3');
  await waitFor('3 selects node 3', () => s.row(3).startsWith('>'), 3000, 5);
  s.press(KEY.down);
  await waitFor('down at the bottom stays', () => s.row(3).startsWith('>'), 3000, 5);
  s.press('9');
  s.press(KEY.up);
  await waitFor('up; 9 selected nothing', () => s.row(2).startsWith('>'), 3000, 5);
  s.press(KEY.up, KEY.up);
  await waitFor('clamped at the top', () => s.row(1).startsWith('>'), 3000, 5);
});

t.test('chaos keys call the source and say what they did', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press('2');
  await waitFor('node 2 selected', () => s.row(2).startsWith('>'), 3000, 5);
  s.press('k');
  await s.see('kill -9 node 2');
  s.press('r');
  await s.see('restart node 2');
  s.press('s');
  await s.see('stop node 2');
  s.press('K');
  await s.see('kill -9 the leader (node 2)');
  t.same(s.source.calls.map((c) => [c.method, ...c.args]), [['kill', 2], ['restart', 2], ['stop', 2], ['killLeader']]);
});

t.test('keys pressed faster than renders act on the latest state', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press('3', 'k');
  await s.see('kill -9 node 3');
  s.press(KEY.tab, 'k', 'K');
  await s.see('> kK');
  s.press(KEY.tab, '?', 'k');
  await s.see('ADDRESS');
  t.same(s.source.calls.map((c) => [c.method, ...c.args]), [['kill', 3]], 'only the first k killed; ? then k opened and closed help');
});

t.test('failed actions show the error code', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.source.failNext('kill', new CodedError('NO_SUPERVISOR', 'supervisor not reachable'));
  s.press('k');
  await s.see('kill -9 node 1 failed: NO_SUPERVISOR supervisor not reachable');
  s.source.update({ nodes: s.source.getSnapshot().nodes.map((n) => ({ ...n, role: 'follower' as const })) });
  await s.see('no leader');
  s.press('K');
  await s.see('kill leader failed: NO_LEADER no node is leader');
  s.source.restart = () => {
    throw new Error('restart exploded');
  };
  s.press('r');
  await s.see('restart node 1 failed: ERR restart exploded');
});

t.test('leader changes and nodes going down appear on the timeline', async (t) => {
  const s = start(t);
  await s.see('(no events yet)');
  s.source.patchNode(2, { state: 'down' });
  await s.see('node 2 down');
  s.source.patchNode(1, { role: 'leader', term: 6, leader: 1 });
  await s.see('node 1 became leader (term 6)');
  t.match(s.frame(), /leader: node 1 \(term 6\)/);
  t.match(s.row(2), /down/, 'dead node still listed');
  s.source.patchNode(2, { state: 'up', role: 'follower', term: 6 });
  await s.see('node 2 up');
});

t.test('source events are merged into the timeline', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.source.update({ events: [{ atMs: NOW - 1000, text: 'node 3 exited with code 137', kind: 'down' }] });
  await s.see('node 3 exited with code 137');
});

t.test('help overlay lists every key and is modal', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press('?');
  const f = await s.see('help (any key closes)');
  for (const b of KEY_BINDINGS) {
    if (b.scope === 'help') continue;
    t.ok(f.includes(b.description), `${b.label}: ${b.description}`);
  }
  s.press('k');
  await s.see('ADDRESS');
  t.same(s.source.calls, [], 'the key that closed help did nothing else');
});

t.test('q and Ctrl-C quit; Ctrl-C quits even from the shell', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press('q');
  await waitFor('q quits', () => s.quits() === 1, 3000, 5);
  s.press(KEY.tab);
  await s.see('[shell]');
  s.press('q');
  await s.see('> q');
  t.equal(s.quits(), 1, 'q is text in the shell');
  s.press(KEY.ctrlC);
  await waitFor('Ctrl-C quits', () => s.quits() === 2, 3000, 5);
});

t.test('shell: SET then GET on a real node through the real shell executor, replies as redis-cli prints them', async (t) => {
  // The commands go where raft-tui's shell sends them: executeShellCommand, the client library,
  // a real node process's client port. The fake source only provides the table around them.
  const cluster = await startCluster(t, { nodes: 1 });
  await cluster.waitForLeader();
  const client = new RaftKvClient({ nodes: cluster.nodes, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  const source = new FakeClusterSource();
  source.executeImpl = async (argv) => (await executeShellCommand(client, argv)).reply;
  const s = start(t, source);
  await s.see('ADDRESS');
  s.press(KEY.tab);
  await s.see('[shell]');
  await s.type('SET x 1');
  await s.see(/127\.0\.0\.1:7001> SET x 1\n\s*OK/);
  await s.type('GET x');
  await s.see(/GET x\n\s*"1"/);
  await s.type('GET nope');
  await s.see(/GET nope\n\s*\(nil\)/);
  await s.type('DEL x');
  await s.see(/DEL x\n\s*\(integer\) 1/);
  await s.type('SET a 1');
  await s.type('SET b 2');
  await s.type('KEYS *');
  await s.see(/KEYS \*\n\s*1\) "a"\n\s*2\) "b"/);
  t.same(s.source.callsOf('execute')[0], ['SET', 'x', '1']);
  t.equal(source.store.size, 0, "the fake source's own map was never used");
  // What the node holds, asked on a connection of its own.
  const other = new RaftKvClient({ nodes: cluster.nodes, timeoutMs: 10_000 });
  t.teardown(() => other.close());
  t.same([await other.get('x'), await other.get('a'), await other.get('b')], [null, '1', '2'], 'the node applied the SET, DEL and SETs typed');
});

t.test('shell: lines typed ahead in one chunk all run, in order', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press(KEY.tab);
  s.press('SET x "hello world"\rGET x\rKEYS *\rGET\r');
  // The shell pane shows the newest lines; the SET scrolled off, so check it by the calls.
  await s.see(/GET x\n\s*"hello world"\n.*KEYS \*\n\s*1\) "x"\n.*GET\n.*wrong number of arguments for 'get'/);
  t.same(s.source.callsOf('execute'), [['SET', 'x', 'hello world'], ['GET', 'x'], ['KEYS', '*']]);
});

t.test('shell: keys typed there never reach the table', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press(KEY.tab);
  await s.see('[shell]');
  s.press('k', 'K', 'r', 's', '?');
  await s.see('> kKrs?');
  t.same(s.source.calls, []);
  s.press(KEY.escape);
  await s.see('[table]');
});

t.test('shell: arity errors and bad quoting are answered locally', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press(KEY.tab);
  await s.type('GET');
  await s.see(/\(error\) ERR wrong number of arguments for 'get' command\n\s*usage: GET key/);
  await s.type('SET k "open');
  await s.see('Invalid argument(s)');
  t.same(s.source.calls, [], 'nothing was sent');
});

t.test('shell: other commands go to the node and print as redis-cli; :node switches', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press(KEY.tab);
  await s.type('HELLO world');
  await s.see("(error) ERR unknown command 'HELLO', with args beginning with: 'world'");
  await s.type('RAFT.INFO');
  await s.see(/1\) \(integer\) 1\n\s*2\) 1\) "role"\n\s*2\) leader/);
  await s.type('config get save');
  await s.see(/1\) "save"\n\s*2\) ""/);
  t.same(s.source.calls.map((c) => c.args), [['HELLO', 'world'], ['RAFT.INFO'], ['config', 'get', 'save']], 'sent as typed');
  await s.type(':node 3');
  await s.see(/talking to node 3\s*node 3 127\.0\.0\.1:7003>/);
  t.equal(s.source.shellNode, 3);
  await s.type(':node 9');
  await s.see('(error) ERR no node 9');
  await s.type('HELP');
  await s.see(':node <id>');
  await s.see('Any other command goes to the node as typed');
});

t.test('shell: history, editing, clearing', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.press(KEY.tab);
  await s.type('SET h 1');
  await s.see('OK');
  await s.type('GET h');
  await s.see('"1"');
  s.press(KEY.up);
  await s.see(/> GET h\s*$/m);
  s.press(KEY.up);
  await s.see(/> SET h 1\s*$/m);
  s.press(KEY.down);
  await s.see(/> GET h\s*$/m);
  s.press(KEY.backspace, KEY.backspace);
  await s.see(/> GET\s*$/m);
  s.press(KEY.ctrlU);
  await waitFor('line cleared', () => /127\.0\.0\.1:7001>\s*$/m.test(s.frame()), 3000, 5);
  s.press(KEY.ctrlL);
  await waitFor('output cleared', () => !s.frame().includes('"1"'), 3000, 5);
});

t.test('shell: a slow request shows it is waiting, then its reply', async (t) => {
  const s = start(t);
  let resolve: (r: ShellReply) => void = () => undefined;
  s.source.executeImpl = () => new Promise((r) => (resolve = r));
  await s.see('ADDRESS');
  s.press(KEY.tab);
  await s.type('GET slow');
  await s.see('(waiting for reply…)');
  await s.type('GET queued');
  await s.see('(waiting for reply…, 1 queued)');
  t.equal(s.source.callsOf('execute').length, 1, 'one request at a time');
  resolve({ type: 'bulk', value: 'finally' });
  await s.see(/GET slow\n\s*"finally"\n\s*127\.0\.0\.1:7001> GET queued/);
  t.same(s.source.callsOf('execute')[1], ['GET', 'queued'], 'the queued line ran next');
  resolve({ type: 'bulk', value: 'second' });
  await s.see('"second"');
  await waitFor('no longer waiting', () => !s.frame().includes('waiting'), 3000, 5);
});

t.test('shell: a failed request prints its code', async (t) => {
  const s = start(t);
  s.source.failNext('execute', new CodedError('TIMEOUT', 'no reply from 127.0.0.1:7001 within 5000 ms'));
  await s.see('ADDRESS');
  s.press(KEY.tab);
  await s.type('SET t 1');
  await s.see('(error) TIMEOUT no reply from 127.0.0.1:7001 within 5000 ms');
  s.source.executeImpl = () => {
    throw new Error('synchronous bug');
  };
  await s.type('PING');
  await s.see('(error) ERR synchronous bug');
});

t.test('prompt says when the shell is not connected', async (t) => {
  const s = start(t, new FakeClusterSource({ shellTarget: undefined }));
  await s.see(/not connected>\s*$/m);
});

t.test('detail pane shows the selected node’s entries and log tail', async (t) => {
  const source = new FakeClusterSource({
    entries: {
      1: [
        { index: 41, term: 5, kind: 'noop', command: '' },
        { index: 42, term: 5, kind: 'cmd', command: 'SET x 1' },
      ],
      2: [{ index: 42, term: 5, kind: 'cmd', command: 'SET only-on-2 1' }],
    },
    logTails: { 1: ['12:00:00 became follower term 5'], 2: ['12:00:01 became leader term 5'] },
  });
  const s = start(t, source);
  const f = await s.see('SET x 1');
  t.match(f, /41 t5\s+\(no-op\)/);
  t.match(f, /logs\/node-1\.log/);
  t.match(f, /became follower term 5/);
  s.press('2');
  await s.see('SET only-on-2 1');
  t.match(s.frame(), /became leader term 5/);
  t.notMatch(s.frame(), /SET x 1/);
  s.press('3');
  await s.see('(no entries)');
  t.match(s.frame(), /\(no log lines\)/);
});

t.test('stats bar shows shell latency and commit rate', async (t) => {
  const s = start(t, new FakeClusterSource({ metrics: { shellOps: 12, p50Ms: 1.25, p99Ms: 4.5, commitRatePerSec: 35 } }));
  await s.see(/shell\s+12 ops\s+p50\s+1\.3 ms\s+p99\s+4\.5 ms\s+│ commits\s+35\.0\/s/);
});

t.test('too small a terminal says so, and q still quits', async (t) => {
  const s = start(t, new FakeClusterSource(), { columns: 60, rows: 15 });
  const f = await s.see('Terminal too small');
  t.match(f, /60x15, need at least 80x\d+/);
  s.press('k');
  s.press('q');
  await waitFor('q quits', () => s.quits() === 1, 3000, 5);
  t.same(s.source.calls, [], 'no chaos while nothing shows its effect');
});

t.test('follows the real terminal size and its resizes', async (t) => {
  const source = new FakeClusterSource();
  const r = render(<App source={source} />);
  t.teardown(() => r.unmount());
  const frame = () => plain(r.lastFrame() ?? '');
  // ink-testing-library's stdout is 100 columns and knows no rows: 24 is assumed.
  await waitForFrame(frame, 'ADDRESS');
  t.equal(frame().split('\n').length, 23);
  Object.defineProperty(r.stdout, 'rows', { value: 12, configurable: true });
  r.stdout.emit('resize');
  await waitForFrame(frame, 'Terminal too small');
  t.match(frame(), /100x12/);
  Object.defineProperty(r.stdout, 'rows', { value: 40, configurable: true });
  r.stdout.emit('resize');
  await waitForFrame(frame, 'ADDRESS');
  t.equal(frame().split('\n').length, 39);
});

t.test('shell: a runaway queue is bounded', async (t) => {
  const s = start(t);
  s.source.executeImpl = () => new Promise(() => undefined);
  await s.see('ADDRESS');
  s.press(KEY.tab);
  s.press('PING\r'.repeat(102));
  await s.see("(error) ERR too many commands waiting (100); dropped: PING");
  t.match(s.frame(), /waiting for reply…, 100 queued/);
  t.equal(s.source.callsOf('execute').length, 1);
});

t.test('unmount unsubscribes from the source', async (t) => {
  const source = new FakeClusterSource();
  const r = render(<App source={source} size={SIZE} />);
  await waitFor('subscribed', () => source.listenerCount === 1, 3000, 5);
  r.unmount();
  t.equal(source.listenerCount, 0);
});

// The layout at three terminal sizes: the frame fills rows - 1 lines of at most columns - 1
// columns, the node detail panels grow with the terminal, the shell pane stays within a third.
for (const size of [{ columns: 80, rows: 24 }, { columns: 120, rows: 40 }, { columns: 200, rows: 60 }]) {
  t.test(`layout at ${size.columns}x${size.rows}`, async (t) => {
    const s = start(t, new FakeClusterSource(), size);
    await s.see('ADDRESS');
    s.press(KEY.tab);
    for (const line of ['SET 日本 語', 'GET 日本', 'KEYS *', 'DBSIZE', 'PING']) await s.type(line);
    await s.see(/> PING\s+PONG/);
    const lines = s.frame().split('\n');
    t.equal(lines.length, size.rows - 1, 'rows - 1 lines');
    t.same(lines.filter((l) => stringWidth(l) > size.columns - 1), [], 'no line wider than columns - 1');
    const detailTop = lines.findIndex((l) => l.includes('raft log, newest last'));
    const eventsTop = lines.findIndex((l) => l.startsWith('── events'));
    const shellTop = lines.findIndex((l) => l.startsWith('── shell'));
    const detailLines = eventsTop - detailTop - 1;
    const shellPane = lines.length - shellTop;
    t.ok(shellPane <= Math.max(4, Math.floor((size.rows - 1) / 3)), `shell pane ${shellPane} lines, at most a third`);
    t.ok(detailLines >= size.rows - 1 - 7 - 3 - 4 - shellPane + 2, `detail panels take the rest: ${detailLines} lines`);
    t.match(lines.slice(shellTop).join('\n'), /PING/, 'the newest shell lines show');
    if (size.rows >= 40) t.match(lines.slice(shellTop).join('\n'), /> SET 日本 語/, 'wide characters in the echo, measured as two columns each');
  });
}
