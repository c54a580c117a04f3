/**
 * One JSON request to another node's client port, from inside a node: a follower relaying a
 * membership request to its leader, a joining node asking a member to add it. Membership work is
 * rare, so each request gets its own short connection (no pool to keep healthy).
 *
 * The connection is the client library's own (NodeConnection): TLS with the cluster CA (the
 * node's own certificate, valid for client authentication, when the port is `mutual`), the
 * password sent first as AUTH, replies matched by id, one cleanup path. A second copy of that
 * code here would drift from the one every client runs. (The node reaches into src/client only
 * for this; the client library imports nothing of the node.)
 */
import type { JsonReply } from '../protocol/client-requests.js';
import type { ClientSecurity } from '../client/client-security.js';
import { NodeConnection } from '../client/node-connection.js';
import type { TlsMaterial } from './tls-material.js';

export interface ClientPortCredentials {
  /** The client port speaks TLS (cluster.json security.clientTls on|mutual). */
  tls: TlsMaterial | null;
  password: string | null;
}

/** A members list or an error: small. A longer reply means the other side is not a node. */
const MAX_REPLY_BYTES = 1024 * 1024;

/**
 * Sends `body` and resolves with the node's reply (ok or not). Rejects with UNAVAILABLE (no
 * connection), CONNECTION_LOST (closed before the reply: the request may or may not have been
 * acted on), TIMEOUT, or the refusal of our AUTH (WRONGPASS, ...).
 */
export async function requestClientPort(to: { host: string; port: number }, body: Record<string, unknown>, creds: ClientPortCredentials, timeoutMs: number): Promise<JsonReply> {
  const security: ClientSecurity = {
    ...(creds.tls ? { tls: creds.tls } : {}),
    ...(creds.password !== null ? { password: creds.password } : {}),
  };
  // Node id 0: the address may be any member's (a joining node does not know whose it is yet).
  const conn = new NodeConnection({ id: 0, host: to.host, port: to.port }, { connectTimeoutMs: timeoutMs, maxReplyBytes: MAX_REPLY_BYTES, security });
  try {
    return await conn.request(body, timeoutMs);
  } finally {
    conn.close();
  }
}
