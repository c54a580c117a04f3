/**
 * The commands the KV state machine applies, as they travel in the `data` of committed log
 * entries, and the validation that turns an untrusted JSON value into one.
 *
 * Validation is pure and deterministic: every replica parses the same committed bytes the same
 * way, so a malformed entry yields the same BAD_REQUEST everywhere instead of diverging or
 * crashing. The node should also call `parseKvCommand` before proposing, so that malformed
 * commands rarely reach the log at all.
 */

/** Fields any command may carry. */
export interface KvCommandBase {
  /**
   * Exactly-once sessions (Raft thesis §6.3): a client that retries a write with the same
   * `clientId` and `seq` gets the first outcome instead of a second application.
   * Either both are present or neither.
   */
  clientId?: string;
  /** Per-client sequence number: a non-negative safe integer, increasing per new write. */
  seq?: number;
  /** Opaque to the state machine; returned with the result so the node can wake the waiting client. */
  reqId?: string;
  /**
   * When the node that took the request proposed it (ms since the epoch, its own clock). Sessions
   * expire by this log time, never by a replica's clock, so every replica expires the same ones.
   */
  at?: number;
}

export interface KvSetCommand extends KvCommandBase {
  op: 'set';
  key: string;
  value: string;
}

export interface KvDelCommand extends KvCommandBase {
  op: 'del';
  /** At least one key; duplicates are allowed and counted once (as in Redis `DEL a a` -> 1). */
  keys: string[];
}

/** Compare-and-swap: sets `value` only if the current value equals `expected` (null = absent). */
export interface KvCasCommand extends KvCommandBase {
  op: 'cas';
  key: string;
  expected: string | null;
  value: string;
}

export type KvCommand = KvSetCommand | KvDelCommand | KvCasCommand;

export type KvErrorCode = 'BAD_REQUEST' | 'STALE_SEQ' | 'SESSION_EXPIRED';

export interface KvErrorResult {
  error: { code: KvErrorCode; message: string };
}

/** set -> 'OK'; del -> number of keys removed; cas -> whether the swap happened; or an error. */
export type KvResult = 'OK' | number | boolean | KvErrorResult;

export function isKvError(result: KvResult): result is KvErrorResult {
  return typeof result === 'object' && result !== null;
}

export function kvError(code: KvErrorCode, message: string): KvErrorResult {
  return { error: { code, message } };
}

export type ParsedKvCommand = { ok: true; command: KvCommand } | { ok: false; error: KvErrorResult };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  return typeof x;
}

/**
 * Validates an untrusted value as a KvCommand. Never throws. Unknown extra fields are ignored
 * (forward compatibility); the returned command is a fresh object holding only known fields, so
 * callers may keep it without aliasing the input.
 */
export function parseKvCommand(data: unknown): ParsedKvCommand {
  const bad = (message: string): ParsedKvCommand => ({ ok: false, error: kvError('BAD_REQUEST', message) });
  if (!isPlainObject(data)) return bad(`command must be an object, got ${describe(data)}`);

  const base: KvCommandBase = {};
  if (data.reqId !== undefined) {
    if (typeof data.reqId !== 'string') return bad(`reqId must be a string, got ${describe(data.reqId)}`);
    base.reqId = data.reqId;
  }
  const hasClient = data.clientId !== undefined;
  const hasSeq = data.seq !== undefined;
  if (hasClient !== hasSeq) return bad('clientId and seq must be given together');
  if (hasClient) {
    if (typeof data.clientId !== 'string' || data.clientId.length === 0) {
      return bad('clientId must be a non-empty string');
    }
    if (typeof data.seq !== 'number' || !Number.isSafeInteger(data.seq) || data.seq < 0) {
      return bad('seq must be a non-negative integer');
    }
    base.clientId = data.clientId;
    base.seq = data.seq;
  }
  if (data.at !== undefined) {
    if (typeof data.at !== 'number' || !Number.isSafeInteger(data.at) || data.at < 0) return bad('at must be a non-negative integer');
    base.at = data.at;
  }

  switch (data.op) {
    case 'set':
      if (typeof data.key !== 'string') return bad(`key must be a string, got ${describe(data.key)}`);
      if (typeof data.value !== 'string') return bad(`value must be a string, got ${describe(data.value)}`);
      return { ok: true, command: { op: 'set', key: data.key, value: data.value, ...base } };
    case 'del': {
      const keys = data.keys;
      if (!Array.isArray(keys) || keys.length === 0) return bad('keys must be a non-empty array of strings');
      for (const k of keys) if (typeof k !== 'string') return bad(`keys must be strings, got ${describe(k)}`);
      return { ok: true, command: { op: 'del', keys: [...(keys as string[])], ...base } };
    }
    case 'cas':
      if (typeof data.key !== 'string') return bad(`key must be a string, got ${describe(data.key)}`);
      if (data.expected !== null && typeof data.expected !== 'string') {
        return bad(`expected must be a string or null, got ${describe(data.expected)}`);
      }
      if (typeof data.value !== 'string') return bad(`value must be a string, got ${describe(data.value)}`);
      return {
        ok: true,
        command: { op: 'cas', key: data.key, expected: data.expected, value: data.value, ...base },
      };
    default:
      return bad(
        typeof data.op === 'string' ? `unknown op ${JSON.stringify(data.op.slice(0, 32))}` : 'op must be a string',
      );
  }
}
