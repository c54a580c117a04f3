/**
 * The bin's root: quitting asks "Stop the cluster? (y/n)" only when raft-tui started the cluster,
 * and going back keeps the monitor's state.
 */
import t from 'tap';
import { render } from 'ink-testing-library';
import { quitChoiceFor, QUIT_QUESTION } from '../../../src/tui/components/QuitPrompt.js';
import { Root } from '../../../src/tui/components/Root.js';
import { FakeClusterSource } from '../fake-cluster-source.js';
import { waitFor } from '../../lib/wait-for.js';
import { plain, waitForFrame } from '../wait-for.js';

type HasTeardown = { teardown: (fn: () => unknown) => void };

function start(t: HasTeardown, askOnQuit: boolean) {
  const choices: string[] = [];
  const r = render(<Root source={new FakeClusterSource()} askOnQuit={askOnQuit} onExit={(c) => choices.push(c)} />);
  t.teardown(() => r.unmount());
  const frame = () => plain(r.lastFrame() ?? '');
  return { r, choices, frame, see: (s: string) => waitForFrame(frame, s), press: (k: string) => r.stdin.write(k) };
}

t.test('quitChoiceFor', async (t) => {
  t.equal(quitChoiceFor('y', {}), 'stop');
  t.equal(quitChoiceFor('Y', {}), 'stop');
  t.equal(quitChoiceFor('n', {}), 'leave');
  t.equal(quitChoiceFor('c', { ctrl: true }), 'leave');
  t.equal(quitChoiceFor('', { escape: true }), 'cancel');
  t.equal(quitChoiceFor('x', {}), undefined);
  t.equal(quitChoiceFor('q', {}), undefined);
});

t.test('attached: q quits at once and leaves the cluster', async (t) => {
  const { choices, see, press } = start(t, false);
  await see('127.0.0.1:7001');
  press('q');
  await waitFor('a choice', () => choices.length > 0, 3000, 5);
  t.same(choices, ['leave']);
});

t.test('started: q asks; y stops', async (t) => {
  const { choices, see, press, frame } = start(t, true);
  await see('127.0.0.1:7001');
  press('q');
  await see(QUIT_QUESTION);
  t.notMatch(frame(), '127.0.0.1:7001', 'the question replaces the monitor');
  press('x');
  t.same(choices, [], 'other keys do nothing');
  press('y');
  await waitFor('a choice', () => choices.length > 0, 3000, 5);
  t.same(choices, ['stop']);
});

t.test('started: n leaves it running; Ctrl-C at the question too', async (t) => {
  for (const key of ['n', '\u0003']) {
    const { choices, see, press } = start(t, true);
    await see('127.0.0.1:7001');
    press('\u0003');
    await see(QUIT_QUESTION);
    press(key);
    await waitFor('a choice', () => choices.length > 0, 3000, 5);
    t.same(choices, ['leave'], JSON.stringify(key));
  }
});

t.test('Esc goes back to the monitor with its state intact', async (t) => {
  const { choices, see, press, frame } = start(t, true);
  await see('127.0.0.1:7001');
  press('3'); // select node 3
  await waitForFrame(frame, (f) => f.split('\n').some((l) => l.startsWith('>') && l.includes('127.0.0.1:7003')));
  press('q');
  await see(QUIT_QUESTION);
  press('\u001b');
  await waitForFrame(frame, (f) => !f.includes(QUIT_QUESTION) && f.includes('127.0.0.1:7001'));
  t.ok(frame().split('\n').some((l) => l.startsWith('>') && l.includes('127.0.0.1:7003')), 'node 3 still selected');
  t.same(choices, []);
});
