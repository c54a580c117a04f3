/**
 * The bench's load engine against a stand-in RESP server (a real TCP server on a port from the OS,
 * decoding requests with the node's own decoder): counts add up, the pipeline bound holds, error
 * replies are counted, and a dropped connection, a silent server, a refused connection and an
 * abort each end the test with the right error. Plus `raftkv bench` in-process, --json and -q.
 */
import t from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { BenchInterrupted, runTest, type TestSpec } from '../../src/cli/bench/engine.js';
import type { CliIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { ClientRequestDecoder } from '../../src/protocol/client-decoder.js';
import { RaftKvError } from '../../src/protocol/errors.js';

type Behaviour = (argv: string[], n: number) => string | 'drop' | 'silent';

/** A RESP server that answers each request with `behaviour(argv, n)` (n counts from 1). */
class FakeRespServer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  port = 0;
  received = 0;
  /** Most requests that arrived in one chunk on one connection (bounded by the pipeline depth). */
  maxPerChunk = 0;
  commands = new Map<string, number>();

  constructor(private readonly behaviour: Behaviour = (argv) => (argv[0] === 'GET' ? '$3\r\nxxx\r\n' : '+OK\r\n')) {
    this.server = createServer((s) => this.accept(s));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new ClientRequestDecoder();
    socket.on('data', (chunk) => {
      const reqs = decoder.push(chunk);
      this.maxPerChunk = Math.max(this.maxPerChunk, reqs.length);
      let out = '';
      for (const r of reqs) {
        if (r.kind !== 'argv') throw new Error(`bad request ${JSON.stringify(r)}`);
        this.received++;
        this.commands.set(r.argv[0]!, (this.commands.get(r.argv[0]!) ?? 0) + 1);
        const reply = this.behaviour(r.argv, this.received);
        if (reply === 'drop') {
          socket.destroy();
          return;
        }
        if (reply !== 'silent') out += reply;
      }
      if (out) socket.write(out);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** What these tests need of a tap test. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

async function fake(tt: Teardown, behaviour?: Behaviour): Promise<FakeRespServer> {
  const s = await new FakeRespServer(behaviour).start();
  tt.teardown(() => s.close());
  return s;
}

function spec(server: FakeRespServer, over: Partial<TestSpec> = {}): TestSpec {
  return {
    test: 'set',
    clients: 4,
    pipeline: 1,
    size: { kind: 'requests', requests: 1000 },
    dataSizeBytes: 3,
    keyspace: null,
    readRatio: 0.5,
    nodes: [{ host: '127.0.0.1', port: server.port }],
    ...over,
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

t.test('-n requests over -c connections: every request answered once, counts add up', async (tt) => {
  const s = await fake(tt);
  const r = await runTest(spec(s, { clients: 7, size: { kind: 'requests', requests: 1001 } }));
  tt.match(r, { test: 'set', clients: 7, pipeline: 1, requests: 1001, errors: 0, firstError: null });
  tt.equal(s.received, 1001, 'the server saw exactly -n requests');
  tt.ok(r.seconds > 0 && r.rps > 0, `${r.rps.toFixed(0)} req/s`);
  tt.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max, 'percentiles are ordered');
  await tt.resolveMatch(
    (async () => {
      // Every connection was closed at the end.
      const deadline = Date.now() + 5000;
      while (s.sockets.size > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      return s.sockets.size;
    })(),
    0,
    'no connection left open',
  );
});

t.test('fewer requests than clients still finishes', async (tt) => {
  const s = await fake(tt);
  const r = await runTest(spec(s, { clients: 10, size: { kind: 'requests', requests: 3 } }));
  tt.equal(r.requests, 3);
  tt.equal(s.received, 3);
});

t.test('pipelining keeps up to -P requests in flight per connection, never more', async (tt) => {
  const s = await fake(tt);
  const r = await runTest(spec(s, { clients: 2, pipeline: 8, size: { kind: 'requests', requests: 2000 }, keyspace: 100 }));
  tt.equal(r.requests, 2000);
  tt.equal(s.received, 2000);
  tt.ok(s.maxPerChunk <= 8, `at most 8 per chunk (saw ${s.maxPerChunk})`);
  tt.ok(s.maxPerChunk > 1, 'requests were pipelined');
});

t.test('get, cas and mixed send their commands', async (tt) => {
  const s = await fake(tt, (argv) => (argv[0] === 'GET' ? '$-1\r\n' : argv[0] === 'CAS' ? ':0\r\n' : '+OK\r\n'));
  for (const test of ['get', 'cas'] as const) {
    const r = await runTest(spec(s, { test, size: { kind: 'requests', requests: 50 } }));
    tt.match(r, { test, requests: 50, errors: 0 });
  }
  const m = await runTest(spec(s, { test: 'mixed', readRatio: 1, size: { kind: 'requests', requests: 50 } }));
  tt.equal(m.requests, 50);
  tt.same(Object.fromEntries(s.commands), { GET: 100, CAS: 50 }, 'read ratio 1: only GETs');
});

t.test('--duration: runs for the time budget, then drains what is in flight', async (tt) => {
  const s = await fake(tt);
  const r = await runTest(spec(s, { size: { kind: 'duration', seconds: 0.3 }, pipeline: 2 }));
  tt.ok(r.seconds >= 0.3 && r.seconds < 2, `ran ${r.seconds.toFixed(3)} s`);
  tt.ok(r.requests > 0);
  tt.equal(s.received, r.requests, 'every request sent was answered and counted');
});

t.test('error replies are counted, the first is kept, the test goes on', async (tt) => {
  const s = await fake(tt, (_argv, n) => (n % 10 === 0 ? `-NOT_LEADER node ${n} is not the leader\r\n` : '+OK\r\n'));
  const r = await runTest(spec(s, { clients: 1, size: { kind: 'requests', requests: 100 } }));
  tt.match(r, { requests: 100, errors: 10, firstError: 'NOT_LEADER node 10 is not the leader' });
});

t.test('a connection closed mid-test fails it with CONNECTION_LOST', async (tt) => {
  const s = await fake(tt, (_argv, n) => (n === 50 ? 'drop' : '+OK\r\n'));
  const err = await rejection(runTest(spec(s)));
  tt.ok(err instanceof RaftKvError && err.code === 'CONNECTION_LOST', String(err));
  tt.match((err as Error).message, /connection to 127\.0\.0\.1:\d+ closed during the SET test/);
});

t.test('a server that stops answering fails the test with TIMEOUT', async (tt) => {
  const s = await fake(tt, (_argv, n) => (n >= 20 ? 'silent' : '+OK\r\n'));
  const err = await rejection(runTest(spec(s, { stallTimeoutMs: 300, tickMs: 50 })));
  tt.ok(err instanceof RaftKvError && err.code === 'TIMEOUT', String(err));
  tt.match((err as Error).message, /no reply for 0\.3 s during the SET test/);
});

t.test('a garbage reply fails the test with PROTOCOL_ERROR', async (tt) => {
  const s = await fake(tt, () => 'hello\r\n');
  const err = await rejection(runTest(spec(s)));
  tt.ok(err instanceof RaftKvError && err.code === 'PROTOCOL_ERROR', String(err));
});

t.test('a refused connection is UNAVAILABLE and names the address', async (tt) => {
  const [port] = await findFreePorts(1);
  const err = await rejection(runTest({ ...spec({ port } as FakeRespServer), nodes: [{ host: '127.0.0.1', port: port! }] }));
  tt.ok(err instanceof RaftKvError && err.code === 'UNAVAILABLE', String(err));
  tt.match((err as Error).message, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
});

t.test('aborting stops the test and closes its connections', async (tt) => {
  const s = await fake(tt, () => 'silent');
  const abort = new AbortController();
  const running = runTest(spec(s, { signal: abort.signal, tickMs: 20, onTick: () => abort.abort() }));
  tt.ok((await rejection(running)) instanceof BenchInterrupted);
  const deadline = Date.now() + 5000;
  while (s.sockets.size > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  tt.equal(s.sockets.size, 0, 'every connection closed');
});

t.test('raftkv bench in-process: --json and -q output, exit codes', async (tt) => {
  const s = await fake(tt, (argv, n) => (argv[0] === 'GET' && n % 100 === 0 ? '-ERR no\r\n' : argv[0] === 'GET' ? '$3\r\nxxx\r\n' : '+OK\r\n'));
  let out = '';
  let err = '';
  const io: CliIo = { out: (x) => void (out += x), err: (x) => void (err += x), cwd: process.cwd() };
  const code = await main(['bench', '-p', String(s.port), '-n', '500', '-c', '4', '-t', 'set,get', '--json'], io);
  tt.equal(code, 0, err);
  const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l));
  tt.match(lines, [
    { test: 'set', clients: 4, pipeline: 1, requests: 500, errors: 0 },
    { test: 'get', clients: 4, pipeline: 1, requests: 500, errors: 5, firstError: 'ERR no' },
  ]);
  tt.equal(err, '', 'no progress line when stderr is not a terminal');
  out = '';
  tt.equal(await main(['bench', '-p', String(s.port), '-n', '100', '-q', '-t', 'cas'], io), 0);
  tt.match(out, /^CAS: \d+\.\d\d requests per second, p50=\d+\.\d{3} msec\n$/);
  out = '';
  tt.equal(await main(['bench', '-p', String(s.port), '-n', '100', '-t', 'set', '-r', '10', '-d', '7'], io), 0);
  tt.match(out, /====== SET ======\n  100 requests completed in .* seconds, 0 errors\n  50 parallel clients, pipeline 1, 7-byte values, 10 random keys, target 127\.0\.0\.1:\d+\n/);
  const [closed] = await findFreePorts(1);
  err = '';
  tt.equal(await main(['bench', '-p', String(closed), '-n', '10'], io), 1, 'no server: exit 1');
  tt.match(err, /raftkv bench: UNAVAILABLE: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/);
});
