/**
 * NodeConnection: pipelined requests matched by id (replies in any order), per-request timeouts,
 * late replies dropped, garbage closing the connection, lazy reconnects.
 */
import t from 'tap';
import { NodeConnection } from '../../src/client/node-connection.js';
import type { ClientLogEvent } from '../../src/client/client-log.js';
import { FakeNode, type FakeRequest } from './fake-node.js';
import { waitFor } from '../lib/wait-for.js';
import { FakeClock } from '../lib/fake-clock.js';

t.test('pipelined requests are matched to replies by id, whatever the order', async (tt) => {
  const pending: Array<{ req: FakeRequest; resolve: (v: { value: unknown }) => void }> = [];
  const node = await FakeNode.start(1, (req) => new Promise((resolve) => pending.push({ req, resolve })));
  tt.teardown(() => node.close());
  const conn = new NodeConnection(node.address);
  tt.teardown(() => conn.close());
  const replies = [1, 2, 3].map((n) => conn.request({ op: 'get', key: `k${n}` }, 2000));
  await waitFor('three requests at the node', () => pending.length >= 3, 5000, 5);
  tt.equal(conn.inFlight, 3);
  for (const p of [...pending].reverse()) p.resolve({ value: `v-${p.req.key}` });
  const values = (await Promise.all(replies)).map((r) => (r.ok ? r.value : r.error.code));
  tt.same(values, ['v-k1', 'v-k2', 'v-k3']);
  tt.equal(node.accepted, 1, 'all on one connection');
  tt.equal(conn.inFlight, 0);
});

t.test('a request times out on its own; its late reply is dropped', async (tt) => {
  let release: (() => void) | null = null;
  const node = await FakeNode.start(1, (req, n) =>
    req.key === 'slow' ? new Promise((resolve) => (release = () => resolve(n.kv(req)))) : n.kv(req),
  );
  tt.teardown(() => node.close());
  // The timeout runs on a fake clock: it fires when the test moves time, not when the box gets to it.
  const clock = new FakeClock();
  const conn = new NodeConnection(node.address, { clock });
  tt.teardown(() => conn.close());
  let outcome: unknown = null;
  conn.request({ op: 'get', key: 'slow' }, 100).catch((err: unknown) => (outcome = err));
  await waitFor('the request at the node', () => release !== null, 10_000, 5);
  clock.advance(99);
  await new Promise((r) => setImmediate(r));
  tt.equal(outcome, null, 'not timed out before its 100 ms');
  clock.advance(1);
  await waitFor('the timeout', () => outcome !== null, 10_000, 5);
  tt.match(outcome, { code: 'TIMEOUT', message: /did not answer within 100 ms/ });
  release!();
  const r = await conn.request({ op: 'get', key: 'fast' }, 1000);
  tt.equal(r.ok && r.value, null, 'the next request gets its own reply, not the late one');
  tt.equal(clock.monotonic(), 100, 'and no time passed for it');
  tt.ok(conn.connected, 'the connection survived the timeout');
});

t.test('garbage from the node closes the connection and fails what was in flight', async (tt) => {
  const events: ClientLogEvent[] = [];
  const node = await FakeNode.start(1, (req, n) => (req.key === 'bad' ? { raw: '{"not":"a reply"}\n' } : n.kv(req)));
  tt.teardown(() => node.close());
  const conn = new NodeConnection(node.address, { logger: (e) => events.push(e) });
  tt.teardown(() => conn.close());
  await tt.rejects(conn.request({ op: 'get', key: 'bad' }, 1000), { code: 'CONNECTION_LOST', message: /not a reply/ });
  tt.ok(events.some((e) => e.kind === 'protocol-error'));
  const r = await conn.request({ op: 'get', key: 'ok' }, 1000);
  tt.ok(r.ok, 'reconnects lazily on the next request');
  tt.equal(node.accepted, 2);
});

t.test('a reply line growing past the limit without a newline closes the connection', async (tt) => {
  // (split2 bounds what it buffers: the unfinished line.)
  const node = await FakeNode.start(1, () => ({ raw: `{"id":1,"ok":true,"value":"${'x'.repeat(5000)}` }));
  tt.teardown(() => node.close());
  const conn = new NodeConnection(node.address, { maxReplyBytes: 1000 });
  tt.teardown(() => conn.close());
  await tt.rejects(conn.request({ op: 'get', key: 'k' }, 1000), { code: 'CONNECTION_LOST' });
});

t.test('a reply without an id is logged, not matched', async (tt) => {
  const events: ClientLogEvent[] = [];
  const node = await FakeNode.start(1, () => ({ raw: '{"id":null,"ok":false,"error":{"code":"BAD_REQUEST","message":"x"}}\n' }));
  tt.teardown(() => node.close());
  const conn = new NodeConnection(node.address, { logger: (e) => events.push(e) });
  tt.teardown(() => conn.close());
  await tt.rejects(conn.request({ op: 'get', key: 'k' }, 150), { code: 'TIMEOUT' });
  tt.ok(events.some((e) => e.kind === 'protocol-error' && /unmatched reply/.test(e.message)));
});

t.test('a node that closes the connection: CONNECTION_LOST; refused: UNAVAILABLE', async (tt) => {
  const node = await FakeNode.start(1, () => 'drop');
  const conn = new NodeConnection(node.address);
  tt.teardown(() => conn.close());
  await tt.rejects(conn.request({ op: 'get', key: 'k' }, 1000), { code: 'CONNECTION_LOST', message: /lost/ });
  await node.close();
  await tt.rejects(conn.request({ op: 'get', key: 'k' }, 1000), { code: 'UNAVAILABLE', message: /cannot connect.*ECONNREFUSED/ });
});

t.test('close() fails requests in flight with SHUTTING_DOWN, and later ones too', async (tt) => {
  const node = await FakeNode.start(1, () => 'silent');
  tt.teardown(() => node.close());
  const conn = new NodeConnection(node.address);
  const r = conn.request({ op: 'get', key: 'k' }, 5000);
  await waitFor('the request to reach the node', () => node.requests.length === 1, 5000, 5);
  conn.close();
  await tt.rejects(r, { code: 'SHUTTING_DOWN' });
  await tt.rejects(conn.request({ op: 'get', key: 'k' }, 5000), { code: 'SHUTTING_DOWN' });
});
