/**
 * The one error type of raftkv. Every failure that crosses a module boundary or the wire is a
 * RaftKvError with a stable UPPER_SNAKE `code`: callers branch on the code, never on the message
 * (messages are for humans and may change; codes are a contract, see DESIGN.md).
 *
 * Nothing here does I/O; the JSON dialect sends `{code, message, details?}` (see `toJSON`), the
 * RESP dialects map the code to an error prefix (resp-errors.ts).
 */

/**
 * Every code, with what it means for a client deciding whether to retry:
 * - `safe`: the request was certainly not applied; retrying (elsewhere or later) is harmless;
 * - `ambiguous`: it may or may not have been applied; retry reads freely, writes only with a
 *   client id and sequence number (applied at most once);
 * - `never`: retrying the same request gives the same answer.
 */
export const ERROR_CODE_INFO = {
  /** Malformed or ill-typed request (bad JSON, wrong field type, wrong argument count). */
  BAD_REQUEST: { retry: 'never', summary: 'the request is malformed' },
  /** Well-formed request naming an operation or command this server does not know. */
  UNKNOWN_OP: { retry: 'never', summary: 'unknown operation' },
  /** The operation does not apply to the kind of value stored (Redis WRONGTYPE). */
  WRONG_TYPE: { retry: 'never', summary: 'operation against a value of the wrong kind' },
  /** A request, line, key or value is over a size limit. */
  TOO_LARGE: { retry: 'never', summary: 'request over a size limit' },
  /** A byte stream that breaks the framing rules (RESP/inline); the connection is usually closed. */
  PROTOCOL_ERROR: { retry: 'never', summary: 'protocol error' },
  /** This node is not the leader and did not forward; `details.leader` may name the leader. */
  NOT_LEADER: { retry: 'safe', summary: 'this node is not the leader' },
  /** No leader is known (an election is under way, or this node is cut off). */
  NO_LEADER: { retry: 'safe', summary: 'no leader is known' },
  /** No answer in time; a write may still commit later. */
  TIMEOUT: { retry: 'ambiguous', summary: 'timed out' },
  /** The node cannot serve right now (overloaded, recovering, not yet caught up). */
  UNAVAILABLE: { retry: 'safe', summary: 'temporarily unavailable' },
  /** The core refused the proposal (no leader, leadership transfer); it was never appended. */
  PROPOSAL_DROPPED: { retry: 'safe', summary: 'proposal dropped before it was appended' },
  /**
   * A membership change or leadership transfer cannot start now: another change is not yet
   * committed, a transfer is under way, or a new leader has not committed an entry of its term.
   * Nothing changed; the same request may succeed shortly.
   */
  IN_PROGRESS: { retry: 'safe', summary: 'another membership change or transfer is under way' },
  /** A learner to promote is still far behind the leader's log; nothing changed, retry once it caught up. */
  NOT_CAUGHT_UP: { retry: 'safe', summary: 'the learner has not caught up yet' },
  /** The node is stopping and takes no new work. */
  SHUTTING_DOWN: { retry: 'safe', summary: 'the node is shutting down' },
  /** The connection closed before the answer came; a write may or may not have happened. */
  CONNECTION_LOST: { retry: 'ambiguous', summary: 'connection lost before the reply' },
  /**
   * A write named a client session the cluster no longer holds (expired after a long silence, or
   * evicted from the bounded table), with a seq past the first: whether an earlier try of it was
   * applied cannot be known any more. Nothing was applied now; start a new session (a new client id).
   */
  SESSION_EXPIRED: { retry: 'never', summary: 'client session expired' },
  /** A configuration file or value is invalid (cluster.json and the like). */
  BAD_CONFIG: { retry: 'never', summary: 'invalid configuration' },
  /** A command-line flag is unknown or has a bad value. */
  BAD_FLAG: { retry: 'never', summary: 'invalid command-line flag' },
  /** Durable state is damaged in a way recovery must not paper over (mid-log corruption). */
  CORRUPT_LOG: { retry: 'never', summary: 'corrupt write-ahead log' },
  /** A password is required and this connection has not authenticated yet (Redis NOAUTH). */
  NOAUTH: { retry: 'never', summary: 'authentication required' },
  /** AUTH with a wrong password or user (Redis WRONGPASS). */
  WRONGPASS: { retry: 'never', summary: 'wrong password' },
  /** A bug: an invariant broke. The message says which. */
  INTERNAL: { retry: 'never', summary: 'internal error' },
} as const satisfies Record<string, { retry: RetryClass; summary: string }>;

export type RetryClass = 'safe' | 'ambiguous' | 'never';

export type ErrorCode = keyof typeof ERROR_CODE_INFO;

/** `ErrorCode.NOT_LEADER === 'NOT_LEADER'`: a typo becomes a compile error, not a silent mismatch. */
export const ErrorCode: { readonly [C in ErrorCode]: C } = Object.freeze(
  Object.fromEntries(Object.keys(ERROR_CODE_INFO).map((c) => [c, c])),
) as { readonly [C in ErrorCode]: C };

export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.keys(ERROR_CODE_INFO) as ErrorCode[]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODE_INFO, value);
}

/** The wire form of an error in the JSON dialect. */
export interface ErrorJson {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class RaftKvError extends Error {
  /** Stable; see ERROR_CODE_INFO. */
  readonly code: ErrorCode;
  /** Machine-readable extras (e.g. `{leader: 2}` on NOT_LEADER). JSON-serialisable. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RaftKvError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  /** How a client should treat this failure (see ERROR_CODE_INFO). */
  get retry(): RetryClass {
    return ERROR_CODE_INFO[this.code].retry;
  }

  toJSON(): ErrorJson {
    const out: ErrorJson = { code: this.code, message: this.message };
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

export function isRaftKvError(value: unknown): value is RaftKvError {
  return value instanceof RaftKvError;
}

/**
 * Any thrown value as a RaftKvError: RaftKvErrors pass through, anything else becomes INTERNAL
 * (a failure nobody classified is a bug) with the original kept as `cause`.
 */
export function toRaftKvError(value: unknown): RaftKvError {
  if (value instanceof RaftKvError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new RaftKvError('INTERNAL', message, undefined, { cause: value });
}

/**
 * Rebuilds an error received in the JSON dialect (`{"code":..,"message":..}`). Untrusted input:
 * an unknown or missing code becomes INTERNAL rather than an exception, so a newer server's codes
 * do not crash an older client.
 */
export function errorFromJson(value: unknown): RaftKvError {
  if (typeof value !== 'object' || value === null) {
    return new RaftKvError('INTERNAL', `malformed error object: ${JSON.stringify(value) ?? String(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const message = typeof obj.message === 'string' ? obj.message : 'no message';
  const details =
    typeof obj.details === 'object' && obj.details !== null && !Array.isArray(obj.details)
      ? (obj.details as Record<string, unknown>)
      : undefined;
  if (isErrorCode(obj.code)) return new RaftKvError(obj.code, message, details);
  return new RaftKvError('INTERNAL', `unknown error code ${JSON.stringify(obj.code)}: ${message}`, details);
}
