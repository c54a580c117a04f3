/** The rules that decide a row's state from the supervisor's word and the node's answers. */
import t from 'tap';
import type { NodeStatusValue } from '../../src/protocol/client-requests.js';
import type { NodeState } from '../../src/tui/model.js';
import { buildNodeView, NO_PROBE, nodeState, reuseNodeViews, uptimeAt, type ProbeInfo, type ProcessInfo } from '../../src/tui/node-view.js';

const ADDRESS = { id: 2, host: '127.0.0.1', port: 7002, peerPort: 7102 };

function status(extra: Partial<NodeStatusValue> = {}): NodeStatusValue {
  return { id: 2, role: 'follower', term: 4, leader: 1, commitIndex: 9, lastApplied: 8, lastLogIndex: 10, lastLogTerm: 4, pid: 500, uptimeMs: 65_432, ...extra };
}

const up = (pid = 500): ProcessInfo => ({ state: 'up', pid });
const NOW = 1_700_000_100_500;
/** Started 65.4 s before NOW. */
const ok: ProbeInfo = { status: status(), ok: true, failures: 0, startedAtMs: NOW - 65_400 };
/** A failed poll; `answered: false` for a node that never answered (no last status). */
const failed = (code: string, failures = 1, answered = true): ProbeInfo => ({
  status: answered ? status() : undefined,
  ok: false,
  failures,
  failureCode: code,
});

t.test('state from supervisor and probe', async (t) => {
  const cases: [string, ProcessInfo | undefined, ProbeInfo, NodeState][] = [
    ['supervisor saw it die', { state: 'down', pid: null }, ok, 'down'],
    ['stopped on purpose', { state: 'stopped', pid: null }, NO_PROBE, 'stopped'],
    ['answers', up(), ok, 'up'],
    ['a new process that has not answered yet', up(501), failed('UNAVAILABLE'), 'starting'],
    ['never answered at all', up(), NO_PROBE, 'starting'],
    ['this process answered before, then timed out (hung)', up(), failed('TIMEOUT'), 'unreachable'],
    ['one refused poll is held (the supervisor may be about to say down)', up(), failed('CONNECTION_LOST'), 'up'],
    ['two refused polls in a row', up(), failed('UNAVAILABLE', 2), 'unreachable'],
    ['no supervisor, nothing polled yet', undefined, NO_PROBE, 'starting'],
    ['no supervisor, refused: nothing listens', undefined, failed('UNAVAILABLE', 1, false), 'down'],
    ['no supervisor, timed out', undefined, failed('TIMEOUT'), 'unreachable'],
    ['no supervisor, answers', undefined, ok, 'up'],
  ];
  for (const [what, proc, probe, want] of cases) t.equal(nodeState(proc, probe), want, what);
});

t.test('uptimes turn over together, on the wall clock’s seconds', async (t) => {
  const a = 1_000_000_123; // started at .123
  const b = 1_000_000_877; // started at .877
  t.equal(uptimeAt(a, 1_000_010_999), 10_000, 'within a second of the true 10.876 s');
  t.equal(uptimeAt(b, 1_000_010_999), 9000, 'within a second of the true 10.122 s');
  t.equal(uptimeAt(a, 1_000_011_000), 11_000, 'both tick at the same instant');
  t.equal(uptimeAt(b, 1_000_011_000), 10_000);
  t.equal(uptimeAt(a, 1_000_011_999), 11_000, 'and not before the next second');
  t.equal(uptimeAt(a, a - 5000), 0, 'never negative');
});

t.test('a row carries the Raft fields, uptime in whole seconds, pid from the supervisor', async (t) => {
  const v = buildNodeView(ADDRESS, up(), ok, NOW);
  t.same(v, {
    id: 2,
    host: '127.0.0.1',
    port: 7002,
    state: 'up',
    role: 'follower',
    term: 4,
    leader: 1,
    lastLogIndex: 10,
    lastLogTerm: 4,
    commitIndex: 9,
    lastApplied: 8,
    uptimeMs: 65_000,
    pid: 500,
  });
});

t.test('a node that is not up keeps its last Raft fields but no uptime or pid', async (t) => {
  const v = buildNodeView(ADDRESS, { state: 'down', pid: null }, failed('UNAVAILABLE', 3), NOW);
  t.equal(v.state, 'down');
  t.equal(v.term, 4, 'last known term kept (the table dims it)');
  t.equal(v.uptimeMs, undefined);
  t.equal(v.pid, undefined);
});

t.test('a node that never answered has identity only, and is still a row', async (t) => {
  t.same(buildNodeView(ADDRESS, undefined, failed('UNAVAILABLE', 1, false), NOW), { id: 2, host: '127.0.0.1', port: 7002, state: 'down' });
});

t.test('without a supervisor, the pid comes from the node itself', async (t) => {
  t.equal(buildNodeView(ADDRESS, undefined, ok, NOW).pid, 500);
});

t.test('reuseNodeViews keeps identity when nothing changed', async (t) => {
  const a = [buildNodeView(ADDRESS, up(), ok, NOW), buildNodeView({ ...ADDRESS, id: 3, port: 7003 }, up(), ok, NOW)];
  const same = [buildNodeView(ADDRESS, up(), ok, NOW), buildNodeView({ ...ADDRESS, id: 3, port: 7003 }, up(), ok, NOW)];
  t.equal(reuseNodeViews(a, same), a, 'equal content: the old array');
  const changed = [same[0]!, { ...same[1]!, term: 5 }];
  const out = reuseNodeViews(a, changed);
  t.not(out, a);
  t.equal(out[0], a[0], 'unchanged row keeps its object');
  t.equal(out[1]!.term, 5);
  t.not(reuseNodeViews([], a), a);
});

t.test('the supervisor\'s restart count reaches the row, and a change in it is a change', async (t) => {
  const down = buildNodeView(ADDRESS, { state: 'down', pid: null, restarts: 2 }, NO_PROBE, 0);
  t.equal(down.restarts, 2);
  t.equal(buildNodeView(ADDRESS, undefined, NO_PROBE, 0).restarts, undefined, 'no supervisor, no count');
  const again = buildNodeView(ADDRESS, { state: 'down', pid: null, restarts: 3 }, NO_PROBE, 0);
  t.not(reuseNodeViews([down], [again])[0], down, 'a new count redraws the row');
});
