/**
 * Sends one command the shell does not know itself to a node's client port as a RESP2 array
 * (what redis-cli sends) and resolves with the node's reply, unchanged, for format-reply.ts to
 * print. A fresh connection per command: the shell types a few commands a minute, and a
 * connection that cannot outlive a command cannot leave a half-read reply behind after a timeout.
 * Never rejects: a refused connection, a timeout or a malformed reply becomes an error reply.
 */
import net from 'node:net';
import { encodeCommand, RespReplyParser } from '../../protocol/resp.js';
import type { ShellReply } from './reply.js';

export interface RedisTarget {
  host: string;
  port: number;
}

export function sendRedisCommand(target: RedisTarget, argv: readonly string[], timeoutMs: number): Promise<ShellReply> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const parser = new RespReplyParser();
    let done = false;
    const finish = (reply: ShellReply): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const where = `${target.host}:${target.port}`;
    const timer = setTimeout(() => finish({ type: 'error', message: `TIMEOUT no reply from ${where} within ${timeoutMs} ms` }), timeoutMs);
    socket.on('connect', () => socket.write(encodeCommand(argv)));
    socket.on('data', (chunk) => {
      try {
        const [reply] = parser.feed(chunk);
        if (reply !== undefined) finish(reply);
      } catch (err) {
        finish({ type: 'error', message: `PROTOCOL_ERROR ${where} sent a malformed reply: ${(err as Error).message}` });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ type: 'error', message: `UNAVAILABLE cannot reach ${where}: ${err.code ?? err.message}` }));
    socket.on('close', () => finish({ type: 'error', message: `UNAVAILABLE ${where} closed the connection without a reply` }));
  });
}
