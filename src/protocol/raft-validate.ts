/**
 * Validation of peer messages read off the wire. The peer port is reachable by anyone on the
 * network, so every field is checked before the consensus core sees it: a malformed message is
 * refused with a reason (the transport logs it and drops the connection), never stepped.
 */
import { MESSAGE_TYPES, type Entry, type Message, type NodeId } from './raft-messages.js';

type Obj = Record<string, unknown>;

/** Snapshot chunks carry at most this much base64 (1 MiB of file per line). */
export const MAX_SNAPSHOT_CHUNK_BASE64 = 4 * Math.ceil((1024 * 1024) / 3);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the message, or a string saying what is wrong with it. */
export function validatePeerMessage(raw: unknown): Message | string {
  if (!isObj(raw)) return 'message must be a JSON object';
  const type = raw.type;
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) return `unknown message type ${JSON.stringify(type)}`;
  for (const f of ['from', 'to', 'term'] as const) if (!isNat(raw[f])) return `${type}.${f} must be a non-negative integer`;
  const need = (fields: string[], check: (v: unknown) => boolean, what: string): string | null => {
    for (const f of fields) if (!check(raw[f])) return `${type}.${f} must be ${what}`;
    return null;
  };
  const bool = (v: unknown) => typeof v === 'boolean';
  let err: string | null = null;
  switch (type) {
    case 'vote':
      err = need(['pre'], bool, 'a boolean') ?? need(['lastLogIndex', 'lastLogTerm'], isNat, 'a non-negative integer');
      break;
    case 'voteResp':
      err = need(['pre', 'granted'], bool, 'a boolean');
      break;
    case 'append':
      err =
        need(['prevLogIndex', 'prevLogTerm', 'commit'], isNat, 'a non-negative integer') ??
        optionalNat(raw, 'sentTick') ??
        validateEntries(raw.entries, raw.prevLogIndex as number);
      break;
    case 'appendResp':
      err = need(['success'], bool, 'a boolean') ?? need(['index', 'hintIndex', 'hintTerm'], isNat, 'a non-negative integer') ?? optionalNat(raw, 'sentTick');
      break;
    case 'heartbeat':
      err = need(['commit'], isNat, 'a non-negative integer') ?? optionalString(raw, 'ctx') ?? optionalNat(raw, 'sentTick');
      break;
    case 'heartbeatResp':
      err = optionalString(raw, 'ctx') ?? optionalNat(raw, 'sentTick');
      break;
    case 'propose':
      err = Array.isArray(raw.data) ? null : 'propose.data must be an array';
      break;
    case 'readIndex':
      err = need(['ctx'], (v) => typeof v === 'string', 'a string');
      break;
    case 'readIndexResp':
      err = need(['ctx'], (v) => typeof v === 'string', 'a string') ?? (Number.isSafeInteger(raw.index) && (raw.index as number) >= -1 ? null : 'readIndexResp.index must be an integer >= -1');
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

function optionalString(raw: Obj, field: string): string | null {
  return raw[field] === undefined || typeof raw[field] === 'string' ? null : `${String(raw.type)}.${field} must be a string`;
}

/** `sentTick` (leader leases) is optional: a leader in readindex mode does not send it. */
function optionalNat(raw: Obj, field: string): string | null {
  return raw[field] === undefined || isNat(raw[field]) ? null : `${String(raw.type)}.${field} must be a non-negative integer`;
}

function validateEntries(entries: unknown, prevLogIndex: number): string | null {
  if (!Array.isArray(entries)) return 'append.entries must be an array';
  let expect = prevLogIndex + 1;
  for (const e of entries as unknown[]) {
    if (!isObj(e)) return 'append.entries[] must be objects';
    const entry = e as Partial<Entry>;
    if (!isNat(entry.term) || !isNat(entry.index)) return 'append.entries[].term/index must be non-negative integers';
    if (entry.index !== expect) return `append.entries[] must be consecutive from ${prevLogIndex + 1}`;
    if (entry.kind !== 'cmd' && entry.kind !== 'noop') return 'append.entries[].kind must be "cmd" or "noop"';
    expect++;
  }
  return null;
}
