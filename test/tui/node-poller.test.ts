/**
 * The node poller against small real TCP servers (test/client/fake-node.ts): a node that answers,
 * one that stays silent (hung), one that drops connections, and a port where nothing listens.
 */
import t from 'tap';
import { RaftKvClient } from '../../src/client/raftkv-client.js';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { NodePoller } from '../../src/tui/node-poller.js';
import { FakeNode, type FakeHandler, type FakeRequest } from '../client/fake-node.js';
import { waitFor } from '../lib/wait-for.js';

type Teardown = { teardown(fn: () => unknown): void };

function clientFor(t: Teardown, nodes: { id: number; host: string; port: number }[]): RaftKvClient {
  const client = new RaftKvClient({ nodes, timeoutMs: 300, connectTimeoutMs: 300 });
  t.teardown(() => client.close());
  return client;
}

async function fakeNode(t: Teardown, id: number, handler?: FakeHandler): Promise<FakeNode> {
  const node = await FakeNode.start(id, handler);
  t.teardown(() => node.close());
  return node;
}

t.test('a healthy node: status every poll, entries only when the log moved', async (t) => {
  let lastLogIndex = 5;
  const node = await fakeNode(t, 1, (req: FakeRequest) => {
    if (req.op === 'status') {
      return { value: { id: 1, role: 'leader', term: 2, leader: 1, commitIndex: lastLogIndex, lastApplied: lastLogIndex, lastLogIndex, lastLogTerm: 2, pid: 77 } };
    }
    if (req.op === 'entries') {
      return { value: Array.from({ length: lastLogIndex }, (_, i) => ({ index: i + 1, term: 2, kind: 'cmd', data: { op: 'set', key: `k${i + 1}`, value: 'v' } })) };
    }
    return { error: { code: 'UNKNOWN_OP' } };
  });
  const poller = new NodePoller(1, clientFor(t, [node.address]), { requestTimeoutMs: 300, entriesLimit: 3 });
  await poller.poll();
  t.equal(poller.probe.ok, true);
  t.equal(poller.probe.status?.role, 'leader');
  t.same(node.ops('entries').map((r) => r.limit), [3], 'entries asked with the limit');
  t.equal(poller.entries.length, 5);
  t.equal(poller.entries[4]!.command, 'SET k5 v');
  const entries = poller.entries;

  await poller.poll();
  t.equal(node.ops('status').length, 2);
  t.equal(node.ops('entries').length, 1, 'log did not move: no new entries request');
  t.equal(poller.entries, entries, 'same array');

  lastLogIndex = 6;
  await poller.poll();
  t.equal(node.ops('entries').length, 2, 'log moved: entries fetched again');
  t.equal(poller.entries.length, 6);
  t.equal(node.accepted, 1, 'one persistent connection for every poll');
});

t.test('a hung node times out, and a poll is never stacked on one in flight', async (t) => {
  const node = await fakeNode(t, 2, () => 'silent');
  const poller = new NodePoller(2, clientFor(t, [node.address]), { requestTimeoutMs: 200 });
  const first = poller.poll();
  await poller.poll(); // returns at once: one is in flight
  t.equal(node.requests.length <= 1, true, 'no second request while the first waits');
  await first;
  t.equal(poller.probe.ok, false);
  t.equal(poller.probe.failureCode, 'TIMEOUT');
  t.equal(poller.probe.failures, 1);
});

t.test('nothing listening: UNAVAILABLE, then backoff spaces the polls; wake() skips it', async (t) => {
  const [port] = await findFreePorts(1);
  const poller = new NodePoller(3, clientFor(t, [{ id: 3, host: '127.0.0.1', port: port! }]), { requestTimeoutMs: 200 });
  await poller.poll();
  t.equal(poller.probe.failureCode, 'UNAVAILABLE');
  t.equal(poller.probe.failures, 1);
  await poller.poll();
  t.equal(poller.probe.failures, 1, 'inside the backoff: not asked again');
  poller.wake();
  await poller.poll();
  t.equal(poller.probe.failures, 2, 'after wake(): asked at once');
});

t.test('a node that comes back is seen again, keeping its last status while away', async (t) => {
  let answering = true;
  const node = await fakeNode(t, 4, (req: FakeRequest) => {
    if (!answering) return 'drop';
    if (req.op === 'status') return { value: { id: 4, role: 'follower', term: 1, leader: 1, commitIndex: 1, lastApplied: 1, lastLogIndex: 1 } };
    return { value: [] };
  });
  const poller = new NodePoller(4, clientFor(t, [node.address]), { requestTimeoutMs: 300 });
  await poller.poll();
  t.equal(poller.probe.ok, true);
  answering = false;
  await poller.poll();
  t.equal(poller.probe.ok, false);
  t.equal(poller.probe.failureCode, 'CONNECTION_LOST');
  t.equal(poller.probe.status?.role, 'follower', 'last status kept');
  answering = true;
  await waitFor('the node answering again', () => poller.probe.ok || (void poller.poll(), false), 3000, 50);
  t.equal(poller.probe.failures, 0);
});
