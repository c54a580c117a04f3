/**
 * How the client library reaches one node: a connection that carries JSON requests and brings
 * their replies back. In production it is a NodeConnection (TCP or TLS, AUTH first on a secure
 * cluster); the simulator plugs in a connection straight into a simulated node's client entry
 * points, so that it checks the very retry, leader-following and session logic users run.
 */
import type { JsonReply } from '../protocol/client-requests.js';
import type { ClientClock } from './client-clock.js';
import type { ClientLogger } from './client-log.js';
import type { ClientSecurity } from './client-security.js';

/** What the client needs to reach a node (a cluster.json NodeAddress fits). */
export interface ClientNodeAddress {
  id: number;
  host: string;
  port: number;
}

export interface Connection {
  /**
   * Sends `body` (its `id` field is the connection's business) and resolves with the reply,
   * whether ok or not. Settles exactly once: rejects with RaftKvError TIMEOUT after `timeoutMs`,
   * UNAVAILABLE if the node could not be reached (the request was certainly not sent),
   * CONNECTION_LOST if the connection dropped after it was sent, SHUTTING_DOWN after close().
   */
  request(body: Record<string, unknown>, timeoutMs: number): Promise<JsonReply>;
  /** Fails everything in flight with SHUTTING_DOWN and lets the connection go. Idempotent. */
  close(): void;
}

export interface ConnectionOptions {
  logger: ClientLogger;
  /** A connection attempt that takes longer fails with UNAVAILABLE. */
  connectTimeoutMs: number;
  security?: ClientSecurity;
  /** The clock of every timeout the connection keeps. */
  clock: ClientClock;
}

/** Makes the connection to one node; called once per node, when the client is built. */
export type Connect = (node: ClientNodeAddress, options: ConnectionOptions) => Connection;
