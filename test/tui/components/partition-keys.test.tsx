/**
 * The partition keys and the link view against a fake ClusterSource: `i` isolates the selected
 * node, `I` the leader, `h` heals, `l` swaps the raft log for the link view, which shows what each
 * node reports about its peers and follows every new snapshot.
 */
import t from 'tap';
import { renderApp } from '../render-app.js';

const start = (t: { teardown: (fn: () => unknown) => void }) => renderApp(t);

t.test('i, I and h call the source and say so on the timeline', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  await s.script([['3'], ['i', 'isolate node 3'], ['I', 'isolate the leader'], ['h', 'heal the network']]);
  t.same(s.source.calls.map((c) => [c.method, ...c.args]), [['isolate', 3], ['isolate', 'leader'], ['heal']]);
});

t.test('a failed isolate shows the error', async (t) => {
  const s = start(t);
  await s.see('ADDRESS');
  s.source.failNext('isolate', Object.assign(new Error('no supervisor'), { code: 'UNAVAILABLE' }));
  s.press('i');
  await s.see(/isolate node 1 failed: .*no supervisor/);
});

t.test('l shows the link view, live; l again goes back to the log', async (t) => {
  const s = start(t);
  await s.see('node 1: raft log');
  const links = (a: number | null, cut = false) => ({ heardAgoMs: a, cutIn: cut, cutOut: cut });
  s.source.patchNode(1, { links: { '2': links(100), '3': links(null) } });
  s.source.patchNode(3, { links: { '1': links(null, true), '2': links(null, true) }, delayMs: 200 });
  s.press('l');
  let f = await s.see('links: time since');
  t.match(f, /hears 1\s+hears 2\s+hears 3/);
  t.match(f, /node 1 follower\s+-\s+0\.1s\s+never/);
  t.match(f, /node 3 follower \+200ms\s+never cut\s+never cut\s+-/);
  t.notMatch(f, /node 1: raft log/);
  s.source.patchNode(1, { links: { '2': links(12_000), '3': links(300) } });
  f = await s.see(/node 1 follower\s+-\s+12s\s+0\.3s/);
  t.pass('the view follows new snapshots');
  s.press('l');
  await s.see('node 1: raft log');
});
