/**
 * Garbage at every entry point of a running node: the client port (every dialect), the peer
 * port, half-closed and silent connections. Each gets a clear error or a closed connection, and
 * the node keeps serving everyone else with its data intact.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { jsonRequest, rawExchange, startCluster, waitFor } from './harness.js';

t.test('bad input on the client and peer ports', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const port = c.node(leader).port;
  t.equal((await jsonRequest(port, { op: 'set', key: 'keep', value: 'safe' })).ok, true);

  // A silent client holds a connection open the whole time; it must not block anyone.
  const silent = net.connect({ host: '127.0.0.1', port });
  t.teardown(() => silent.destroy());

  const cases: { name: string; send: string | Buffer; expect: RegExp; closes?: boolean; end?: boolean }[] = [
    { name: 'malformed JSON', send: '{"op":\n', expect: /"ok":false.*"code":"BAD_REQUEST"/ },
    { name: 'unknown op', send: '{"id":1,"op":"frobnicate"}\n', expect: /"code":"UNKNOWN_OP"/ },
    { name: 'wrong type', send: '{"id":1,"op":"set","key":5,"value":"v"}\n', expect: /"code":"BAD_REQUEST".*key/ },
    { name: 'unknown Redis command', send: 'FOO bar\r\n', expect: /^-ERR unknown command 'FOO'/ },
    { name: 'wrong arity', send: 'GET\r\n', expect: /^-ERR wrong number of arguments for 'get' command/ },
    { name: 'unbalanced quotes', send: 'SET "a b\r\n', expect: /^-ERR Protocol error: unbalanced quotes/, closes: true },
    { name: 'bad multibulk length', send: '*x\r\n', expect: /^-ERR Protocol error: invalid multibulk length/, closes: true },
    { name: 'bad bulk length', send: '*1\r\n$-5\r\n', expect: /^-ERR Protocol error: invalid bulk length/, closes: true },
    { name: 'inline request over 64 KiB', send: 'A'.repeat(70 * 1024), expect: /^-ERR Protocol error: too big inline request/, closes: true },
    { name: 'binary garbage', send: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x0d, 0x0a]), expect: /^-ERR/ },
    { name: 'empty line runs nothing', send: '\r\n\r\nPING\r\n', expect: /^\+PONG\r\n$/ },
    { name: 'EOF in the middle of a JSON request', send: '{"id":1,"op":"get"', end: true, expect: /^\{"id":null,"ok":false,"error":\{"code":"BAD_REQUEST","message":"connection closed in the middle of a request"/ },
    { name: 'EOF in the middle of a RESP request', send: '*2\r\n$3\r\nGET\r\n', end: true, expect: /^-ERR connection closed in the middle of a request/ },
  ];
  for (const k of cases) {
    const r = await rawExchange(port, k.send, k.closes ? 'close' : k.expect, { end: k.end ?? false });
    t.match(r.data, k.expect, `${k.name}: clear error`);
    if (k.closes) t.ok(r.closed, `${k.name}: connection closed`);
  }

  // A client that disconnects in the middle of a request.
  const half = net.connect({ host: '127.0.0.1', port });
  await new Promise((r) => half.once('connect', r));
  half.write('*3\r\n$3\r\nSET\r\n$1\r\nx');
  half.destroy();

  // A client that half-closes after its requests still gets every reply.
  const both = '+OK\r\n$1\r\n1\r\n';
  const r = await rawExchange(port, 'SET hc 1\r\nGET hc\r\n', { chars: both.length }, { end: true });
  t.equal(r.data, both);

  // A stranger on the peer port: garbage, a bogus hello, a forged message.
  const peerPort = c.node(leader).peerPort;
  const junk = await rawExchange(peerPort, 'hello there\n', 'close');
  t.match(junk.data, /BAD_PEER_MESSAGE/, 'peer port refuses non-JSON');
  t.ok(junk.closed);
  const forged = await rawExchange(peerPort, JSON.stringify({ hello: { from: 99, to: leader } }) + '\n', /expected a hello from a cluster member/);
  t.match(forged.data, /expected a hello from a cluster member/);
  const other = c.nodes.find((n) => n.id !== leader)!.id;
  const bad = await rawExchange(peerPort, JSON.stringify({ hello: { from: other, to: leader } }) + '\n' + JSON.stringify({ type: 'append', from: other, to: leader, term: 'x' }) + '\n', /append\.term must be an integer from 0 to/);
  t.match(bad.data, /append\.term must be an integer from 0 to/);
  // Well-formed but against Raft's rules: a second "leader" in the leader's own term. The
  // leader's core refuses it before changing any state and says so in the log; it must not crash.
  const term = (await c.status(leader)).term as number;
  const heartbeat = { type: 'heartbeat', from: other, to: leader, term, commit: 0 };
  // Nothing comes back for it: the connection stays open until the leader has logged it.
  const forger = net.connect({ host: '127.0.0.1', port: peerPort });
  t.teardown(() => forger.destroy());
  forger.write(JSON.stringify({ hello: { from: other, to: leader } }) + '\n' + JSON.stringify(heartbeat) + '\n');
  await waitFor('the leader to log the forged heartbeat', () => readFileSync(join(c.dir, 'logs', `node-${leader}.log`), 'utf8').includes(`refused a heartbeat from node ${other}: claims to lead term ${term}`));
  forger.destroy();
  t.equal(c.procs.get(leader)!.exitCode, null, 'the leader survived a forged heartbeat in its own term');

  // Everyone else carries on, nothing lost, the leader unchanged.
  t.equal((await jsonRequest(port, { op: 'get', key: 'keep' })).value, 'safe');
  t.equal(await c.waitForLeader(), leader, 'leadership undisturbed');
  for (const n of c.nodes) {
    await waitFor(`node ${n.id} serves`, async () => (await jsonRequest(n.port, { op: 'get', key: 'keep' })).value === 'safe');
  }
});
