/**
 * ClientConnection over a real socket with a scripted request runner: the runner completes
 * requests whenever the test says, so the test can check what Redis clients rely on — replies in
 * request order, a read never overtaking an earlier write (nor a write an earlier read) — and that
 * replies completed together leave in one write.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { ClientConnection, type RequestRunner } from '../../src/node/client-connection.js';
import type { ClientRequest } from '../../src/protocol/client-requests.js';
import { RaftKvError } from '../../src/protocol/errors.js';
import { encodeCommand, RespReplyParser, type RespReply } from '../../src/protocol/resp.js';
import type { Completion } from '../../src/node/client-waiters.js';
import { waitFor } from '../lib/wait-for.js';

const silentLog = { info() {}, warn() {}, error() {} };

interface Running {
  req: ClientRequest;
  done: Completion<unknown>;
}

/** A server whose one connection runs requests by handing them to the test. */
async function harness(t: { teardown(fn: () => unknown): void }, limits = { maxPending: 4096, maxOutputBytes: 64 * 1024 * 1024 }) {
  const running: Running[] = [];
  const started: string[] = [];
  const writes: string[] = [];
  const runner: RequestRunner = (req, done) => {
    started.push(describe(req));
    if (req.op === 'info') return done(null, 'info');
    running.push({ req, done });
  };
  const server = net.createServer((socket) => {
    const write = socket.write.bind(socket) as (s: string) => boolean;
    socket.write = ((data: string) => {
      writes.push(data);
      return write(data);
    }) as typeof socket.write;
    new ClientConnection(socket, runner, silentLog as never, limits);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  client.on('error', () => {});
  const replies: RespReply[] = [];
  const parser = new RespReplyParser();
  client.on('data', (b) => replies.push(...parser.feed(b)));
  t.teardown(() => {
    client.destroy();
    server.close();
  });
  /** Completes the running request described as `what` (e.g. 'set a'). */
  const complete = (what: string, err: RaftKvError | null, value?: unknown) => {
    const i = running.findIndex((r) => describe(r.req) === what);
    if (i < 0) throw new Error(`${what} is not running (running: ${running.map((r) => describe(r.req)).join(', ')})`);
    const [r] = running.splice(i, 1);
    r!.done(err, value);
  };
  return { client, running, started, writes, replies, complete };
}

function describe(req: ClientRequest): string {
  return 'key' in req ? `${req.op} ${req.key}` : req.op;
}

t.test('replies leave in request order even when requests complete out of order', async (t) => {
  const h = await harness(t);
  h.client.write(Buffer.concat([encodeCommand(['SET', 'a', '1']), encodeCommand(['SET', 'b', '2']), encodeCommand(['PING'])]));
  await waitFor('both writes running', () => h.running.length === 2);
  h.complete('set b', null, 'OK');
  h.complete('set a', new RaftKvError('TIMEOUT', 'slow'));
  await waitFor('three replies', () => h.replies.length === 3);
  t.same(h.replies, [
    { type: 'error', message: 'TIMEOUT slow' },
    { type: 'simple', value: 'OK' },
    { type: 'simple', value: 'PONG' },
  ]);
});

t.test('a read waits for the writes before it, a write for the reads before it', async (t) => {
  const h = await harness(t);
  h.client.write(
    Buffer.concat([encodeCommand(['SET', 'a', '1']), encodeCommand(['GET', 'a']), encodeCommand(['GET', 'b']), encodeCommand(['SET', 'c', '3']), encodeCommand(['INFO'])]),
  );
  await waitFor('the INFO ran', () => h.started.includes('info'));
  t.same(h.started, ['set a', 'info'], 'reads wait for the write; INFO never waits');
  h.complete('set a', null, 'OK');
  await waitFor('both reads started', () => h.started.length === 4);
  t.same(h.started.slice(2), ['get a', 'get b'], 'the reads run together once the write is done');
  h.complete('get b', null, null);
  t.equal(h.started.length, 4, 'the write still waits for the first read');
  h.complete('get a', null, '1');
  await waitFor('the write started', () => h.started.length === 5);
  h.complete('set c', null, 'OK');
  await waitFor('five replies', () => h.replies.length === 5);
  t.same(
    h.replies.map((r) => ('value' in r ? r.value : r)),
    ['OK', '1', null, 'OK', 'info'],
  );
});

t.test('replies completed together leave in one write', async (t) => {
  const h = await harness(t);
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  h.client.write(Buffer.concat(keys.map((k) => encodeCommand(['SET', k, 'v']))));
  await waitFor('all writes running', () => h.running.length === keys.length);
  for (const k of keys) h.complete(`set ${k}`, null, 'OK');
  await waitFor('all replies', () => h.replies.length === keys.length);
  t.equal(h.writes.length, 1, 'one socket write for the batch');
  t.equal(h.writes[0], '+OK\r\n'.repeat(keys.length));
});

t.test('a runner that throws answers with an error, and later requests still run', async (t) => {
  const server = net.createServer((socket) => {
    new ClientConnection(
      socket,
      (req, done) => {
        if (req.op === 'get') throw new RaftKvError('INTERNAL', 'boom');
        done(null, 'OK');
      },
      silentLog as never,
      { maxPending: 4096, maxOutputBytes: 64 * 1024 * 1024 },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const parser = new RespReplyParser();
  const replies: RespReply[] = [];
  client.on('data', (b) => replies.push(...parser.feed(b)));
  t.teardown(() => client.destroy());
  client.write(Buffer.concat([encodeCommand(['GET', 'x']), encodeCommand(['SET', 'x', '1'])]));
  await waitFor('two replies', () => replies.length === 2);
  t.same(replies, [
    { type: 'error', message: 'ERR boom' },
    { type: 'simple', value: 'OK' },
  ]);
});

t.test('at most maxPending requests outstanding; the rest of a pipelined burst waits its turn', async (t) => {
  const h = await harness(t, { maxPending: 3, maxOutputBytes: 1 << 20 });
  const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
  h.client.write(Buffer.concat(keys.map((k) => encodeCommand(['SET', k, 'v']))));
  await waitFor('three running', () => h.running.length === 3);
  t.same(h.started, ['set k0', 'set k1', 'set k2'], 'only maxPending started');
  for (const k of keys.slice(0, 3)) h.complete(`set ${k}`, null, 'OK');
  await waitFor('the next three running', () => h.started.length === 6);
  for (const k of keys.slice(3, 6)) h.complete(`set ${k}`, null, 'OK');
  await waitFor('the last two running', () => h.started.length === 8);
  for (const k of keys.slice(6)) h.complete(`set ${k}`, null, 'OK');
  await waitFor('every reply, in order', () => h.replies.length === 8);
  t.ok(h.replies.every((r) => r.type === 'simple'));
});

t.test('replies are written in bounded pieces; past maxOutputBytes the client is disconnected', async (t) => {
  const h = await harness(t, { maxPending: 4096, maxOutputBytes: 1 << 20 });
  const big = 'x'.repeat(100 * 1024);
  h.client.write(Buffer.concat(Array.from({ length: 4 }, () => encodeCommand(['GET', 'big']))));
  await waitFor('four reads running', () => h.running.length === 4);
  for (let i = 0; i < 4; i++) h.complete('get big', null, big);
  await waitFor('four replies', () => h.replies.length === 4);
  t.ok(h.writes.every((w) => w.length <= 100 * 1024 + 16), 'a big reply goes alone, not joined with the others');
  const closed = once(h.client, 'close');
  h.client.write(Buffer.concat(Array.from({ length: 20 }, () => encodeCommand(['GET', 'big']))));
  await waitFor('twenty reads running', () => h.running.length === 20);
  for (let i = 0; i < 20; i++) h.complete('get big', null, big);
  await closed;
  t.pass('2 MB of replies finished at once: disconnected at the 1 MiB limit');
});
