/**
 * One JSON request to another node's client port, from inside a node: a follower relaying a
 * membership request to its leader, a joining node asking a member to add it. Membership work is
 * rare, so each request gets its own short connection (no pool to keep healthy).
 *
 * A secure cluster's client port wants what any client shows: TLS with the cluster CA (the node's
 * own certificate, which is valid for client authentication, when the port is `mutual`) and the
 * password, sent first as an AUTH request.
 *
 * This is the node's own small copy of what the client library's NodeConnection does: the layout
 * lets src/node import only raft and protocol, so that a node never depends on client code (and
 * the client library can change without touching what runs inside a node). One request per
 * connection keeps the copy short.
 */
import net from 'node:net';
import tls from 'node:tls';
import { parseJsonReply, type JsonReply } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';
import { LineSplitter } from './line-splitter.js';
import type { TlsMaterial } from './tls-material.js';

export interface ClientPortCredentials {
  /** The client port speaks TLS (cluster.json security.clientTls on|mutual). */
  tls: TlsMaterial | null;
  password: string | null;
}

const AUTH_ID = 0;
const REQUEST_ID = 1;
/** A members list or an error: small. A longer reply means the other side is not a node. */
const MAX_REPLY_BYTES = 1024 * 1024;

/**
 * Sends `body` and resolves with the node's reply (ok or not); a refused AUTH resolves with its
 * error. Rejects with UNAVAILABLE (no connection), CONNECTION_LOST (closed before the reply:
 * the request may or may not have been acted on) or TIMEOUT.
 */
export function requestClientPort(to: { host: string; port: number }, body: Record<string, unknown>, creds: ClientPortCredentials, timeoutMs: number): Promise<JsonReply> {
  return new Promise((resolve, reject) => {
    const where = `${to.host}:${to.port}`;
    const socket = creds.tls ? tls.connect({ host: to.host, port: to.port, ...creds.tls, ...(net.isIP(to.host) ? {} : { servername: to.host }) }) : net.connect({ host: to.host, port: to.port });
    let sent = false;
    let settled = false;
    const finish = (err: RaftKvError | null, reply?: JsonReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new RaftKvError('TIMEOUT', `no answer from ${where} within ${timeoutMs} ms${sent ? '; the request may or may not have been acted on' : ''}`)), timeoutMs);
    socket.on(creds.tls ? 'secureConnect' : 'connect', () => {
      const auth = creds.password === null ? '' : `${JSON.stringify({ id: AUTH_ID, op: 'auth', password: creds.password })}\n`;
      socket.write(`${auth}${JSON.stringify({ ...body, id: REQUEST_ID })}\n`);
      sent = true;
    });
    const splitter = new LineSplitter(MAX_REPLY_BYTES);
    socket.on('data', (chunk: Buffer) => {
      const ok = splitter.push(chunk, (line) => {
        let reply: JsonReply;
        try {
          reply = parseJsonReply(line);
        } catch (err) {
          return finish(err as RaftKvError);
        }
        if (reply.id === AUTH_ID && !reply.ok) finish(null, reply);
        else if (reply.id === REQUEST_ID) finish(null, reply);
      });
      if (!ok) finish(new RaftKvError('PROTOCOL_ERROR', `a reply from ${where} longer than ${MAX_REPLY_BYTES} bytes`));
    });
    socket.on('error', (err) => finish(new RaftKvError(sent ? 'CONNECTION_LOST' : 'UNAVAILABLE', `${where}: ${err.message}`)));
    socket.on('close', () => finish(new RaftKvError(sent ? 'CONNECTION_LOST' : 'UNAVAILABLE', `${where} closed the connection${sent ? ' before answering' : ''}`)));
  });
}
