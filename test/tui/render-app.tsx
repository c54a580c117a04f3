/**
 * The App rendered against a FakeClusterSource at a fixed size and clock, for key tests: what
 * the frame shows (plain text), waiting for it, and pressing keys. Unmounted in teardown.
 */
import { render } from 'ink-testing-library';
import { App } from '../../src/tui/components/App.js';
import { FakeClusterSource } from './fake-cluster-source.js';
import { plain, waitForFrame } from './wait-for.js';

export function renderApp(t: { teardown: (fn: () => unknown) => void }, source = new FakeClusterSource(), size = { columns: 100, rows: 30 }) {
  const r = render(<App source={source} size={size} now={() => 1_700_000_000_000} onQuit={() => {}} />);
  t.teardown(() => r.unmount());
  const frame = () => plain(r.lastFrame() ?? '');
  const see = (a: string | RegExp) => waitForFrame(frame, a);
  const press = (k: string) => r.stdin.write(k);
  /** Presses each key in turn, waiting after each for its text when one is given. */
  const script = async (steps: ReadonlyArray<readonly [key: string, expect?: string | RegExp]>): Promise<void> => {
    for (const [key, expect] of steps) {
      press(key);
      if (expect !== undefined) await see(expect);
    }
  };
  return { source, frame, see, press, script };
}
