/**
 * RaftKvClient against fake nodes (real TCP servers on ports from the OS): request shapes, leader
 * following, retries with the same seq, failover past dead or silent nodes, giving up at the
 * deadline with a clear error, and exactly-once session slots. Tests about timeouts, backoff and
 * deadlines run the client on a FakeClock and assert on its time, not on the wall clock, so a
 * loaded machine can slow them down but not fail them.
 */
import t from 'tap';
import { RaftKvClient } from '../../src/client/raftkv-client.js';
import type { ClientLogEvent } from '../../src/client/client-log.js';
import { RaftKvError } from '../../src/protocol/errors.js';
import { FakeNode, type FakeHandler } from './fake-node.js';
import { waitFor } from '../lib/wait-for.js';
import { FakeClock } from '../lib/fake-clock.js';

/** What the helpers need of a test: somewhere to register cleanup. */
interface Test {
  teardown(fn: () => unknown): void;
}

async function fakes(tt: Test, n: number, handler?: FakeHandler): Promise<FakeNode[]> {
  const nodes: FakeNode[] = [];
  for (let i = 1; i <= n; i++) nodes.push(await FakeNode.start(i, handler));
  tt.teardown(() => Promise.all(nodes.map((f) => f.close())));
  return nodes;
}

function client(tt: Test, nodes: { id: number; host: string; port: number }[], extra: Partial<ConstructorParameters<typeof RaftKvClient>[0]> = {}) {
  const events: ClientLogEvent[] = [];
  const c = new RaftKvClient({
    nodes,
    timeoutMs: 2000,
    random: () => 0.5,
    backoff: { baseMs: 5, maxMs: 40 },
    logger: (e) => events.push(e),
    ...extra,
  });
  tt.teardown(() => c.close());
  return { c, events };
}

/**
 * Moves `clock` forward 1 ms per real turn (so the fake nodes' replies, on real sockets, keep
 * arriving in between) until `call` settles; resolves with the fake time it settled at and its
 * outcome. A call that never settles fails the test after `limitMs` of fake time.
 */
async function onFakeTime(clock: FakeClock, call: Promise<unknown>, limitMs = 60_000): Promise<{ atMs: number; value?: unknown; error?: unknown }> {
  let outcome: { atMs: number; value?: unknown; error?: unknown } | null = null;
  call.then(
    (value) => (outcome = { atMs: clock.monotonic(), value }),
    (error: unknown) => (outcome = { atMs: clock.monotonic(), error }),
  );
  while (outcome === null) {
    if (clock.monotonic() > limitMs) throw new Error(`the call did not settle within ${limitMs} ms of fake time`);
    await new Promise((r) => setTimeout(r, 1));
    if (outcome === null) clock.advance(1);
  }
  return outcome;
}

/**
 * An address nothing listens on. A port found free and released could be taken by a node of a
 * test running in parallel before we dial it; privileged low ports on loopback (tcpmux, echo and
 * friends) are not served here, and no test can bind them.
 */
async function deadAddress(id: number): Promise<{ id: number; host: string; port: number }> {
  return { id, host: '127.0.0.1', port: id };
}

t.test('get/set/del/cas/exists/keys send the JSON dialect and return typed results', async (tt) => {
  const [n1] = await fakes(tt, 1);
  const { c } = client(tt, [n1.address]);
  tt.equal(await c.get('a'), null, 'absent key is null');
  await c.set('a', '1');
  tt.equal(await c.get('a'), '1');
  tt.equal(await c.cas('a', '1', '2'), true, 'cas with the right expected swaps');
  tt.equal(await c.cas('a', '1', '3'), false, 'cas with a wrong expected does not');
  tt.equal(await c.cas('b', null, 'x'), true, 'expected null = must be absent');
  tt.equal(await c.exists('a'), 1);
  tt.equal(await c.exists(['a', 'b', 'zz']), 2);
  tt.same(await c.keys(), ['a', 'b']);
  tt.equal(await c.del(['a', 'b', 'nope']), 2);
  tt.equal(await c.del('a'), 0);

  const sets = n1.ops('set');
  tt.equal(sets.length, 1);
  tt.match(sets[0], { op: 'set', key: 'a', value: '1', clientId: c.clientId, seq: 1 });
  tt.match(n1.ops('cas')[2], { op: 'cas', key: 'b', expected: null, value: 'x' });
  tt.same(n1.ops('del')[0].keys, ['a', 'b', 'nope'], 'several keys go as `keys`');
  tt.equal(n1.ops('del')[1].key, 'a', 'one key goes as `key`');
  tt.notOk('clientId' in n1.ops('get')[0], 'reads carry no session');
  const seqs = n1.requests.filter((r) => r.clientId !== undefined).map((r) => r.seq);
  tt.same(seqs, [1, 2, 3, 4, 5, 6], 'sequential writes use one session with a growing seq');
  const ids = n1.requests.map((r) => r.id);
  tt.equal(new Set(ids).size, ids.length, 'request ids are unique on a connection');
  tt.equal(n1.accepted, 1, 'one persistent connection');
});

t.test('concurrent writes get distinct session slots, so none is refused as a stale seq', async (tt) => {
  // Replies in reverse order of arrival, to make the writes truly overlap.
  const held: Array<() => void> = [];
  let toHold = 3;
  const [n1] = await fakes(tt, 1, (req, node) => {
    if (req.op !== 'set' || toHold-- <= 0) return node.kv(req);
    return new Promise((resolve) => {
      held.push(() => resolve(node.kv(req)));
      if (held.length === 3) for (const release of held.reverse()) release();
    });
  });
  const { c } = client(tt, [n1.address]);
  await Promise.all([c.set('a', '1'), c.set('b', '2'), c.set('c', '3')]);
  const sessions = n1.ops('set').map((r) => `${r.clientId}#${r.seq}`);
  tt.equal(new Set(n1.ops('set').map((r) => r.clientId)).size, 3, `three slots: ${sessions.join(' ')}`);
  tt.ok(n1.ops('set').some((r) => r.clientId === c.clientId), 'slot 0 is the client id itself');
  await c.set('d', '4');
  const last = n1.ops('set').at(-1)!;
  tt.equal(last.seq, 2, 'a freed slot is reused with the next seq');
});

t.test('NOT_LEADER with a hint goes straight to the hinted leader', async (tt) => {
  const nodes = await fakes(tt, 3);
  const [n1, n2, n3] = nodes;
  n1.handler = () => ({ error: { code: 'NOT_LEADER', details: { leader: 3 } } });
  n2.handler = () => ({ error: { code: 'NOT_LEADER', details: { leader: 3 } } });
  const { c, events } = client(tt, nodes.map((n) => n.address));
  await c.set('k', 'v');
  tt.equal(n3.store.get('k'), 'v');
  tt.equal(n2.requests.length, 0, 'node 2 was skipped');
  tt.equal(c.leaderId, 3);
  tt.ok(events.some((e) => e.kind === 'leader-change' && e.nodeId === 3), 'leader change logged');
  tt.equal(n1.ops('set')[0].seq, n3.ops('set')[0].seq, 'the retry reuses the seq');
  await c.get('k');
  tt.equal(n1.ops('get').length, 0, 'later requests go to the known leader first');
});

t.test('NOT_LEADER without a hint tries the next node', async (tt) => {
  const nodes = await fakes(tt, 2);
  nodes[0].handler = () => ({ error: { code: 'NOT_LEADER' } });
  const { c } = client(tt, nodes.map((n) => n.address));
  await c.set('k', 'v');
  tt.equal(nodes[1].store.get('k'), 'v');
});

t.test('a refused connection fails over to the next node', async (tt) => {
  const [n2] = await fakes(tt, 1);
  const dead = await deadAddress(1);
  const { c, events } = client(tt, [dead, { ...n2.address, id: 2 }]);
  await c.set('k', 'v');
  tt.equal(n2.store.get('k'), 'v');
  tt.ok(events.some((e) => e.kind === 'retry' && e.nodeId === 1 && /ECONNREFUSED/.test(e.message)), 'retry logged with the reason');
});

t.test('a connection dropped mid-write is retried with the same seq', async (tt) => {
  let drops = 1;
  const [n1] = await fakes(tt, 1, (req, node) => (req.op === 'set' && drops-- > 0 ? 'drop' : node.kv(req)));
  const { c, events } = client(tt, [n1.address]);
  await c.set('k', 'v');
  const sets = n1.ops('set');
  tt.equal(sets.length, 2, 'sent twice');
  tt.equal(sets[0].seq, sets[1].seq, 'same seq on the retry');
  tt.equal(sets[0].clientId, sets[1].clientId, 'same client id on the retry');
  tt.equal(n1.accepted, 2, 'reconnected');
  tt.ok(events.some((e) => e.kind === 'disconnect'), 'disconnect logged');
});

/** A node with the state machine's session rule: no session for the id and seq > 1 -> SESSION_EXPIRED, not applied. */
function sessionRule(sessions: Map<string, number>): FakeHandler {
  return (req, node) => {
    if (req.op !== 'set') return node.kv(req);
    if (req.seq > 1 && !sessions.has(req.clientId)) return { error: { code: 'SESSION_EXPIRED', message: 'no session' } };
    sessions.set(req.clientId, req.seq);
    return node.kv(req);
  };
}

t.test('a write that certainly failed gives its seq back: the next write is not refused as SESSION_EXPIRED', async (tt) => {
  const sessions = new Map<string, number>();
  const [n1] = await fakes(tt, 1, sessionRule(sessions));
  const clock = new FakeClock();
  const { c, events } = client(tt, [n1.address], { clock });
  // The client's first write meets no leader until its deadline: refused every time, never applied.
  const handler = n1.handler;
  n1.handler = () => ({ error: { code: 'NO_LEADER' } });
  tt.match((await onFakeTime(clock, c.set('lost', '1', { timeoutMs: 100 }))).error, { code: 'TIMEOUT' });
  n1.handler = handler;
  await c.set('k', 'v');
  tt.ok(n1.ops('set').every((r) => r.key !== 'lost' || r.seq === 1), 'the failed write was seq 1 on every try');
  tt.match(n1.ops('set').filter((r) => r.key === 'k'), [{ clientId: c.clientId, seq: 1 }], 'the next write is seq 1 again, in the same session');
  tt.equal(n1.store.get('k'), 'v', 'and applied');
  tt.equal(c.sessionsRenewed, 0, 'no session was renewed');
  tt.notOk(events.some((e) => /SESSION_EXPIRED/.test(e.message)), 'no SESSION_EXPIRED');
  await c.set('k', 'w');
  tt.match(n1.ops('set').at(-1), { clientId: c.clientId, seq: 2 });
});

t.test('SESSION_EXPIRED (the session was evicted): the slot starts a new session, and the write goes again under it', async (tt) => {
  const sessions = new Map<string, number>();
  const [n1] = await fakes(tt, 1, sessionRule(sessions));
  const { c, events } = client(tt, [n1.address]);
  await c.set('k', 'v');
  sessions.clear();
  await c.set('k', 'w');
  tt.equal(n1.store.get('k'), 'w', 'applied under the new session');
  const sets = n1.ops('set');
  tt.match(sets, [{ clientId: c.clientId, seq: 1 }, { clientId: c.clientId, seq: 2 }, { clientId: `${c.clientId}~1`, seq: 1 }]);
  tt.ok(events.some((e) => e.kind === 'retry' && /SESSION_EXPIRED; retrying under a new session/.test(e.message)));
  tt.equal(c.sessionsRenewed, 1);
  await c.set('k', 'x');
  tt.match(n1.ops('set').at(-1), { clientId: `${c.clientId}~1`, seq: 2 }, 'later writes stay in the new session');
  tt.equal(n1.store.get('k'), 'x');
});

t.test('SESSION_EXPIRED after an earlier try may have arrived: the write is not sent again, and its outcome is unknown (TIMEOUT), not refused', async (tt) => {
  let drops = 1;
  const [n1] = await fakes(tt, 1, (req) => (req.op === 'set' && drops-- > 0 ? 'drop' : { error: { code: 'SESSION_EXPIRED', message: 'no session' } }));
  const { c } = client(tt, [n1.address]);
  await tt.rejects(c.set('k', 'v'), { code: 'TIMEOUT', message: /may or may not have been applied/ });
  tt.equal(n1.ops('set').length, 2, 'the dropped try and the refused one; no third under a new session');
  await tt.rejects(c.set('k', 'v2'), { code: 'SESSION_EXPIRED' });
  tt.equal(n1.ops('set').at(-2)!.clientId, `${c.clientId}~1`, 'but the next write already uses the new session');
});

t.test('a silent node costs one attempt timeout, then the next node answers', async (tt) => {
  const nodes = await fakes(tt, 2);
  nodes[0].handler = () => 'silent';
  const clock = new FakeClock();
  const { c } = client(tt, nodes.map((n) => n.address), { timeoutMs: 3000, attemptTimeoutMs: 200, clock });
  const call = c.get('x');
  await waitFor('the request at node 1', () => nodes[0].requests.length === 1, 10_000, 5);
  clock.advance(199);
  await new Promise((r) => setTimeout(r, 20));
  tt.equal(nodes[1].requests.length, 0, 'node 2 is not asked before the attempt timeout');
  const r = await onFakeTime(clock, call);
  tt.equal(r.value, null);
  // 200 ms attempt timeout, then a backoff of 5 * (0.5 + 0.5 * 0.5) = 3.75 ms, then node 2's reply.
  tt.ok(r.atMs >= 200 && r.atMs <= 260, `answered at ${r.atMs} ms of fake time`);
  tt.equal(nodes[1].ops('get').length, 1);
});

t.test('NO_LEADER everywhere: gives up at the deadline with TIMEOUT and says what was tried', async (tt) => {
  const nodes = await fakes(tt, 2, () => ({ error: { code: 'NO_LEADER', message: 'election under way' } }));
  const clock = new FakeClock();
  const { c, events } = client(tt, nodes.map((n) => n.address), { timeoutMs: 400, clock });
  const { atMs, error: err } = await onFakeTime(clock, c.set('k', 'v'));
  tt.ok(err instanceof RaftKvError, 'a RaftKvError');
  tt.equal((err as RaftKvError).code, 'TIMEOUT');
  tt.match((err as RaftKvError).message, /gave up after 400 ms/);
  tt.match((err as RaftKvError).message, /node 1: NO_LEADER: election under way/);
  tt.match((err as RaftKvError).message, /node 2: NO_LEADER/);
  tt.equal(atMs, 400, 'gave up exactly at the deadline (fake time)');
  tt.notOk((err as RaftKvError).details?.maybeApplied, 'every try was refused: the write was not applied');
  tt.ok(events.some((e) => e.kind === 'give-up'), 'give-up logged');
  const seqs = new Set([...nodes[0].ops('set'), ...nodes[1].ops('set')].map((r) => r.seq));
  tt.equal(seqs.size, 1, 'every retry used the same seq');
});

t.test('every node down: UNAVAILABLE within the deadline', async (tt) => {
  const clock = new FakeClock();
  const { c } = client(tt, [await deadAddress(1), await deadAddress(2)], { timeoutMs: 300, clock });
  const { atMs, error } = await onFakeTime(clock, c.get('k'));
  tt.match(error, { code: 'UNAVAILABLE', message: /node 1: UNAVAILABLE.*node 2: UNAVAILABLE/ });
  tt.equal(atMs, 300, 'at the deadline (fake time), not before');
});

t.test('a write that timed out says its outcome is unknown', async (tt) => {
  const [n1] = await fakes(tt, 1, () => 'silent');
  const clock = new FakeClock();
  const { c } = client(tt, [n1.address], { timeoutMs: 300, clock });
  const { atMs, error } = await onFakeTime(clock, c.set('k', 'v'));
  tt.match(error, { code: 'TIMEOUT', message: /may or may not have been applied/, details: { maybeApplied: true } });
  tt.equal(atMs, 300);
});

t.test('final errors are thrown at once, without retries', async (tt) => {
  const nodes = await fakes(tt, 2, () => ({ error: { code: 'BAD_REQUEST', message: "field 'key' must be a string" } }));
  const { c } = client(tt, nodes.map((n) => n.address));
  await tt.rejects(c.get('k'), { code: 'BAD_REQUEST', message: "field 'key' must be a string" });
  tt.equal(nodes[0].requests.length + nodes[1].requests.length, 1, 'asked once');
  nodes[0].handler = () => ({ error: { code: 'SOMETHING_NEW' } });
  await tt.rejects(c.get('k'), { code: 'INTERNAL', message: /SOMETHING_NEW/ }, 'an unknown code is not retried');
});

t.test('garbage from a node drops that connection and the next node is tried', async (tt) => {
  const nodes = await fakes(tt, 2);
  nodes[0].handler = () => ({ raw: '\u0000\u00ff not json at all\n' });
  const { c, events } = client(tt, nodes.map((n) => n.address));
  tt.equal(await c.get('x'), null);
  tt.ok(events.some((e) => e.kind === 'protocol-error' && e.nodeId === 1));
  tt.equal(nodes[1].ops('get').length, 1);
});

t.test('status(id) asks that node only; status() fails over', async (tt) => {
  const n2 = await FakeNode.start(2);
  tt.teardown(() => n2.close());
  const dead = await deadAddress(1);
  const { c } = client(tt, [dead, n2.address], { timeoutMs: 500 });
  await tt.rejects(c.status(1), { code: 'UNAVAILABLE' }, 'no failover for a specific node');
  tt.equal(n2.requests.length, 0);
  tt.match(await c.status(2), { id: 2, role: 'leader', term: 1, commitIndex: 5 });
  tt.equal(c.leaderId, 2, 'a leader status updates the known leader');
  tt.match(await c.status(), { id: 2 });
  await tt.rejects(c.status(7), { code: 'BAD_REQUEST', message: /unknown node id 7/ });
  tt.same(await c.entries(2, 10), [{ term: 1, index: 1, kind: 'noop' }]);
  tt.match(n2.ops('entries')[0], { op: 'entries', limit: 10 });
});

t.test('request() returns error replies as replies', async (tt) => {
  const [n1] = await fakes(tt, 1);
  const { c } = client(tt, [n1.address]);
  const reply = await c.request(1, { op: 'frobnicate', id: 'mine' });
  tt.equal(reply.ok, false);
  if (!reply.ok) tt.equal(reply.error.code, 'UNKNOWN_OP');
  tt.type(n1.requests[0].id, 'number', "the connection's own id replaces the caller's");
});

t.test('close() rejects calls in flight and in backoff with SHUTTING_DOWN', async (tt) => {
  const nodes = await fakes(tt, 2);
  nodes[0].handler = () => 'silent';
  nodes[1].handler = () => ({ error: { code: 'NO_LEADER' } });
  // Time never moves: the calls can only settle if close() stops waiting for their timers.
  const clock = new FakeClock();
  const opts = { timeoutMs: 10_000, backoff: { baseMs: 5000, maxMs: 5000 }, clock };
  const { c } = client(tt, [nodes[0].address], opts);
  const { c: c2, events: events2 } = client(tt, [nodes[1].address], opts);
  const silent = c.get('a');
  const backingOff = c2.get('b');
  await waitFor('both calls to be under way', () => nodes[0].requests.length + nodes[1].requests.length === 2, 5000, 5);
  await waitFor('the second call to back off', () => events2.some((e) => e.kind === 'retry'), 5000, 5);
  c.close();
  c2.close();
  await tt.rejects(silent, { code: 'SHUTTING_DOWN' });
  await tt.rejects(backingOff, { code: 'SHUTTING_DOWN' });
  tt.equal(clock.monotonic(), 0, 'no timer was waited for');
  tt.equal(clock.pendingTimers, 0, 'and none is left behind');
  await tt.rejects(c.get('c'), { code: 'SHUTTING_DOWN' }, 'closed stays closed');
});

t.test('constructor refuses an empty or duplicate node list', async (tt) => {
  tt.throws(() => new RaftKvClient({ nodes: [] }), { code: 'BAD_CONFIG' });
  const n = { id: 1, host: '127.0.0.1', port: 1 };
  tt.throws(() => new RaftKvClient({ nodes: [n, n] }), { code: 'BAD_CONFIG' });
});
