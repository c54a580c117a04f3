import t from 'tap';
import { entriesJson, stringifyWithEntries } from '../../src/protocol/entries-json.js';
import type { AppendRequest, Entry } from '../../src/protocol/raft-messages.js';

const run = (from: number, n: number, term = 1): Entry[] =>
  Array.from({ length: n }, (_, i) => ({ term, index: from + i, kind: 'cmd' as const, data: { op: 'set', key: `k${from + i}`, value: 'v"\u2028' } }));

t.test('entriesJson is JSON.stringify, reused for the same run of objects', async (t) => {
  const log = run(1, 10);
  const a = log.slice(3, 8);
  t.equal(entriesJson(a), JSON.stringify(a));
  t.equal(entriesJson(log.slice(3, 8)), JSON.stringify(a), 'another slice of the same objects');
  t.equal(entriesJson([]), '[]');
  // Same length and indices, other objects (a follower's log after its suffix was replaced).
  const replaced = run(4, 5, 2);
  t.equal(entriesJson(replaced), JSON.stringify(replaced), 'new objects are serialised afresh');
  t.equal(entriesJson(log.slice(3, 7)), JSON.stringify(log.slice(3, 7)), 'a shorter run is serialised afresh');
});

t.test('stringifyWithEntries parses back to the same message', async (t) => {
  const entries = run(5, 3);
  const m: AppendRequest = { type: 'append', from: 1, to: 2, term: 3, prevLogIndex: 4, prevLogTerm: 1, commit: 4, sentTick: 99, entries };
  t.same(JSON.parse(stringifyWithEntries(m)), m);
  const empty: AppendRequest = { ...m, entries: [] };
  t.same(JSON.parse(stringifyWithEntries(empty)), empty);
  t.same(JSON.parse(stringifyWithEntries({ entries })), { entries }, 'no other fields');
});
