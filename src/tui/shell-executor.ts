/**
 * Runs the shell's commands on the cluster through the client library, which follows the leader
 * and retries until its deadline (so a request typed while the leader dies still lands, or says
 * why it could not). Answers are turned into redis-cli-style replies by replyFromResult; failures
 * become error replies by replyFromError, never rejections.
 */
import type { RaftKvClient } from '../client/raftkv-client.js';
import { RaftKvError } from '../protocol/errors.js';
import { replyFromError, replyFromResult, type ShellReply } from './shell/reply.js';
import { sendRedisCommand, type RedisTarget } from './shell/send-redis-command.js';

/** Deadline of one PING try on one node: PING is local to a node, so it is quick or dead. */
const PING_TRY_MS = 1000;

/**
 * PING has no call in the client library (it is not a key-space operation): ask the known leader
 * first, then the other nodes, and answer with the first reply.
 */
async function ping(client: RaftKvClient, message: string | undefined): Promise<unknown> {
  const ids = client.nodes.map((n) => n.id);
  const leader = client.leaderId;
  const order = leader === null ? ids : [leader, ...ids.filter((id) => id !== leader)];
  const failures: string[] = [];
  for (const id of order) {
    try {
      const reply = await client.request(id, message === undefined ? { op: 'ping' } : { op: 'ping', message }, { timeoutMs: PING_TRY_MS });
      if (reply.ok) return reply.value;
      throw reply.error;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      failures.push(`node ${id}: ${e.code ?? 'ERR'} ${e.message ?? String(err)}`);
      if (e.code === 'SHUTTING_DOWN') break;
    }
  }
  throw new RaftKvError('UNAVAILABLE', `no node answered PING (${failures.join('; ')})`);
}

/** The client call for one validated shell command; resolves with the protocol's `value`. */
export function callFor(client: RaftKvClient, argv: readonly string[]): Promise<unknown> {
  const [name = '', ...args] = argv;
  switch (name.toUpperCase()) {
    case 'GET':
      return client.get(args[0]!);
    case 'SET':
      return client.set(args[0]!, args[1]!).then(() => 'OK');
    case 'DEL':
      return client.del(args);
    case 'CAS':
      return client.cas(args[0]!, args[1]!, args[2]!);
    case 'EXISTS':
      return client.exists(args);
    case 'KEYS':
      return client.keys(args[0] ?? '*');
    case 'PING':
      return ping(client, args[0]);
    default:
      return Promise.reject(new RaftKvError('UNKNOWN_OP', `ERR unknown command '${name}'`));
  }
}

/** The shell's own commands, run through the client library (leader-following, retrying). */
const CLIENT_COMMANDS = new Set(['GET', 'SET', 'DEL', 'CAS', 'EXISTS', 'KEYS', 'PING']);

/**
 * Runs `argv` and resolves with the reply to print (errors included) and how long it took. The
 * shell's own commands go through the client library; any other goes to `target` as typed.
 */
export async function executeShellCommand(
  client: RaftKvClient,
  argv: readonly string[],
  target: RedisTarget = client.preferredNode,
): Promise<{ reply: ShellReply; latencyMs: number }> {
  const started = performance.now();
  let reply: ShellReply;
  if (!CLIENT_COMMANDS.has((argv[0] ?? '').toUpperCase())) {
    reply = await sendRedisCommand(target, argv, client.timeoutMs);
    return { reply, latencyMs: performance.now() - started };
  }
  try {
    reply = replyFromResult(argv[0] ?? '', await callFor(client, argv));
  } catch (err) {
    reply = replyFromError(err);
  }
  return { reply, latencyMs: performance.now() - started };
}
