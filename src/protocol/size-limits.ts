/**
 * Size limits on what a client may store, checked at every door a command comes through: the
 * client port (JSON and Redis dialects alike) and a peer's forwarded proposal, which carries the
 * same commands and must not be a way around them.
 *
 * Why these numbers: a value travels in one RESP bulk (1 MiB, the decoder's default) and in one
 * JSON line (4 MiB, room for a fully escaped 1 MiB value); every reply, log entry and
 * AppendEntries holding it stays far below V8's string limit (~512 MiB) and the peer line limit.
 * A key is compared, hashed and sorted often and is kept smaller (Redis allows 512 MiB for both;
 * etcd refuses requests over 1.5 MiB).
 */
import { RaftKvError } from './errors.js';

export const MAX_KEY_BYTES = 64 * 1024;
export const MAX_VALUE_BYTES = 1024 * 1024;
/** Keys in one DEL / EXISTS. */
export const MAX_KEYS_PER_COMMAND = 4096;

/** The string fields of a client command that are held to a limit, and which one. */
const FIELD_LIMITS: ReadonlyArray<readonly [field: string, limit: number, what: string]> = [
  ['key', MAX_KEY_BYTES, 'key'],
  ['value', MAX_VALUE_BYTES, 'value'],
  ['expected', MAX_VALUE_BYTES, 'expected value'],
  ['clientId', MAX_KEY_BYTES, 'clientId'],
];

/**
 * Why `cmd` (a client request or a KV command: `key`, `value`, `expected`, `keys`) is over a
 * size limit, or null. Fields of the wrong type are left to the command's own validation.
 */
export function commandSizeError(cmd: Record<string, unknown>): RaftKvError | null {
  for (const [field, limit, what] of FIELD_LIMITS) {
    const v = cmd[field];
    if (typeof v === 'string') {
      const err = stringSizeError(v, limit, what);
      if (err) return err;
    }
  }
  const keys = cmd.keys;
  if (Array.isArray(keys)) {
    if (keys.length > MAX_KEYS_PER_COMMAND) {
      return new RaftKvError('TOO_LARGE', `${keys.length} keys in one command; the limit is ${MAX_KEYS_PER_COMMAND}`);
    }
    for (const k of keys) {
      const err = typeof k === 'string' ? stringSizeError(k, MAX_KEY_BYTES, 'key') : null;
      if (err) return err;
    }
  }
  return null;
}

function stringSizeError(s: string, limit: number, what: string): RaftKvError | null {
  // s.length <= bytes <= 3 * s.length (UTF-16 unit -> at most 3 UTF-8 bytes): count only when unsure.
  if (s.length * 3 <= limit) return null;
  const bytes = s.length > limit ? s.length : Buffer.byteLength(s, 'utf8');
  if (bytes <= limit) return null;
  return new RaftKvError('TOO_LARGE', `${what} of ${s.length > limit ? 'more than ' + limit : bytes} bytes; the limit is ${limit} bytes`);
}
