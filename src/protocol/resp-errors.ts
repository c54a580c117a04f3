/**
 * RESP error replies: which first word (`ERR`, `NOTLEADER`, ...) each raftkv error code gets on
 * the wire, and the way back from a reply's text to a RaftKvError.
 */
import { type ErrorCode, RaftKvError, toRaftKvError } from './errors.js';
import { encodeError } from './resp.js';

/**
 * RESP error prefix per code. Codes that Redis would report as a plain `ERR` use it; the rest get
 * a distinct first word so clients can tell retryable failures apart (as Redis's MOVED, TRYAGAIN,
 * WRONGTYPE do). Each non-ERR prefix belongs to exactly one code (errorFromResp relies on it).
 */
export const RESP_ERROR_PREFIX: Readonly<Record<ErrorCode, string>> = Object.freeze({
  BAD_REQUEST: 'ERR',
  UNKNOWN_OP: 'ERR',
  WRONG_TYPE: 'WRONGTYPE',
  TOO_LARGE: 'ERR',
  PROTOCOL_ERROR: 'ERR',
  NOT_LEADER: 'NOTLEADER',
  NO_LEADER: 'NOLEADER',
  TIMEOUT: 'TIMEOUT',
  UNAVAILABLE: 'UNAVAILABLE',
  PROPOSAL_DROPPED: 'TRYAGAIN',
  IN_PROGRESS: 'INPROGRESS',
  NOT_CAUGHT_UP: 'NOTCAUGHTUP',
  SHUTTING_DOWN: 'SHUTTINGDOWN',
  SESSION_EXPIRED: 'SESSIONEXPIRED',
  CONNECTION_LOST: 'ERR',
  BAD_CONFIG: 'ERR',
  BAD_FLAG: 'ERR',
  CORRUPT_LOG: 'ERR',
  NOAUTH: 'NOAUTH',
  WRONGPASS: 'WRONGPASS',
  INTERNAL: 'ERR',
});

/** `-<PREFIX> <message>\r\n` for any thrown value (non-RaftKvErrors count as INTERNAL). */
export function encodeRespError(err: unknown): string {
  const e = toRaftKvError(err);
  return encodeError(`${RESP_ERROR_PREFIX[e.code]} ${e.message}`);
}

/**
 * Client side: the RaftKvError for a RESP error reply's text (without the leading '-').
 * Non-ERR prefixes map back to their code; `ERR` maps to UNKNOWN_OP, PROTOCOL_ERROR or
 * BAD_REQUEST by its wording; an unknown prefix is kept whole as a BAD_REQUEST message.
 */
export function errorFromResp(text: string): RaftKvError {
  const space = text.indexOf(' ');
  const prefix = space === -1 ? text : text.slice(0, space);
  const rest = space === -1 ? '' : text.slice(space + 1);
  if (prefix === 'ERR') {
    if (rest.startsWith('unknown command') || rest.startsWith('unknown subcommand')) return new RaftKvError('UNKNOWN_OP', rest);
    if (rest.startsWith('Protocol error')) return new RaftKvError('PROTOCOL_ERROR', rest);
    return new RaftKvError('BAD_REQUEST', rest);
  }
  for (const [code, p] of Object.entries(RESP_ERROR_PREFIX)) {
    if (p === prefix && p !== 'ERR') return new RaftKvError(code as ErrorCode, rest);
  }
  return new RaftKvError('BAD_REQUEST', text, { resp: text });
}
