/**
 * The replicated key-value state machine: applies committed log entries to an in-memory map.
 *
 * Contract (the one Raft's State Machine Safety relies on): `apply` is deterministic. Its effect
 * and result depend only on the state and the command, never on time, randomness, the replica or
 * iteration order of anything but the applied sequence. Two machines fed the same entries hold
 * the same state and return the same results. Malformed commands are already committed, so they
 * are *answered* (BAD_REQUEST), never thrown.
 *
 * Exactly-once writes (Raft thesis §6.3): a command carrying `clientId` + `seq` is applied only if
 * `seq` is above the last seq applied for that client. A retry of the last seq gets the remembered
 * result; anything older gets STALE_SEQ. The session table is bounded; the least recently used
 * client is evicted, where "use" means "a command of that client was applied", so eviction is a
 * function of the applied sequence and all replicas evict the same client at the same index.
 * Known limit: after eviction a late retry of that client's last write is applied again; with the
 * default 10,000 sessions that needs 10,000 other clients writing between a write and its retry.
 */
import type { Entry } from '../protocol/raft-messages.js';
import { compileGlob } from '../protocol/glob.js';
import { kvError, parseKvCommand, type KvCommand, type KvResult } from './kv-command.js';

export * from './kv-command.js';

export const DEFAULT_MAX_SESSIONS = 10_000;

/** What `apply` returns: the command's result and, when the command had one, its `reqId`. */
export interface KvApplyOutcome {
  reqId?: string;
  result: KvResult;
}

interface Session {
  /** Highest seq applied for this client. */
  seq: number;
  /** The result of applying `seq`, returned to retries of it. */
  result: KvResult;
}

/** The JSON form of a machine, for snapshots. Arrays keep insertion (and LRU) order exact. */
export interface KvSnapshot {
  version: 1;
  lastApplied: number;
  maxSessions: number;
  /** [key, value] pairs in insertion order. */
  data: Array<[string, string]>;
  /** [clientId, seq, result], least recently used first. */
  sessions: Array<[string, number, KvResult]>;
}

/** Thrown for driver bugs (broken invariants) and unusable snapshots; never for bad commands. */
export class KvStateMachineError extends Error {
  readonly code: 'APPLY_OUT_OF_ORDER' | 'BAD_SNAPSHOT' | 'BAD_CONFIG';
  constructor(code: KvStateMachineError['code'], message: string) {
    super(message);
    this.name = 'KvStateMachineError';
    this.code = code;
  }
}

export interface KvStateMachineOptions {
  /** Session table bound; must be the same on every replica. Default DEFAULT_MAX_SESSIONS. */
  maxSessions?: number;
}

export class KvStateMachine {
  /** key -> value. A Map, so keys like `__proto__` are ordinary keys. */
  private readonly data = new Map<string, string>();
  /** clientId -> session, in least-recently-used-first order (re-inserted on every use). */
  private readonly sessions = new Map<string, Session>();
  private readonly maxSessions: number;
  /** Index of the last entry applied (or skipped as a no-op); 0 before any. Only increases. */
  private applied = 0;

  constructor(options: KvStateMachineOptions = {}) {
    const max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new KvStateMachineError('BAD_CONFIG', `maxSessions must be a positive integer, got ${max}`);
    }
    this.maxSessions = max;
  }

  /** Index of the last applied entry. */
  get lastApplied(): number {
    return this.applied;
  }

  /** Number of keys stored. */
  get size(): number {
    return this.data.size;
  }

  /** Number of clients in the session table (<= maxSessions). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Applies the command committed at `index`. Indices must strictly increase (gaps are fine: no-op
   * entries need not be passed in); a repeated or older index is a driver bug and throws
   * APPLY_OUT_OF_ORDER before changing anything. Any `data` is accepted: what is not a valid
   * KvCommand yields a BAD_REQUEST result (with the reqId, if one could be read).
   */
  apply(index: number, data: unknown): KvApplyOutcome {
    this.advanceTo(index);
    const parsed = parseKvCommand(data);
    if (!parsed.ok) {
      const reqId = readReqId(data);
      return reqId === undefined ? { result: parsed.error } : { reqId, result: parsed.error };
    }
    const cmd = parsed.command;
    const result = this.applySession(cmd);
    return cmd.reqId === undefined ? { result } : { reqId: cmd.reqId, result };
  }

  /**
   * Applies a committed log entry: `cmd` entries go through `apply`, `noop` entries only advance
   * lastApplied and return null.
   */
  applyEntry(entry: Entry): KvApplyOutcome | null {
    if (entry.kind === 'noop') {
      this.advanceTo(entry.index);
      return null;
    }
    return this.apply(entry.index, entry.data);
  }

  /** Value of `key`, or null when absent. */
  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** How many of `keys` exist; a key named twice counts twice, as in Redis EXISTS. */
  exists(keys: readonly string[]): number {
    let n = 0;
    for (const k of keys) if (this.data.has(k)) n++;
    return n;
  }

  /**
   * Keys matching the Redis glob `pattern` (src/protocol/glob.ts: Redis's own rules, on UTF-8
   * bytes), sorted by UTF-16 code units so output is stable. O(keys): meant for small keyspaces.
   */
  keys(pattern: string): string[] {
    const matches = compileGlob(pattern);
    const out: string[] = [];
    for (const k of this.data.keys()) if (matches(k)) out.push(k);
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** A JSON-able copy of the whole state (data, sessions, lastApplied). */
  toSnapshot(): KvSnapshot {
    return {
      version: 1,
      lastApplied: this.applied,
      maxSessions: this.maxSessions,
      data: [...this.data],
      sessions: [...this.sessions].map(([id, s]) => [id, s.seq, cloneResult(s.result)]),
    };
  }

  /**
   * Rebuilds a machine from `toSnapshot()` output (possibly after a JSON round trip). Validates
   * everything, because snapshots are read from disk or a peer: throws BAD_SNAPSHOT on any defect.
   */
  static fromSnapshot(obj: unknown): KvStateMachine {
    const fail = (why: string): never => {
      throw new KvStateMachineError('BAD_SNAPSHOT', `bad KV snapshot: ${why}`);
    };
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return fail('not an object');
    const s = obj as Record<string, unknown>;
    if (s.version !== 1) return fail(`unsupported version ${JSON.stringify(s.version)}`);
    if (typeof s.lastApplied !== 'number' || !Number.isSafeInteger(s.lastApplied) || s.lastApplied < 0) {
      return fail('lastApplied must be a non-negative integer');
    }
    if (typeof s.maxSessions !== 'number' || !Number.isSafeInteger(s.maxSessions) || s.maxSessions < 1) {
      return fail('maxSessions must be a positive integer');
    }
    if (!Array.isArray(s.data)) return fail('data must be an array');
    if (!Array.isArray(s.sessions)) return fail('sessions must be an array');
    if (s.sessions.length > s.maxSessions) return fail('more sessions than maxSessions');

    const m = new KvStateMachine({ maxSessions: s.maxSessions });
    m.applied = s.lastApplied;
    for (const pair of s.data) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        return fail('data entries must be [key, value] string pairs');
      }
      if (m.data.has(pair[0])) return fail(`duplicate key ${JSON.stringify(pair[0])}`);
      m.data.set(pair[0], pair[1]);
    }
    for (const triple of s.sessions) {
      if (!Array.isArray(triple) || triple.length !== 3) return fail('sessions entries must be [clientId, seq, result]');
      const [id, seq, result] = triple as unknown[];
      if (typeof id !== 'string' || id.length === 0) return fail('session clientId must be a non-empty string');
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
        return fail('session seq must be a non-negative integer');
      }
      if (!isKvResultValue(result)) return fail(`session result for ${JSON.stringify(id)} is not a KV result`);
      if (m.sessions.has(id)) return fail(`duplicate session ${JSON.stringify(id)}`);
      m.sessions.set(id, { seq, result: cloneResult(result) });
    }
    return m;
  }

  private advanceTo(index: number): void {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      throw new KvStateMachineError(
        'APPLY_OUT_OF_ORDER',
        `apply index ${index} is not above lastApplied ${this.applied}`,
      );
    }
    this.applied = index;
  }

  /** Session check, then the command itself; remembers the result for retries. */
  private applySession(cmd: KvCommand): KvResult {
    if (cmd.clientId === undefined || cmd.seq === undefined) return this.execute(cmd);
    const session = this.sessions.get(cmd.clientId);
    if (session !== undefined) {
      // Touch: move to the most-recently-used end, duplicate or not (deterministic either way).
      this.sessions.delete(cmd.clientId);
      this.sessions.set(cmd.clientId, session);
      if (cmd.seq === session.seq) return cloneResult(session.result);
      if (cmd.seq < session.seq) {
        return kvError('STALE_SEQ', `seq ${cmd.seq} is older than ${session.seq}, the last applied for this client`);
      }
    }
    const result = this.execute(cmd);
    if (session !== undefined) {
      session.seq = cmd.seq;
      session.result = result;
    } else {
      this.sessions.set(cmd.clientId, { seq: cmd.seq, result });
      if (this.sessions.size > this.maxSessions) {
        // Map iteration order is insertion order: the first key is the least recently used.
        const lru = this.sessions.keys().next().value as string;
        this.sessions.delete(lru);
      }
    }
    return cloneResult(result);
  }

  private execute(cmd: KvCommand): KvResult {
    switch (cmd.op) {
      case 'set':
        this.data.set(cmd.key, cmd.value);
        return 'OK';
      case 'del': {
        let removed = 0;
        for (const k of cmd.keys) if (this.data.delete(k)) removed++;
        return removed;
      }
      case 'cas': {
        const current = this.data.get(cmd.key) ?? null;
        if (current !== cmd.expected) return false;
        this.data.set(cmd.key, cmd.value);
        return true;
      }
    }
  }
}

function readReqId(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const r = (data as Record<string, unknown>).reqId;
  return typeof r === 'string' ? r : undefined;
}

/** Results are shared with callers; error objects are copied so a caller cannot edit our memory. */
function cloneResult(r: KvResult): KvResult {
  return typeof r === 'object' ? kvError(r.error.code, r.error.message) : r;
}

function isKvResultValue(r: unknown): r is KvResult {
  if (r === 'OK' || typeof r === 'boolean') return true;
  if (typeof r === 'number') return Number.isSafeInteger(r) && r >= 0;
  if (typeof r !== 'object' || r === null) return false;
  const e = (r as Record<string, unknown>).error;
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as Record<string, unknown>;
  return (code === 'BAD_REQUEST' || code === 'STALE_SEQ') && typeof message === 'string';
}
