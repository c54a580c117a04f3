/**
 * SimConnection: the client library's connection into a simulated node. Requests cross the real
 * JSON parsers both ways, settle exactly once (reply, TIMEOUT on the simulated clock,
 * UNAVAILABLE / CONNECTION_LOST as rejections, SHUTTING_DOWN on close), and what the simulated
 * node cannot serve is a clear BAD_REQUEST. Last, the real RaftKvClient runs over it.
 */
import t from 'tap';
import { RaftKvClient } from '../../../src/client/raftkv-client.js';
import { RaftKvError } from '../../../src/protocol/errors.js';
import { SimConnection, simClientClock, type ClientLink } from './sim-connection.js';
import type { SimRequest } from './sim-node.js';
import { SimScheduler } from './sim-scheduler.js';

type Answer = (err: RaftKvError | null, value?: unknown) => void;

/** A link that keeps what reaches the node, to be answered by the test. */
function heldLink(): { link: ClientLink; held: { node: number; req: SimRequest; answer: Answer }[] } {
  const held: { node: number; req: SimRequest; answer: Answer }[] = [];
  return { link: (node, req, answer) => held.push({ node, req, answer }), held };
}

/** Settles every promise reaction queued so far (nothing here waits on real time). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('a request crosses both parsers: the node gets the request as the client port parses it, the client a parsed reply', async (t) => {
  const sched = new SimScheduler();
  const { link, held } = heldLink();
  const conn = new SimConnection(1, 2, link, simClientClock(sched));
  const reply = conn.request({ op: 'cas', key: 'k', expected: null, value: 'v', clientId: 'c1', seq: 3 }, 100);
  t.same(held.map((h) => [h.node, h.req]), [[1, { op: 'cas', key: 'k', expected: null, value: 'v', clientId: 'c1', seq: 3 }]]);
  held[0]!.answer(null, true);
  t.match(await reply, { ok: true, value: true });
  const refused = conn.request({ op: 'get', key: 'k' }, 100);
  held[1]!.answer(new RaftKvError('NOT_LEADER', 'ask node 3', { leader: 3 }));
  const r = await refused;
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.error, { code: 'NOT_LEADER', details: { leader: 3 } }, 'an error reply is a reply, details kept');
});

t.test('TIMEOUT comes from the simulated clock, and a late answer is dropped', async (t) => {
  const sched = new SimScheduler();
  const { link, held } = heldLink();
  const conn = new SimConnection(0, 1, link, simClientClock(sched));
  let outcome: unknown = null;
  conn.request({ op: 'get', key: 'k' }, 50).then(
    (v) => (outcome = v),
    (e: unknown) => (outcome = e),
  );
  sched.now = 49;
  sched.fireDue();
  await turn();
  t.equal(outcome, null, 'not before its time');
  sched.now = 50;
  sched.fireDue();
  await turn();
  t.match(outcome, { code: 'TIMEOUT', message: /node 1 did not answer within 50 ms/ });
  held[0]!.answer(null, 'late');
  await turn();
  t.match(outcome, { code: 'TIMEOUT' }, 'settled once');
});

t.test('a down or crashed node rejects (UNAVAILABLE, CONNECTION_LOST); close() rejects the rest with SHUTTING_DOWN', async (t) => {
  const sched = new SimScheduler();
  const { link, held } = heldLink();
  const conn = new SimConnection(0, 1, link, simClientClock(sched));
  const down = conn.request({ op: 'get', key: 'a' }, 100);
  const lost = conn.request({ op: 'set', key: 'a', value: '1', clientId: 'c', seq: 1 }, 100);
  const open = conn.request({ op: 'get', key: 'b' }, 100);
  held[0]!.answer(new RaftKvError('UNAVAILABLE', 'down'));
  held[1]!.answer(new RaftKvError('CONNECTION_LOST', 'crashed'));
  await t.rejects(down, { code: 'UNAVAILABLE' });
  await t.rejects(lost, { code: 'CONNECTION_LOST' });
  conn.close();
  await t.rejects(open, { code: 'SHUTTING_DOWN' });
  await t.rejects(conn.request({ op: 'get', key: 'c' }, 100), { code: 'SHUTTING_DOWN' }, 'closed stays closed');
});

t.test('what the simulated node cannot serve is answered BAD_REQUEST without reaching it', async (t) => {
  const sched = new SimScheduler();
  const { link, held } = heldLink();
  const conn = new SimConnection(0, 1, link, simClientClock(sched));
  for (const body of [{ op: 'keys', pattern: '*' }, { op: 'set', key: 'k', value: 'v' }, { op: 'del', keys: ['a', 'b'], clientId: 'c', seq: 1 }, { op: 'get' }]) {
    const r = await conn.request(body, 100);
    t.equal(r.ok === false && r.error.code, 'BAD_REQUEST', JSON.stringify(body));
  }
  t.equal(held.length, 0);
});

t.test('the real RaftKvClient over it: a write that times out is retried on the next node with the same seq', async (t) => {
  const sched = new SimScheduler();
  const { link, held } = heldLink();
  const clock = simClientClock(sched);
  const client = new RaftKvClient({
    nodes: [1, 2].map((id) => ({ id, host: 'sim', port: id })),
    clientId: 'c1',
    timeoutMs: 1000,
    attemptTimeoutMs: 100,
    random: () => 0,
    clock,
    connect: (node) => new SimConnection(node.id - 1, node.id, link, clock),
  });
  t.teardown(() => client.close());
  let done = false;
  const write = client.set('k', 'v').then(() => (done = true));
  await turn();
  t.same(held.map((h) => h.node), [0], 'first try on node 1');
  // Node 1 stays silent: the try times out at 100 ms, the retry goes out after the backoff.
  for (let ms = 1; ms <= 200 && held.length < 2; ms++) {
    sched.now = ms;
    sched.fireDue();
    await turn();
  }
  t.same(held.map((h) => h.node), [0, 1], 'then node 2');
  t.ok(sched.now >= 100 && sched.now < 200, `after the try timeout and a backoff (at ${sched.now} ms simulated)`);
  t.same(held[1]!.req, held[0]!.req, 'the same request, seq included');
  held[1]!.answer(null, 'OK');
  await write;
  t.ok(done);
});
