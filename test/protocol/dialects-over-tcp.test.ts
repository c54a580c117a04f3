/**
 * The protocol pieces wired the way the client server will wire them, over a real socket:
 * decoder -> (parseJsonRequest | parseRedisCommand) -> a toy in-memory KV -> encoders.
 * Checks what outside tools see on the wire, including the close after a fatal protocol error.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { ClientRequestDecoder } from '../../src/protocol/client-decoder.js';
import { encodeJsonError, encodeJsonReply, parseJsonRequest, type ClientRequest } from '../../src/protocol/client-requests.js';
import { parseRedisCommand } from '../../src/protocol/redis-commands.js';
import { encodeRespResult } from '../../src/protocol/redis-replies.js';
import { encodeRespError } from '../../src/protocol/resp-errors.js';
import { encodeCommand, RespReplyParser, type RespReply } from '../../src/protocol/resp.js';
import { compileGlob } from '../../src/protocol/glob.js';

/** The part of a tap test these helpers use. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

function apply(kv: Map<string, string>, req: ClientRequest): unknown {
  switch (req.op) {
    case 'get':
      return kv.get(req.key) ?? null;
    case 'set':
      kv.set(req.key, req.value);
      return 'OK';
    case 'del':
      return req.keys.filter((k) => kv.delete(k)).length;
    case 'exists':
      return req.keys.filter((k) => kv.has(k)).length;
    case 'cas':
      if ((kv.get(req.key) ?? null) !== req.expected) return false;
      kv.set(req.key, req.value);
      return true;
    case 'keys':
      return [...kv.keys()].filter(compileGlob(req.pattern)).sort();
    case 'ping':
      return req.message ?? 'PONG';
    default:
      return null;
  }
}

async function startServer(t: Teardown): Promise<number> {
  const kv = new Map<string, string>();
  const server = net.createServer((socket) => {
    const decoder = new ClientRequestDecoder({ maxInlineBytes: 1024 });
    socket.on('data', (chunk: Buffer) => {
      for (const d of decoder.push(chunk)) {
        if (d.kind === 'error') {
          socket.write(d.dialect === 'json' ? encodeJsonError(null, d.error) : encodeRespError(d.error));
          if (d.fatal) socket.end();
        } else if (d.kind === 'json') {
          const p = parseJsonRequest(d.line);
          socket.write(p.ok ? encodeJsonReply(p.id, apply(kv, p.req)) : encodeJsonError(p.id, p.error));
        } else {
          const cmd = parseRedisCommand(d.argv);
          if (cmd.kind === 'reply') {
            socket.write(cmd.reply);
            if (cmd.close) socket.end();
          } else {
            socket.write(encodeRespResult(cmd.req, apply(kv, cmd.req), cmd.shape));
          }
        }
      }
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

/** A connected client collecting everything the server sends until it closes or `until` holds. */
async function converse(t: Teardown, port: number, writes: Array<string | Buffer>, until: (raw: Buffer) => boolean): Promise<{ raw: Buffer; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let closed = false;
  const done = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no complete answer within 5s: ${JSON.stringify(Buffer.concat(chunks).toString())}`)), 5000);
    const check = (): void => {
      if (closed || until(Buffer.concat(chunks))) {
        clearTimeout(deadline);
        resolve();
      }
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      check();
    });
    socket.on('close', () => {
      closed = true;
      check();
    });
  });
  // Separate writes with a round trip through the event loop so they arrive as separate chunks.
  for (const w of writes) {
    socket.write(w);
    await new Promise((r) => setImmediate(r));
  }
  await done;
  return { raw: Buffer.concat(chunks), closed };
}

function repliesIn(raw: Buffer): RespReply[] {
  return new RespReplyParser().feed(raw);
}

t.test('RESP, split at odd places, pipelined', async (t) => {
  const port = await startServer(t);
  const wire = Buffer.concat([
    encodeCommand(['SET', 'k', 'välue']),
    encodeCommand(['GET', 'k']),
    encodeCommand(['CAS', 'k', 'välue', 'w']),
    encodeCommand(['GET', 'nope']),
    encodeCommand(['KEYS', '*']),
    encodeCommand(['NOPE', 'x']),
  ]);
  const writes = [wire.subarray(0, 3), wire.subarray(3, 20), wire.subarray(20, 21), wire.subarray(21)];
  const { raw } = await converse(t, port, writes, (b) => b.toString().includes('NOPE'));
  t.same(repliesIn(raw), [
    { type: 'simple', value: 'OK' },
    { type: 'bulk', value: 'välue' },
    { type: 'integer', value: 1 },
    { type: 'bulk', value: null },
    { type: 'array', items: [{ type: 'bulk', value: 'k' }] },
    { type: 'error', message: "ERR unknown command 'NOPE', with args beginning with: 'x' " },
  ]);
});

t.test('inline and JSON on one connection (what nc users do)', async (t) => {
  const port = await startServer(t);
  const { raw } = await converse(
    t,
    port,
    ['SET greeting "hello world"\r\n', 'GET greeting\r\n', '\r\n', '{"id":1,"op":"get","key":"greeting"}\n', '{"id":2,"op":"nope"}\n'],
    (b) => b.toString().includes('"id":2'),
  );
  t.equal(
    raw.toString(),
    '+OK\r\n$11\r\nhello world\r\n' +
      '{"id":1,"ok":true,"value":"hello world"}\n' +
      '{"id":2,"ok":false,"error":{"code":"UNKNOWN_OP","message":"unknown op \'nope\'"}}\n',
  );
});

t.test('too big inline request: Redis error, then the server closes', async (t) => {
  const port = await startServer(t);
  const { raw, closed } = await converse(t, port, ['PING\r\n', 'x'.repeat(600), 'y'.repeat(600)], () => false);
  t.ok(closed, 'connection closed by the server');
  t.equal(raw.toString(), '+PONG\r\n-ERR Protocol error: too big inline request\r\n');
});

t.test('QUIT answers +OK and closes', async (t) => {
  const port = await startServer(t);
  const { raw, closed } = await converse(t, port, ['QUIT\r\n'], () => false);
  t.ok(closed);
  t.equal(raw.toString(), '+OK\r\n');
});
