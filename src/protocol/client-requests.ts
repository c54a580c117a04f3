/**
 * The typed client requests every dialect maps to, and the JSON dialect's wire form
 * (DESIGN.md "Client port protocol"):
 *
 *   {"id":7,"op":"get","key":"k"}  ->  {"id":7,"ok":true,"value":"v"}
 *   error                          ->  {"id":7,"ok":false,"error":{"code":"NOT_LEADER","message":"..."}}
 *
 * `parseJsonRequest` validates untrusted input: it never throws, and every refusal names the
 * field at fault. Unknown extra fields are ignored (so newer clients can talk to older nodes).
 */
import type { Entry, MemberAddress, NodeId, Role } from './raft-messages.js';
import { addressError, isNodeId } from './membership-validate.js';
import { errorFromJson, RaftKvError, toRaftKvError } from './errors.js';
import { commandSizeError } from './size-limits.js';

/**
 * How fresh a read must be. `linearizable` (default): confirmed by the leader, with a ReadIndex
 * round or, when cluster.json says `"readMode": "lease"`, from its lease (the cluster's setting
 * decides, since every node must agree on it). `lease` is accepted as a synonym of `linearizable`
 * for clients that name it. `stale`: whatever this node has applied, possibly behind.
 */
export type Consistency = 'linearizable' | 'lease' | 'stale';
export const CONSISTENCIES: readonly Consistency[] = ['linearizable', 'lease', 'stale'];

/**
 * Exactly-once writes: a client that retries sends the same `clientId` and `seq`; the state
 * machine applies a given (clientId, seq) at most once and answers a duplicate with the first
 * result. Both fields are present together or not at all (parseJsonRequest enforces it).
 */
export interface WriteSession {
  clientId?: string;
  /** Per-client sequence number, a non-negative safe integer, increasing per new write. */
  seq?: number;
}

export interface ReadOptions {
  consistency?: Consistency;
}

export interface GetRequest extends ReadOptions {
  op: 'get';
  key: string;
}
export interface SetRequest extends WriteSession {
  op: 'set';
  key: string;
  value: string;
}
/** `keys` is never empty. */
export interface DelRequest extends WriteSession {
  op: 'del';
  keys: string[];
}
/** Swaps in `value` if the key holds `expected`; `expected: null` means the key must be absent. */
export interface CasRequest extends WriteSession {
  op: 'cas';
  key: string;
  expected: string | null;
  value: string;
}
/** `keys` is never empty; each key counts once per mention (as in Redis EXISTS). */
export interface ExistsRequest extends ReadOptions {
  op: 'exists';
  keys: string[];
}
/** Redis glob pattern (glob.ts). */
export interface KeysRequest extends ReadOptions {
  op: 'keys';
  pattern: string;
}
export interface StatusRequest {
  op: 'status';
}
export interface PingRequest {
  op: 'ping';
  message?: string;
}
/** `section`: one or more Redis INFO section names separated by blanks; absent = default. */
export interface InfoRequest {
  op: 'info';
  section?: string;
}
/**
 * Take a snapshot of this node's state machine now (Redis SAVE; `background` = BGSAVE: answer at
 * once). Answered with the snapshot's index and term (SAVE) or `{started: bool}` (BGSAVE).
 */
export interface SnapshotRequest {
  op: 'snapshot';
  background?: boolean;
}
/** RAFT.INFO: the node's Raft state as Redis-Raft reports it (redis-raft-info.ts). */
export interface RaftInfoRequest {
  op: 'raftInfo';
}
/** The most recent raft log entries of the node asked; 1 <= limit <= ENTRIES_LIMIT_MAX. */
export interface EntriesRequest {
  op: 'entries';
  limit: number;
}

/**
 * Membership requests (any node takes them; a follower forwards them to the leader's client port
 * and relays the answer). On the wire the member is named by `nodeId`, or by `id` when `nodeId`
 * is absent (DESIGN's form, `{"op":"removeMember","id":2}`, where `id` is also echoed as the
 * request id). `forwarded` marks a request a follower passed on: a node that is not the leader
 * either answers it NOT_LEADER instead of forwarding it again, so two nodes that each think the
 * other leads cannot bounce it back and forth.
 */
export interface MembershipHop {
  forwarded?: boolean;
}
/** The members and their roles; `stale`: this node's own view, without asking the leader. */
export interface MembersRequest extends MembershipHop {
  op: 'members';
  consistency?: Consistency;
}
/** Add a member: as a learner (`learner: true`, promoted later) or straight as a voter. */
export interface AddMemberRequest extends MembershipHop {
  op: 'addMember';
  nodeId: NodeId;
  host: string;
  port: number;
  peerPort: number;
  learner: boolean;
}
export interface PromoteMemberRequest extends MembershipHop {
  op: 'promoteMember';
  nodeId: NodeId;
}
export interface RemoveMemberRequest extends MembershipHop {
  op: 'removeMember';
  nodeId: NodeId;
}
/** Hand leadership to voter `nodeId`; answered once this node sees it lead (thesis §3.10). */
export interface TransferLeaderRequest extends MembershipHop {
  op: 'transferLeader';
  nodeId: NodeId;
}
export type MembershipRequest = MembersRequest | AddMemberRequest | PromoteMemberRequest | RemoveMemberRequest | TransferLeaderRequest;

/** One row of the `members` reply. */
export interface MemberInfo {
  id: NodeId;
  host: string;
  port: number;
  peerPort: number;
  role: 'voter' | 'learner';
}

/** Authenticate this connection (see auth.ts); `user` defaults to `default`. */
export interface AuthRequest {
  op: 'auth';
  password: string;
  user?: string;
}

export type ClientRequest =
  | AuthRequest
  | GetRequest
  | SetRequest
  | DelRequest
  | CasRequest
  | ExistsRequest
  | KeysRequest
  | StatusRequest
  | PingRequest
  | InfoRequest
  | SnapshotRequest
  | RaftInfoRequest
  | EntriesRequest
  | MembershipRequest;

export type ClientOp = ClientRequest['op'];
export type WriteRequest = SetRequest | DelRequest | CasRequest;
export type ReadRequest = GetRequest | ExistsRequest | KeysRequest;

export const CLIENT_OPS: readonly ClientOp[] = [
  'auth', 'get', 'set', 'del', 'cas', 'exists', 'keys', 'status', 'ping', 'info', 'raftInfo', 'snapshot', 'entries',
  'members', 'addMember', 'promoteMember', 'removeMember', 'transferLeader',
];

export const ENTRIES_LIMIT_DEFAULT = 20;
export const ENTRIES_LIMIT_MAX = 1000;

/** What the node reports for `status` (DESIGN.md); nodes may add fields. */
export interface NodeStatusValue {
  id: NodeId;
  role: Role;
  term: number;
  /** 0 when no leader is known. */
  leader: NodeId;
  commitIndex: number;
  lastApplied: number;
  lastLogIndex: number;
  /** The newest snapshot (0/0: none) and the first index still in the log. */
  snapshotIndex?: number;
  snapshotTerm?: number;
  firstLogIndex?: number;
  [extra: string]: unknown;
}

/** The `value` of a successful reply, per op. */
export interface OpResults {
  auth: 'OK';
  get: string | null;
  set: 'OK';
  /** Keys removed. */
  del: number;
  /** True if swapped. */
  cas: boolean;
  /** Keys that exist, counting repeats. */
  exists: number;
  keys: string[];
  status: NodeStatusValue;
  /** 'PONG', or the message. */
  ping: string;
  /** Redis INFO text. */
  info: string;
  /** SAVE: the snapshot now newest (null: nothing applied yet); BGSAVE: whether one was started. */
  snapshot: { index: number; term: number } | null | { started: boolean };
  /** RAFT.INFO text, in INFO's layout. */
  raftInfo: string;
  entries: Entry[];
  members: MemberInfo[];
  addMember: 'OK';
  promoteMember: 'OK';
  removeMember: 'OK';
  transferLeader: 'OK';
}

export type ResultOf<R extends ClientRequest> = OpResults[R['op']];

/** Writes go through the log; everything else is a read or local. */
export function isWrite(req: ClientRequest): req is WriteRequest {
  return req.op === 'set' || req.op === 'del' || req.op === 'cas';
}

/** Reads of the key space (the ones `consistency` applies to). */
export function isRead(req: ClientRequest): req is ReadRequest {
  return req.op === 'get' || req.op === 'exists' || req.op === 'keys';
}

/** JSON request id: echoed back as given; null when absent or unusable. */
export type RequestId = number | string | null;

export type ParsedJsonRequest =
  | { ok: true; id: RequestId; req: ClientRequest }
  | { ok: false; id: RequestId; error: RaftKvError };

/** Thrown inside the parser only; turned into a result at the boundary. */
function bad(message: string): RaftKvError {
  return new RaftKvError('BAD_REQUEST', message);
}

type Fields = Record<string, unknown>;

function has(obj: Fields, field: string): boolean {
  return Object.hasOwn(obj, field) && obj[field] !== undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function requireString(obj: Fields, field: string): string {
  if (!has(obj, field)) throw bad(`field '${field}' is required`);
  const v = obj[field];
  if (typeof v !== 'string') throw bad(`field '${field}' must be a string, got ${describe(v)}`);
  return v;
}

function optionalString(obj: Fields, field: string): string | undefined {
  return has(obj, field) ? requireString(obj, field) : undefined;
}

/** `key` (one string) or `keys` (a non-empty array of strings), not both. */
function keyList(obj: Fields): string[] {
  const hasKey = has(obj, 'key');
  const hasKeys = has(obj, 'keys');
  if (hasKey && hasKeys) throw bad("give either field 'key' or field 'keys', not both");
  if (hasKey) return [requireString(obj, 'key')];
  if (!hasKeys) throw bad("field 'keys' (or 'key') is required");
  const v = obj.keys;
  if (!Array.isArray(v)) throw bad(`field 'keys' must be an array of strings, got ${describe(v)}`);
  if (v.length === 0) throw bad("field 'keys' must not be empty");
  v.forEach((k, i) => {
    if (typeof k !== 'string') throw bad(`field 'keys[${i}]' must be a string, got ${describe(k)}`);
  });
  return v as string[];
}

function session(obj: Fields): WriteSession {
  const hasClient = has(obj, 'clientId');
  const hasSeq = has(obj, 'seq');
  if (!hasClient && !hasSeq) return {};
  if (hasClient !== hasSeq) throw bad("fields 'clientId' and 'seq' go together");
  const clientId = requireString(obj, 'clientId');
  if (clientId.length === 0) throw bad("field 'clientId' must not be empty");
  const seq = obj.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw bad(`field 'seq' must be a non-negative integer, got ${typeof seq === 'number' ? seq : describe(seq)}`);
  }
  return { clientId, seq };
}

function readOptions(obj: Fields): ReadOptions {
  if (!has(obj, 'consistency')) return {};
  const c = obj.consistency;
  if (typeof c !== 'string' || !(CONSISTENCIES as readonly string[]).includes(c)) {
    throw bad(`field 'consistency' must be one of ${CONSISTENCIES.join(', ')}`);
  }
  return { consistency: c as Consistency };
}

function entriesLimit(obj: Fields): number {
  if (!has(obj, 'limit')) return ENTRIES_LIMIT_DEFAULT;
  const v = obj.limit;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > ENTRIES_LIMIT_MAX) {
    throw bad(`field 'limit' must be an integer from 1 to ${ENTRIES_LIMIT_MAX}`);
  }
  return v;
}

/** The member a membership request names: `nodeId`, else `id` (see MembershipHop). */
function memberId(obj: Fields): NodeId {
  const field = has(obj, 'nodeId') ? 'nodeId' : 'id';
  const v = obj[field];
  if (v === undefined || v === null) throw bad("field 'nodeId' (or 'id') is required: the member's id");
  if (!isNodeId(v)) throw bad(`field '${field}' must be a node id (an integer from 1 to 2^31), got ${typeof v === 'number' ? v : describe(v)}`);
  return v;
}

function hop(obj: Fields): MembershipHop {
  const v = obj.forwarded;
  if (v === undefined) return {};
  if (typeof v !== 'boolean') throw bad(`field 'forwarded' must be a boolean, got ${describe(v)}`);
  return v ? { forwarded: true } : {};
}

function membershipRequest(op: MembershipRequest['op'], obj: Fields): MembershipRequest {
  switch (op) {
    case 'members':
      return { op, ...readOptions(obj), ...hop(obj) };
    case 'addMember': {
      const nodeId = memberId(obj);
      const address = { host: obj.host, port: obj.port, peerPort: obj.peerPort };
      const why = addressError(address, '');
      if (why) throw bad(`fields host, port and peerPort: ${why}`);
      const learner = obj.learner ?? false;
      if (typeof learner !== 'boolean') throw bad(`field 'learner' must be a boolean, got ${describe(learner)}`);
      return { op, nodeId, ...(address as MemberAddress), learner, ...hop(obj) };
    }
    case 'promoteMember':
    case 'removeMember':
    case 'transferLeader':
      return { op, nodeId: memberId(obj), ...hop(obj) };
  }
}

/** Builds the typed request from a parsed object whose `op` is a string. */
function requestFor(op: string, obj: Fields): ClientRequest {
  switch (op) {
    case 'get':
      return { op, key: requireString(obj, 'key'), ...readOptions(obj) };
    case 'set':
      return { op, key: requireString(obj, 'key'), value: requireString(obj, 'value'), ...session(obj) };
    case 'del':
      return { op, keys: keyList(obj), ...session(obj) };
    case 'cas': {
      const key = requireString(obj, 'key');
      if (!Object.hasOwn(obj, 'expected')) throw bad("field 'expected' is required (null means the key must be absent)");
      const expected = obj.expected;
      if (expected !== null && typeof expected !== 'string') {
        throw bad(`field 'expected' must be a string or null, got ${describe(expected)}`);
      }
      return { op, key, expected, value: requireString(obj, 'value'), ...session(obj) };
    }
    case 'exists':
      return { op, keys: keyList(obj), ...readOptions(obj) };
    case 'keys':
      return { op, pattern: optionalString(obj, 'pattern') ?? '*', ...readOptions(obj) };
    case 'status':
    case 'raftInfo':
      return { op };
    case 'ping': {
      const message = optionalString(obj, 'message');
      return message === undefined ? { op } : { op, message };
    }
    case 'info': {
      const section = optionalString(obj, 'section');
      return section === undefined ? { op } : { op, section };
    }
    case 'entries':
      return { op, limit: entriesLimit(obj) };
    case 'snapshot': {
      const background = obj.background;
      if (background !== undefined && typeof background !== 'boolean') throw bad(`field 'background' must be a boolean, got ${describe(background)}`);
      return background === undefined ? { op } : { op, background };
    }
    case 'auth': {
      const user = optionalString(obj, 'user');
      return { op, password: requireString(obj, 'password'), ...(user === undefined ? {} : { user }) };
    }
    case 'members':
    case 'addMember':
    case 'promoteMember':
    case 'removeMember':
    case 'transferLeader':
      return membershipRequest(op, obj);
    default:
      throw new RaftKvError('UNKNOWN_OP', `unknown op '${op}'`);
  }
}

/**
 * Parses and validates one JSON request line (without its newline). Never throws.
 * `id` is echoed in the result whenever it could be read (a number or a string), else null.
 */
export function parseJsonRequest(line: string): ParsedJsonRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    return { ok: false, id: null, error: bad(`malformed JSON: ${(err as Error).message}`) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, id: null, error: bad(`a request must be a JSON object, got ${describe(parsed)}`) };
  }
  const obj = parsed as Fields;
  let id: RequestId = null;
  if (has(obj, 'id') && obj.id !== null) {
    const raw = obj.id;
    if (typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw))) {
      id = raw;
    } else {
      return { ok: false, id: null, error: bad(`field 'id' must be a number or a string, got ${describe(raw)}`) };
    }
  }
  if (!has(obj, 'op')) return { ok: false, id, error: bad("field 'op' is required") };
  if (typeof obj.op !== 'string') return { ok: false, id, error: bad(`field 'op' must be a string, got ${describe(obj.op)}`) };
  try {
    const req = requestFor(obj.op, obj);
    const tooLarge = commandSizeError(req as unknown as Record<string, unknown>);
    return tooLarge ? { ok: false, id, error: tooLarge } : { ok: true, id, req };
  } catch (err) {
    return { ok: false, id, error: toRaftKvError(err) };
  }
}

/**
 * `{"id":..,"ok":true,"value":..}` followed by `\n`, ready to write. An undefined `value` is
 * sent as null (JSON has no undefined).
 */
export function encodeJsonReply(id: RequestId, value: unknown): string {
  return `${JSON.stringify({ id, ok: true, value: value === undefined ? null : value })}\n`;
}

/**
 * `{"id":..,"ok":false,"error":{"code":..,"message":..}}` followed by `\n`, ready to write.
 * Anything that is not a RaftKvError is reported as INTERNAL.
 */
export function encodeJsonError(id: RequestId, err: unknown): string {
  return `${JSON.stringify({ id, ok: false, error: toRaftKvError(err).toJSON() })}\n`;
}

/** A client's JSON request line (with `\n`): the request's fields plus `id`. */
export function encodeJsonRequest(id: RequestId, req: ClientRequest): string {
  return `${JSON.stringify({ id, ...req })}\n`;
}

export type JsonReply = { id: RequestId; ok: true; value: unknown } | { id: RequestId; ok: false; error: RaftKvError };

/**
 * Parses a reply line from a node (client side). Throws PROTOCOL_ERROR if the line is not a
 * reply at all (the connection is then out of step and should be dropped).
 */
export function parseJsonReply(line: string): JsonReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new RaftKvError('PROTOCOL_ERROR', `malformed JSON reply: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as Fields).ok !== 'boolean') {
    throw new RaftKvError('PROTOCOL_ERROR', `not a reply: ${line.slice(0, 200)}`);
  }
  const obj = parsed as Fields;
  const id = typeof obj.id === 'number' || typeof obj.id === 'string' ? obj.id : null;
  if (obj.ok === true) return { id, ok: true, value: obj.value === undefined ? null : obj.value };
  return { id, ok: false, error: errorFromJson(obj.error) };
}
