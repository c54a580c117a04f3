/**
 * The requests and replies of the supervisor's control socket (net-ipc, a Unix socket at
 * `<dataDir>/supervisor.sock`). Shared by control-server.ts and control-client.ts; the request
 * is validated here because anything local can connect to the socket.
 */
import { join } from 'node:path';
import { RaftKvError, type ErrorJson } from '../protocol/errors.js';
import { hostError } from '../protocol/membership-validate.js';

export type ControlRequest =
  | { op: 'status' }
  | { op: 'kill'; target: number | 'leader' }
  | { op: 'stop'; id: number }
  | { op: 'restart'; id: number }
  | { op: 'snapshot'; target: number | 'all' }
  | { op: 'shutdown' }
  | { op: 'isolate'; target: number | 'leader' }
  | { op: 'cut'; a: number; b: number; oneWay: boolean }
  | { op: 'slow'; id: number; ms: number }
  | { op: 'heal'; id?: number }
  | { op: 'add'; learner: boolean; host?: string }
  | { op: 'remove'; id: number }
  | { op: 'transfer'; id: number };

export type ControlReply = { ok: true; value: unknown } | { ok: false; error: ErrorJson };

/** The file name of the control socket inside the data directory. */
export const CONTROL_SOCKET_NAME = 'supervisor.sock';

/**
 * Unix socket paths are limited to ~108 bytes (sun_path) on Linux, 104 on macOS; a longer one
 * fails with an obscure error at listen time, so it is refused up front with a clear one.
 */
export const MAX_SOCKET_PATH_BYTES = 103;

/** `<dataDir>/supervisor.sock`, checked for length. */
export function controlSocketPath(dataDir: string): string {
  const path = join(dataDir, CONTROL_SOCKET_NAME);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new RaftKvError(
      'BAD_CONFIG',
      `control socket path is ${Buffer.byteLength(path)} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets: ${path} (use a shorter data directory)`,
    );
  }
  return path;
}

/** The longest delay `slow` takes (the node's own limit, peer-faults.ts). */
export const MAX_SLOW_MS = 60_000;

function isId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

/** Validates an untrusted control request; throws BAD_REQUEST naming the problem. */
export function parseControlRequest(raw: unknown): ControlRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RaftKvError('BAD_REQUEST', 'control request must be an object');
  }
  const r = raw as Record<string, unknown>;
  switch (r.op) {
    case 'status':
    case 'shutdown':
      return { op: r.op };
    case 'kill':
      if (r.target !== 'leader' && !isId(r.target)) {
        throw new RaftKvError('BAD_REQUEST', `kill: target must be a node id or "leader", got ${JSON.stringify(r.target)}`);
      }
      return { op: 'kill', target: r.target };
    case 'snapshot':
      if (r.target !== 'all' && !isId(r.target)) {
        throw new RaftKvError('BAD_REQUEST', `snapshot: target must be a node id or "all", got ${JSON.stringify(r.target)}`);
      }
      return { op: 'snapshot', target: r.target };
    case 'stop':
    case 'restart':
    case 'remove':
    case 'transfer':
      if (!isId(r.id)) throw new RaftKvError('BAD_REQUEST', `${r.op}: id must be a node id, got ${JSON.stringify(r.id)}`);
      return { op: r.op, id: r.id };
    case 'isolate':
      if (r.target !== 'leader' && !isId(r.target)) {
        throw new RaftKvError('BAD_REQUEST', `isolate: target must be a node id or "leader", got ${JSON.stringify(r.target)}`);
      }
      return { op: 'isolate', target: r.target };
    case 'cut':
      if (!isId(r.a) || !isId(r.b)) throw new RaftKvError('BAD_REQUEST', `cut: a and b must be node ids, got ${JSON.stringify(r.a)} and ${JSON.stringify(r.b)}`);
      if (r.oneWay !== undefined && typeof r.oneWay !== 'boolean') throw new RaftKvError('BAD_REQUEST', 'cut: oneWay must be a boolean');
      return { op: 'cut', a: r.a, b: r.b, oneWay: r.oneWay === true };
    case 'slow':
      if (!isId(r.id)) throw new RaftKvError('BAD_REQUEST', `slow: id must be a node id, got ${JSON.stringify(r.id)}`);
      if (typeof r.ms !== 'number' || !Number.isSafeInteger(r.ms) || r.ms < 0 || r.ms > MAX_SLOW_MS) {
        throw new RaftKvError('BAD_REQUEST', `slow: ms must be an integer from 0 to ${MAX_SLOW_MS}, got ${JSON.stringify(r.ms)}`);
      }
      return { op: 'slow', id: r.id, ms: r.ms };
    case 'add':
      if (r.learner !== undefined && typeof r.learner !== 'boolean') throw new RaftKvError('BAD_REQUEST', 'add: learner must be a boolean');
      if (r.host !== undefined && hostError(r.host)) throw new RaftKvError('BAD_REQUEST', `add: ${hostError(r.host)}, got ${JSON.stringify(r.host)}`);
      return { op: 'add', learner: r.learner === true, ...(r.host === undefined ? {} : { host: r.host as string }) };
    case 'heal':
      if (r.id !== undefined && !isId(r.id)) throw new RaftKvError('BAD_REQUEST', `heal: id must be a node id, got ${JSON.stringify(r.id)}`);
      return r.id === undefined ? { op: 'heal' } : { op: 'heal', id: r.id };
    default:
      throw new RaftKvError('UNKNOWN_OP', `unknown control op ${JSON.stringify(r.op)}`);
  }
}
