import t from 'tap';
import { backoffDelayMs } from '../../src/client/backoff.js';

t.test('backoff doubles up to the cap, with jitter in [0.5, 1)', async (tt) => {
  const opts = { baseMs: 10, maxMs: 100 };
  tt.equal(backoffDelayMs(0, opts, () => 0), 5, 'lowest jitter halves');
  tt.equal(backoffDelayMs(1, opts, () => 0), 10);
  tt.equal(backoffDelayMs(3, opts, () => 0), 40);
  tt.equal(backoffDelayMs(10, opts, () => 0), 50, 'capped');
  tt.ok(backoffDelayMs(10, opts, () => 0.999999) < 100);
  tt.equal(backoffDelayMs(1e9, opts, () => 0), 50, 'huge attempt counts do not overflow');
});
