/**
 * Validation of peer messages read off the wire. The peer port is reachable by anyone on the
 * network, so every field is checked before the consensus core sees it: a malformed message is
 * refused with a reason (the transport logs it and drops the connection), never stepped.
 */
import { MESSAGE_TYPES, type Entry, type Message, type NodeId } from './raft-messages.js';
import { commandSizeError } from './size-limits.js';
import { configEntryError } from './membership-validate.js';

type Obj = Record<string, unknown>;

/** Snapshot chunks carry at most this much base64 (1 MiB of file per line). */
export const MAX_SNAPSHOT_CHUNK_BASE64 = 4 * Math.ceil((1024 * 1024) / 3);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Largest term or index a message may carry. A node must be able to add one (a candidate's term,
 * the next index) and still have an exact integer: a `heartbeatResp` with term 2^53-1 once moved
 * every node there, their votes then carried 2^53, which every validator refused, and the cluster
 * never elected a leader again.
 */
export const MAX_TERM_OR_INDEX = Number.MAX_SAFE_INTEGER - 2;
/** Commands in one forwarded proposal (a follower forwards what its clients sent in one turn). */
export const MAX_PROPOSE_BATCH = 4096;

const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TERM_OR_INDEX;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the message, or a string saying what is wrong with it. */
export function validatePeerMessage(raw: unknown): Message | string {
  if (!isObj(raw)) return 'message must be a JSON object';
  const type = raw.type;
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) return `unknown message type ${JSON.stringify(type)}`;
  for (const f of ['from', 'to', 'term'] as const) if (!isNat(raw[f])) return `${type}.${f} must be an integer from 0 to ${MAX_TERM_OR_INDEX}`;
  const need = (fields: string[], check: (v: unknown) => boolean, what: string): string | null => {
    for (const f of fields) if (!check(raw[f])) return `${type}.${f} must be ${what}`;
    return null;
  };
  const bool = (v: unknown) => typeof v === 'boolean';
  let err: string | null = null;
  switch (type) {
    case 'vote':
      err =
        need(['pre'], bool, 'a boolean') ??
        need(['lastLogIndex', 'lastLogTerm'], isNat, `an integer from 0 to ${MAX_TERM_OR_INDEX}`) ??
        (raw.transfer === undefined || typeof raw.transfer === 'boolean' ? null : 'vote.transfer must be a boolean');
      break;
    case 'voteResp':
      err = need(['pre', 'granted'], bool, 'a boolean');
      break;
    case 'append':
      err =
        need(['prevLogIndex', 'prevLogTerm', 'commit'], isNat, `an integer from 0 to ${MAX_TERM_OR_INDEX}`) ??
        optionalNat(raw, 'sentTick') ??
        validateEntries(raw.entries, raw.prevLogIndex as number);
      break;
    case 'appendResp':
      err = need(['success'], bool, 'a boolean') ?? need(['index', 'hintIndex', 'hintTerm'], isNat, `an integer from 0 to ${MAX_TERM_OR_INDEX}`) ?? optionalNat(raw, 'sentTick');
      break;
    case 'heartbeat':
      err = need(['commit'], isNat, `an integer from 0 to ${MAX_TERM_OR_INDEX}`) ?? optionalString(raw, 'ctx') ?? optionalNat(raw, 'sentTick');
      break;
    case 'heartbeatResp':
      err = optionalString(raw, 'ctx') ?? optionalNat(raw, 'sentTick');
      break;
    case 'propose':
      err = validateProposal(raw.data);
      break;
    case 'readIndex':
      err = need(['ctx'], (v) => typeof v === 'string', 'a string');
      break;
    case 'readIndexResp':
      err = need(['ctx'], (v) => typeof v === 'string', 'a string') ?? (Number.isSafeInteger(raw.index) && (raw.index as number) >= -1 && (raw.index as number) <= MAX_TERM_OR_INDEX ? null : `readIndexResp.index must be an integer from -1 to ${MAX_TERM_OR_INDEX}`);
      break;
    case 'timeoutNow':
      break;
    case 'snapshot':
      // Only the node itself makes these, from a whole, verified file (snapshot-receiver.ts): a
      // bare one from the wire would make the core drop its log for a state it never received.
      err = 'snapshot must arrive as snapshotChunk lines, not as a bare snapshot message';
      break;
    case 'snapshotChunk':
      err =
        need(['index', 'snapshotTerm', 'offset'], isNat, 'a non-negative integer') ??
        need(['done'], bool, 'a boolean') ??
        (typeof raw.data === 'string' && raw.data.length <= MAX_SNAPSHOT_CHUNK_BASE64 && BASE64.test(raw.data) ? null : `snapshotChunk.data must be base64 of at most ${MAX_SNAPSHOT_CHUNK_BASE64} characters`);
      break;
  }
  return err ?? (raw as unknown as Message);
}

/**
 * Checks the first line of an incoming peer connection (a Hello): it must come from another member
 * of the cluster and be meant for us. Returns the sender, or a string saying what is wrong.
 */
export function validateHello(raw: unknown, self: NodeId, members: readonly NodeId[]): NodeId | string {
  const hello = isObj(raw) ? raw.hello : undefined;
  if (!isObj(hello) || !isNat(hello.from) || !isNat(hello.to)) return 'expected a hello from a cluster member first';
  if (hello.from === self || !members.includes(hello.from)) return `expected a hello from a cluster member first, not from node ${hello.from}`;
  if (hello.to !== self) return `hello for node ${hello.to}, but this is node ${self}`;
  return hello.from;
}

/**
 * A follower's forwarded proposal carries client commands: held to the same size limits as a
 * client's own request, so a peer (or a stranger posing as one) cannot put past them what the
 * client port refuses. The command's full validation happens where it is applied (kv-command.ts).
 */
function validateProposal(data: unknown): string | null {
  if (!Array.isArray(data)) return 'propose.data must be an array';
  if (data.length > MAX_PROPOSE_BATCH) return `propose.data has ${data.length} commands; at most ${MAX_PROPOSE_BATCH}`;
  for (const cmd of data as unknown[]) {
    if (!isObj(cmd)) return 'propose.data[] must be objects';
    const tooLarge = commandSizeError(cmd);
    if (tooLarge) return `propose.data[]: ${tooLarge.message}`;
  }
  return null;
}

function optionalString(raw: Obj, field: string): string | null {
  return raw[field] === undefined || typeof raw[field] === 'string' ? null : `${String(raw.type)}.${field} must be a string`;
}

/** `sentTick` (leader leases) is optional: a leader in readindex mode does not send it. */
function optionalNat(raw: Obj, field: string): string | null {
  return raw[field] === undefined || isNat(raw[field]) ? null : `${String(raw.type)}.${field} must be an integer from 0 to ${MAX_TERM_OR_INDEX}`;
}

function validateEntries(entries: unknown, prevLogIndex: number): string | null {
  if (!Array.isArray(entries)) return 'append.entries must be an array';
  let expect = prevLogIndex + 1;
  for (const e of entries as unknown[]) {
    if (!isObj(e)) return 'append.entries[] must be objects';
    const entry = e as Partial<Entry>;
    if (!isNat(entry.term) || !isNat(entry.index)) return `append.entries[].term/index must be integers from 0 to ${MAX_TERM_OR_INDEX}`;
    if (entry.index !== expect) return `append.entries[] must be consecutive from ${prevLogIndex + 1}`;
    if (entry.kind !== 'cmd' && entry.kind !== 'noop' && entry.kind !== 'config') return 'append.entries[].kind must be "cmd", "noop" or "config"';
    if (entry.kind === 'config') {
      const bad = configEntryError(entry.data);
      if (bad) return `append.entries[] config entry ${entry.index}: ${bad}`;
    }
    expect++;
  }
  return null;
}
