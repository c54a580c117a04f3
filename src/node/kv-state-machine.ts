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
 * result; anything older gets STALE_SEQ. A session starts with seq 0 or 1.
 *
 * The session table is bounded two ways, both functions of the applied sequence only, so every
 * replica drops the same sessions at the same index (as LogCabin does): a session unused for
 * `sessionTimeoutMs` of *log time* expires (commands carry `at`, the proposing node's clock; the
 * machine's clock is the highest `at` applied so far), and beyond `maxSessions` the least recently
 * used one is evicted. A later write of a dropped session with seq > 1 gets SESSION_EXPIRED and is
 * not applied: the machine can no longer tell whether an earlier try of it was, so it refuses
 * rather than risk applying it twice. (A retry of a session's very first write after its session
 * was dropped is indistinguishable from a new session and is applied again: that needs a retry
 * delayed by the whole timeout, or 10,000 other clients writing in between.)
 *
 * Snapshots without stopping: beginSnapshot() freezes the state at the current index in O(sessions)
 * time; the key space is copied in slices across event-loop turns while writes go on, each write
 * first saving the value it overwrites (copy-on-write, only for keys it touches while a copy runs).
 */
import type { ConfigEntryData, Entry, Membership } from '../protocol/raft-messages.js';
import { compileGlob } from '../protocol/glob.js';
import { kvError, parseKvCommand, type KvCommand, type KvResult } from './kv-command.js';

export * from './kv-command.js';

export const DEFAULT_MAX_SESSIONS = 10_000;
/** A session silent for this long (log time) expires. An hour, as LogCabin's default. */
export const DEFAULT_SESSION_TIMEOUT_MS = 60 * 60 * 1000;
/** Marks a key that did not exist when a snapshot began (copy-on-write). */
const ABSENT: unique symbol = Symbol('absent');

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
  /** Log time of the session's last applied command. */
  lastSeen: number;
}

/** A session in snapshots: [clientId, seq, result, lastSeen], least recently used first. */
export type SessionRow = [string, number, KvResult, number];

/** Everything but the key space, for snapshot headers (small: at most maxSessions rows). */
export interface KvSnapshotMeta {
  version: 2;
  lastApplied: number;
  maxSessions: number;
  sessionTimeoutMs: number;
  /** The machine's log clock (highest `at` applied). */
  clock: number;
  sessions: SessionRow[];
}

/** The JSON form of a machine, for snapshots. Arrays keep insertion (and LRU) order exact. */
export interface KvSnapshot extends KvSnapshotMeta {
  /** [key, value] pairs. */
  data: Array<[string, string]>;
}

/**
 * A snapshot being taken (beginSnapshot): the state as of `meta.lastApplied`, copied in slices.
 * Call copySlice() until it returns true, then settleSlice() until it returns true, then pairs();
 * or abort(). Writes meanwhile are fine. (pairs() does whatever slices are left at once.)
 */
export interface KvSnapshotCapture {
  readonly meta: KvSnapshotMeta;
  /** The membership as of `meta.lastApplied` (null: none applied or loaded: the bootstrap one). */
  readonly membership: Membership | null;
  /** Copies up to `max` more keys; true when the whole key space has been visited. */
  copySlice(max: number): boolean;
  /** Fixes up to `max` more copied keys (see beginSnapshot); true when all are done. */
  settleSlice(max: number): boolean;
  /** The key space as of the snapshot's index. Ends the capture. */
  pairs(): Array<[string, string]>;
  /** Ends the capture without a result (the snapshot was abandoned). */
  abort(): void;
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
  /** Session expiry in log time; must be the same on every replica. Default DEFAULT_SESSION_TIMEOUT_MS. */
  sessionTimeoutMs?: number;
}

export class KvStateMachine {
  /** key -> value. A Map, so keys like `__proto__` are ordinary keys. */
  private data = new Map<string, string>();
  /**
   * clientId -> session, in least-recently-used-first order (re-inserted on every use). The log
   * clock only grows, so this is also lastSeen order: expiry only ever looks at the front.
   */
  private sessions = new Map<string, Session>();
  private maxSessions: number;
  private sessionTimeoutMs: number;
  /** Highest `at` of any applied command (log time). */
  private clock = 0;
  /** Index of the last entry applied (or skipped as a no-op); 0 before any. Only increases. */
  private applied = 0;
  /**
   * The membership as of `applied`: from the last config entry applied, or the snapshot this
   * machine was loaded from; null while neither (the bootstrap membership of cluster.json holds).
   * Snapshots carry it in their header, so that a node restarting from one knows its members.
   */
  membership: Membership | null = null;
  /**
   * While a snapshot capture runs: the value each key had when it began (ABSENT if none), saved
   * the first time a write touches the key. Null when no capture runs.
   */
  private cow: Map<string, string | typeof ABSENT> | null = null;

  constructor(options: KvStateMachineOptions = {}) {
    const max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new KvStateMachineError('BAD_CONFIG', `maxSessions must be a positive integer, got ${max}`);
    }
    const timeout = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeout) || timeout < 1) {
      throw new KvStateMachineError('BAD_CONFIG', `sessionTimeoutMs must be a positive integer, got ${timeout}`);
    }
    this.maxSessions = max;
    this.sessionTimeoutMs = timeout;
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
    if (entry.kind === 'config') {
      // The core validated it (raft-validate.ts) and already follows it; no key changes.
      this.advanceTo(entry.index);
      this.membership = (entry.data as ConfigEntryData).membership;
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

  /** A JSON-able copy of the whole state (data, sessions, lastApplied), taken at once. */
  toSnapshot(): KvSnapshot {
    return { ...this.snapshotMeta(), data: [...this.data] };
  }

  private snapshotMeta(): KvSnapshotMeta {
    return {
      version: 2,
      lastApplied: this.applied,
      maxSessions: this.maxSessions,
      sessionTimeoutMs: this.sessionTimeoutMs,
      clock: this.clock,
      sessions: [...this.sessions].map(([id, s]) => [id, s.seq, cloneResult(s.result), s.lastSeen]),
    };
  }

  /**
   * Starts a snapshot of the state as it is now, without copying the key space yet (see
   * KvSnapshotCapture). One capture at a time.
   */
  beginSnapshot(): KvSnapshotCapture {
    if (this.cow !== null) throw new KvStateMachineError('APPLY_OUT_OF_ORDER', 'a snapshot capture is already running');
    const cow = new Map<string, string | typeof ABSENT>();
    this.cow = cow;
    const meta = this.snapshotMeta();
    const membership = this.membership;
    const iter = this.data.entries();
    // Pairs as visited, values possibly newer than the snapshot; fixed up from `cow` afterwards.
    const visited: Array<[string, string]> = [];
    const out: Array<[string, string]> = [];
    let visitedAll = false;
    let settled = 0;
    const end = () => {
      if (this.cow === cow) this.cow = null;
    };
    const copySlice = (max: number): boolean => {
      for (let i = 0; i < max && !visitedAll; i++) {
        const r = iter.next();
        if (r.done) visitedAll = true;
        else visited.push(r.value);
      }
      // Once every key was visited, a key not touched so far was copied with its value at the
      // snapshot's index, whatever happens to it later: `cow` is complete and stops growing.
      if (visitedAll) end();
      return visitedAll;
    };
    // A key written during the copy may have been visited with its new value, or twice (a delete
    // and re-insert moves it to the end): every touched key takes its saved value instead.
    const settleSlice = (max: number): boolean => {
      while (!copySlice(max)) {
        /* finish the copy first */
      }
      const stop = Math.min(visited.length, settled + max);
      for (; settled < stop; settled++) {
        const pair = visited[settled]!;
        if (!cow.has(pair[0])) out.push(pair);
      }
      return settled === visited.length;
    };
    return {
      meta,
      membership,
      copySlice,
      settleSlice,
      pairs: () => {
        settleSlice(Number.MAX_SAFE_INTEGER);
        for (const [k, v] of cow) if (v !== ABSENT) out.push([k, v]);
        return out;
      },
      abort: end,
    };
  }

  /** Replaces this machine's whole state with `other`'s (InstallSnapshot; the object stays the same). */
  replaceWith(other: KvStateMachine): void {
    if (this.cow !== null) this.cow = null; // a capture in progress is abandoned: its owner aborts it
    this.data = other.data;
    this.sessions = other.sessions;
    this.maxSessions = other.maxSessions;
    this.sessionTimeoutMs = other.sessionTimeoutMs;
    this.clock = other.clock;
    this.applied = other.applied;
    this.membership = other.membership;
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
    if (s.version !== 2) return fail(`unsupported version ${JSON.stringify(s.version)}`);
    if (typeof s.lastApplied !== 'number' || !Number.isSafeInteger(s.lastApplied) || s.lastApplied < 0) {
      return fail('lastApplied must be a non-negative integer');
    }
    if (typeof s.maxSessions !== 'number' || !Number.isSafeInteger(s.maxSessions) || s.maxSessions < 1) {
      return fail('maxSessions must be a positive integer');
    }
    if (!Array.isArray(s.data)) return fail('data must be an array');
    if (!Array.isArray(s.sessions)) return fail('sessions must be an array');
    if (s.sessions.length > s.maxSessions) return fail('more sessions than maxSessions');
    if (typeof s.sessionTimeoutMs !== 'number' || !Number.isSafeInteger(s.sessionTimeoutMs) || s.sessionTimeoutMs < 1) {
      return fail('sessionTimeoutMs must be a positive integer');
    }
    if (typeof s.clock !== 'number' || !Number.isSafeInteger(s.clock) || s.clock < 0) return fail('clock must be a non-negative integer');

    const m = new KvStateMachine({ maxSessions: s.maxSessions, sessionTimeoutMs: s.sessionTimeoutMs });
    m.applied = s.lastApplied;
    m.clock = s.clock;
    for (const pair of s.data) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        return fail('data entries must be [key, value] string pairs');
      }
      if (m.data.has(pair[0])) return fail(`duplicate key ${JSON.stringify(pair[0])}`);
      m.data.set(pair[0], pair[1]);
    }
    for (const row of s.sessions) {
      if (!Array.isArray(row) || row.length !== 4) return fail('sessions entries must be [clientId, seq, result, lastSeen]');
      const [id, seq, result, lastSeen] = row as unknown[];
      if (typeof id !== 'string' || id.length === 0) return fail('session clientId must be a non-empty string');
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
        return fail('session seq must be a non-negative integer');
      }
      if (!isKvResultValue(result)) return fail(`session result for ${JSON.stringify(id)} is not a KV result`);
      if (typeof lastSeen !== 'number' || !Number.isSafeInteger(lastSeen) || lastSeen < 0) return fail('session lastSeen must be a non-negative integer');
      if (m.sessions.has(id)) return fail(`duplicate session ${JSON.stringify(id)}`);
      m.sessions.set(id, { seq, result: cloneResult(result), lastSeen });
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
    if (cmd.at !== undefined && cmd.at > this.clock) this.clock = cmd.at;
    this.expireSessions();
    if (cmd.clientId === undefined || cmd.seq === undefined) return this.execute(cmd);
    const session = this.sessions.get(cmd.clientId);
    if (session !== undefined) {
      // Touch: move to the most-recently-used end, duplicate or not (deterministic either way).
      this.sessions.delete(cmd.clientId);
      this.sessions.set(cmd.clientId, session);
      session.lastSeen = this.clock;
      if (cmd.seq === session.seq) return cloneResult(session.result);
      if (cmd.seq < session.seq) {
        return kvError('STALE_SEQ', `seq ${cmd.seq} is older than ${session.seq}, the last applied for this client`);
      }
    } else if (cmd.seq > 1) {
      return kvError('SESSION_EXPIRED', `no session for client ${JSON.stringify(cmd.clientId)} (expired or evicted, or it never started at seq 1): seq ${cmd.seq} was not applied, and whether an earlier try was cannot be known; use a new client id`);
    }
    const result = this.execute(cmd);
    if (session !== undefined) {
      session.seq = cmd.seq;
      session.result = result;
    } else {
      this.sessions.set(cmd.clientId, { seq: cmd.seq, result, lastSeen: this.clock });
      if (this.sessions.size > this.maxSessions) {
        // Map iteration order is insertion order: the first key is the least recently used.
        const lru = this.sessions.keys().next().value as string;
        this.sessions.delete(lru);
      }
    }
    return cloneResult(result);
  }

  /** Drops sessions silent for longer than the timeout, in log time (front of the LRU order). */
  private expireSessions(): void {
    const cutoff = this.clock - this.sessionTimeoutMs;
    for (const [id, s] of this.sessions) {
      if (s.lastSeen >= cutoff) break;
      this.sessions.delete(id);
    }
  }

  /**
   * Runs a command that passed the session check: the one place the key space changes for a
   * command. Protected so the simulator can count executions per (client, seq) — the
   * exactly-once check — in a subclass under test/.
   */
  protected execute(cmd: KvCommand): KvResult {
    switch (cmd.op) {
      case 'set':
        this.setKey(cmd.key, cmd.value);
        return 'OK';
      case 'del': {
        let removed = 0;
        for (const k of cmd.keys) if (this.deleteKey(k)) removed++;
        return removed;
      }
      case 'cas': {
        const current = this.data.get(cmd.key) ?? null;
        if (current !== cmd.expected) return false;
        this.setKey(cmd.key, cmd.value);
        return true;
      }
    }
  }

  /** Every write of the key space goes through these two, for copy-on-write. */
  private setKey(key: string, value: string): void {
    if (this.cow !== null && !this.cow.has(key)) this.cow.set(key, this.data.get(key) ?? ABSENT);
    this.data.set(key, value);
  }

  private deleteKey(key: string): boolean {
    if (this.cow !== null && !this.cow.has(key) && this.data.has(key)) this.cow.set(key, this.data.get(key)!);
    return this.data.delete(key);
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
