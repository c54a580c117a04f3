import t from 'tap';
import { keysWithin, newestEntriesWithin } from '../../src/node/reply-caps.js';
import type { Entry } from '../../src/protocol/raft-messages.js';

t.test('entries: the newest that fit, oldest first, at least one', async (t) => {
  const entries: Entry[] = [1, 2, 3, 4].map((index) => ({ term: 1, index, kind: 'cmd', data: { op: 'set', key: 'k', value: 'v'.repeat(1000) } }));
  t.same(newestEntriesWithin(entries, 2500).map((e) => e.index), [3, 4]);
  t.same(newestEntriesWithin(entries, 100).map((e) => e.index), [4], 'one entry over the cap still comes alone');
  t.same(newestEntriesWithin(entries, 1e9).map((e) => e.index), [1, 2, 3, 4]);
  t.same(newestEntriesWithin([], 100), []);
});

t.test('KEYS: the list, or TOO_LARGE past the cap', async (t) => {
  t.same(keysWithin(['a', 'b'], 100), ['a', 'b']);
  t.throws(() => keysWithin(['a'.repeat(60), 'b'.repeat(60)], 100), { code: 'TOO_LARGE', message: /KEYS answer over 100 bytes \(2 keys match\); use a narrower pattern/ });
});
