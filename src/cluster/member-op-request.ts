/**
 * One JSON request on a connection of its own, its `id` sent as given: the membership ops name
 * the member in `id` (`{"op":"addMember","id":4,...}`, DESIGN.md; nodes also take `nodeId`, and
 * the callers send both), the field that other requests use to match replies, so they cannot go
 * through NodeConnection, which numbers its requests itself. One request per connection needs no
 * matching: the first reply is the answer.
 */
import split2 from 'split2';
import { connectClientPort, type ClientSecurity } from '../client/client-security.js';
import { parseJsonReply, type JsonReply } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';

/** The id of the AUTH request sent first to a cluster with a password (never a member id). */
const AUTH_ID = 'auth';

/**
 * Sends `body` to host:port and resolves with the reply. Rejects with UNAVAILABLE (no connection),
 * CONNECTION_LOST (closed before the reply: the request may have been applied) or TIMEOUT.
 */
export function memberOpRequest(node: { host: string; port: number }, body: Record<string, unknown>, timeoutMs: number, security?: ClientSecurity): Promise<JsonReply> {
  return new Promise<JsonReply>((resolve, reject) => {
    const { socket, readyEvent } = connectClientPort(node.host, node.port, security);
    let connected = false;
    let settled = false;
    const finish = (outcome: JsonReply | RaftKvError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof RaftKvError) reject(outcome);
      else resolve(outcome);
    };
    const where = `${node.host}:${node.port}`;
    const timer = setTimeout(() => finish(new RaftKvError('TIMEOUT', `${String(body.op)}: no answer from ${where} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish(connected ? new RaftKvError('CONNECTION_LOST', `${where}: ${err.code ?? err.message}`) : new RaftKvError('UNAVAILABLE', `cannot reach ${where}: ${err.code ?? err.message}`));
    });
    socket.on('close', () => finish(new RaftKvError(connected ? 'CONNECTION_LOST' : 'UNAVAILABLE', `${where} closed the connection before answering`)));
    socket.once(readyEvent, () => {
      connected = true;
      if (security?.password !== undefined) socket.write(`${JSON.stringify({ id: AUTH_ID, op: 'auth', password: security.password })}\n`);
      socket.write(`${JSON.stringify(body)}\n`);
    });
    socket.pipe(split2()).on('data', (line: string) => {
      let reply: JsonReply;
      try {
        reply = parseJsonReply(line);
      } catch (err) {
        finish(err instanceof RaftKvError ? err : new RaftKvError('PROTOCOL_ERROR', String(err)));
        return;
      }
      if (reply.id === AUTH_ID) {
        if (!reply.ok) finish(reply.error);
        return;
      }
      finish(reply);
    });
  });
}
