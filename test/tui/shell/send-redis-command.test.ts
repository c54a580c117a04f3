/**
 * The shell's pass-through: the command leaves as a RESP array, the reply comes back as parsed
 * (nested arrays included), and every failure is an error reply, never a rejection.
 */
import t from 'tap';
import net from 'node:net';
import { sendRedisCommand } from '../../../src/tui/shell/send-redis-command.js';

/** A one-connection server that records what it got and answers `reply` (raw bytes), or nothing. */
async function server(t: { teardown(fn: () => unknown): void }, reply: string | null): Promise<{ port: number; got: () => string }> {
  let got = '';
  const srv = net.createServer((s) => {
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (reply !== null && got.endsWith('\r\n')) s.end(reply);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  return { port: (srv.address() as net.AddressInfo).port, got: () => got };
}

t.test('sends RESP and returns the reply, nested arrays included', async (t) => {
  const s = await server(t, '*2\r\n:1\r\n*2\r\n$4\r\nrole\r\n+leader\r\n');
  const reply = await sendRedisCommand({ host: '127.0.0.1', port: s.port }, ['RAFT.INFO', 'x y'], 5000);
  t.same(reply, { type: 'array', items: [{ type: 'integer', value: 1 }, { type: 'array', items: [{ type: 'bulk', value: 'role' }, { type: 'simple', value: 'leader' }] }] });
  t.equal(s.got(), '*2\r\n$9\r\nRAFT.INFO\r\n$3\r\nx y\r\n', 'one argument per bulk, spaces kept');
});

t.test('failures are error replies', async (t) => {
  const silent = await server(t, null);
  t.match(await sendRedisCommand({ host: '127.0.0.1', port: silent.port }, ['INFO'], 300), { type: 'error', message: /^TIMEOUT no reply from 127\.0\.0\.1:\d+ within 300 ms$/ });
  const garbage = await server(t, '?what\r\n');
  t.match(await sendRedisCommand({ host: '127.0.0.1', port: garbage.port }, ['INFO'], 5000), { type: 'error', message: /^PROTOCOL_ERROR 127\.0\.0\.1:\d+ sent a malformed reply/ });
  const closing = await server(t, '');
  t.match(await sendRedisCommand({ host: '127.0.0.1', port: closing.port }, ['INFO'], 5000), { type: 'error', message: /closed the connection without a reply$/ });
  t.match(await sendRedisCommand({ host: '127.0.0.1', port: 1 }, ['INFO'], 5000), { type: 'error', message: /^UNAVAILABLE cannot reach 127\.0\.0\.1:1: ECONNREFUSED$/ });
});
