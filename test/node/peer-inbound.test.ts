/**
 * The accepting side of the peer port against strangers, in process: a PeerInbound behind a real
 * listener on an OS port, raw sockets as strangers, and a real PeerTransport as the member that
 * must still get in. Small bounds and a short hello deadline keep it fast.
 */
import net from 'node:net';
import t from 'tap';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { silentLogger, type Logger } from '../../src/node/logger.js';
import { PeerInbound, type PeerInboundOptions } from '../../src/node/peer-inbound.js';
import { PeerTransport } from '../../src/node/peer-transport.js';
import type { Message } from '../../src/protocol/raft-messages.js';
import { waitFor } from '../lib/wait-for.js';

type Teardown = { teardown(fn: () => unknown): void };

const HOST = '127.0.0.1';
const hello = (from: number, to = 1) => JSON.stringify({ hello: { from, to } }) + '\n';
const heartbeat = (from: number) => JSON.stringify({ type: 'heartbeat', from, to: 1, term: 1, commit: 0 }) + '\n';

/** Node 1's peer port, with members 2 and 3: what it logged, what it delivered, the sockets it accepted. */
async function startInbound(t: Teardown, opts: Partial<PeerInboundOptions> = {}) {
  const logs: string[] = [];
  const messages: Message[] = [];
  const log: Logger = { debug() {}, info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
  const inbound = new PeerInbound({
    self: 1,
    members: [2, 3],
    log,
    onMessage: (m) => messages.push(m),
    maxLineBytes: 64 * 1024,
    maxHelloBytes: 1024,
    helloTimeoutMs: 60_000,
    maxPendingConnections: 8,
    ...opts,
  });
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    inbound.accept(s);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  t.teardown(() => {
    inbound.close();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, logs, messages, accepted };
}

/** A client connection that reads (so it sees the server close) and is destroyed at teardown. */
async function dial(t: Teardown, port: number): Promise<net.Socket> {
  const s = net.connect({ host: HOST, port });
  s.on('error', () => {}); // a refused stranger may see ECONNRESET; 'close' follows
  s.on('data', () => {});
  t.teardown(() => s.destroy());
  await new Promise((resolve) => s.once('connect', resolve));
  return s;
}

t.test('a long line before the hello is refused after maxHelloBytes, without reading it all', async (t) => {
  const p = await startInbound(t);
  const stranger = await dial(t, p.port);
  const started = Date.now();
  stranger.write(Buffer.alloc(8 * 1024 * 1024, 'x'));
  await waitFor('the stranger to be closed', () => stranger.closed, 5000);
  t.comment(`closed after ${Date.now() - started} ms`);
  t.match(p.logs, [/closing connection from .*: more than 1024 bytes before the hello/]);
  t.ok(p.accepted[0]!.bytesRead < 1024 * 1024, `read ${p.accepted[0]!.bytesRead} of 8 MiB before closing`);

  const member = await dial(t, p.port);
  member.write(hello(2) + heartbeat(2));
  await waitFor('the member to be heard', () => p.messages.length === 1, 5000);
});

t.test('a silent connection is closed when the hello deadline passes', async (t) => {
  const p = await startInbound(t, { helloTimeoutMs: 200 });
  const started = Date.now();
  const silent = await dial(t, p.port);
  const halfHello = await dial(t, p.port);
  halfHello.write('{"hello":{"from":2,');
  await waitFor('both to be closed', () => silent.closed && halfHello.closed, 5000);
  t.ok(Date.now() - started >= 200, `not before the deadline (${Date.now() - started} ms)`);
  t.match(p.logs, [/no hello within 200 ms/, /no hello within 200 ms/]);
});

t.test('more connections waiting for a hello than allowed close the oldest; a real peer still gets in', async (t) => {
  const p = await startInbound(t, { maxPendingConnections: 3 });
  const strangers: net.Socket[] = [];
  for (let i = 0; i < 5; i++) {
    strangers.push(await dial(t, p.port));
    await waitFor('the server to accept it', () => p.accepted.length === i + 1, 5000);
  }
  await waitFor('the two oldest to be closed', () => strangers[0]!.closed && strangers[1]!.closed, 5000);
  t.same(strangers.map((s) => s.closed), [true, true, false, false, false], 'the newest three wait on');
  t.match(p.logs, [/3 newer connections are waiting for a hello; closing the oldest/, /closing the oldest/]);

  // Node 2, dialling the way every node does, while the strangers keep the port full.
  const [node2Port] = await findFreePorts(1);
  const node2 = new PeerTransport({
    self: { id: 2, host: HOST, peerPort: node2Port! },
    peers: [{ id: 1, host: HOST, peerPort: p.port }, { id: 2, host: HOST, peerPort: node2Port! }],
    log: silentLogger,
    onMessage: () => {},
  });
  await node2.start();
  t.teardown(() => node2.close());
  await waitFor('node 2 to be heard', () => {
    node2.send([{ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0 }]);
    return p.messages.length > 0;
  }, 5000);
  await waitFor('the oldest stranger to make room', () => strangers[2]!.closed, 5000);
  t.same(strangers.map((s) => s.closed), [true, true, true, false, false], "node 2 took the oldest stranger's place");
});

t.test('a second hello from a member closes its older connection', async (t) => {
  const p = await startInbound(t);
  const older = await dial(t, p.port);
  older.write(hello(2) + heartbeat(2));
  await waitFor('the first connection to be heard', () => p.messages.length === 1, 5000);
  const node3 = await dial(t, p.port);
  node3.write(hello(3));

  const newer = await dial(t, p.port);
  newer.write(hello(2) + heartbeat(2));
  await waitFor('the older connection to be closed', () => older.closed, 5000);
  await waitFor('the newer connection to be heard', () => p.messages.length === 2, 5000);
  t.match(p.logs, [/node 2 connected again from 127\.0\.0\.1:\d+; closing its older connection from 127\.0\.0\.1:\d+/]);
  t.notOk(newer.closed, 'the newer connection stays');
  t.notOk(node3.closed, "another member's connection is left alone");
});

t.test('after the hello a line may be as long as maxLineBytes, not longer', async (t) => {
  const p = await startInbound(t, { maxLineBytes: 64 * 1024 });
  const big = { type: 'append', from: 2, to: 1, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{ term: 1, index: 1, kind: 'cmd', data: 'v'.repeat(32 * 1024) }] };
  const member = await dial(t, p.port);
  member.write(hello(2) + JSON.stringify(big) + '\n'); // the message shares the hello's chunk
  await waitFor('the 32 KiB append to arrive', () => p.messages.length === 1, 5000);
  t.same(p.messages[0], big);

  member.write('x'.repeat(100 * 1024));
  await waitFor('the connection to be closed', () => member.closed, 5000);
  t.match(p.logs, [/\(node 2\): line longer than 65536 bytes/]);
});
