import t from 'tap';
import { RateLimitedLog } from '../../src/node/rate-limited-log.js';

t.test('at most N lines per window, then one line summing up what was left out', async (t) => {
  const lines: string[] = [];
  let now = 0;
  const log = new RateLimitedLog({ debug() {}, info() {}, error() {}, warn: (m) => lines.push(m) }, 3, 1000, () => now);
  for (let i = 0; i < 100; i++) log.warn(`refused ${i}`);
  t.same(lines, ['refused 0', 'refused 1', 'refused 2']);
  now = 999;
  log.warn('still in the window');
  t.equal(lines.length, 3);
  now = 1000;
  log.warn('next window');
  t.same(lines.slice(3), ['(98 more such lines not logged in the last 1 s)', 'next window']);
});
