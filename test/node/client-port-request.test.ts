/**
 * requestClientPort (a follower relaying a membership request, a joining node asking a member):
 * against a stand-in client port on a real socket: AUTH goes first, a refused AUTH is the answer
 * (not a retryable loss), no answer is TIMEOUT, nothing listening is UNAVAILABLE, and the
 * connection is closed after the reply.
 */
import t from 'tap';
import { requestClientPort } from '../../src/node/client-port-request.js';
import { FakeNode, type FakeHandler } from '../client/fake-node.js';
import { waitFor } from '../lib/wait-for.js';

const PASSWORD = 'sesame';

/** A client port with a password: AUTH first, then the membership answer. */
const securePort: FakeHandler = (req) => {
  if (req.op === 'auth') return req.password === PASSWORD ? { value: 'OK' } : { error: { code: 'WRONGPASS', message: 'invalid username-password pair or user is disabled.' } };
  if (req.op === 'members') return { value: [{ id: 1, host: '127.0.0.1', port: 7001, peerPort: 7101, role: 'voter' }] };
  return { error: { code: 'UNKNOWN_OP', message: req.op } };
};

t.test('AUTH goes first, then the request; the reply comes back as is and the connection is closed', async (t) => {
  const node = await FakeNode.start(1, securePort);
  t.teardown(() => node.close());
  const reply = await requestClientPort(node.address, { op: 'members', forwarded: true }, { tls: null, password: PASSWORD }, 5000);
  t.match(reply, { ok: true, value: [{ id: 1, role: 'voter' }] });
  t.same(node.requests.map((r) => r.op), ['auth', 'members']);
  t.equal(node.requests[1]!.forwarded, true);
  await waitFor('the connection to close', () => node.sockets.size === 0, 10_000, 10);
  const refused = await requestClientPort(node.address, { op: 'frobnicate' }, { tls: null, password: PASSWORD }, 5000);
  t.match(refused, { ok: false, error: { code: 'UNKNOWN_OP' } }, 'an error reply is a reply');
});

t.test('a wrong password is the answer (the refused AUTH reply), not a lost connection', async (t) => {
  const node = await FakeNode.start(1, securePort);
  t.teardown(() => node.close());
  const reply = await requestClientPort(node.address, { op: 'members' }, { tls: null, password: 'nope' }, 5000);
  t.match(reply, { ok: false, error: { code: 'WRONGPASS', message: /invalid username-password pair/ } });
  t.same(node.requests.map((r) => r.op), ['auth', 'members'], 'the request went after the AUTH; its answer is not waited for');
});

t.test('no password: no AUTH; silence is TIMEOUT, nothing listening is UNAVAILABLE', async (t) => {
  const node = await FakeNode.start(1, (req) => (req.op === 'members' ? 'silent' : { value: null }));
  t.teardown(() => node.close());
  await t.rejects(requestClientPort(node.address, { op: 'members' }, { tls: null, password: null }, 200), { code: 'TIMEOUT', message: /no answer from 127\.0\.0\.1:\d+ within 200 ms; the request may or may not have been acted on/ });
  t.same(node.requests.map((r) => r.op), ['members']);
  // Port 1 (tcpmux) is not served on loopback here, and no test can bind it.
  await t.rejects(requestClientPort({ host: '127.0.0.1', port: 1 }, { op: 'members' }, { tls: null, password: null }, 2000), { code: 'UNAVAILABLE', message: /127\.0\.0\.1:1: connect ECONNREFUSED/ });
});
