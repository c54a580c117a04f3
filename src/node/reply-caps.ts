/**
 * Byte caps on answers whose size the client does not control directly (`entries`, `KEYS`): one
 * request must not make the node build hundreds of megabytes of reply (1,000 pipelined
 * `{"op":"entries","limit":1000}` over a log of big values took a node from 70 MB to 2.4 GB).
 * Sizes are counted in string characters of the data, without serialising it first: the point is
 * to bound the work before doing it.
 */
import type { Entry } from '../protocol/raft-messages.js';
import { RaftKvError } from '../protocol/errors.js';

/** Most characters of entry data in one `entries` answer. */
export const ENTRIES_REPLY_MAX_CHARS = 4 * 1024 * 1024;
/** Most characters of key names in one `KEYS` answer. */
export const KEYS_REPLY_MAX_CHARS = 16 * 1024 * 1024;

/**
 * The newest entries of `entries` (oldest first, as given) whose data fit in `maxChars`, in the
 * same order; always at least the newest one, so a status display shows the log's head.
 */
export function newestEntriesWithin(entries: readonly Entry[], maxChars = ENTRIES_REPLY_MAX_CHARS): Entry[] {
  let total = 0;
  let first = entries.length;
  while (first > 0) {
    total += 64 + approxChars(entries[first - 1]!.data);
    if (total > maxChars && first < entries.length) break;
    first--;
  }
  return entries.slice(first);
}

/** `keys`, or TOO_LARGE if their names add up to more than `maxChars`. */
export function keysWithin(keys: readonly string[], maxChars = KEYS_REPLY_MAX_CHARS): readonly string[] {
  let total = 0;
  for (const k of keys) {
    total += k.length + 16;
    if (total > maxChars) {
      throw new RaftKvError('TOO_LARGE', `KEYS answer over ${maxChars} bytes (${keys.length} keys match); use a narrower pattern`);
    }
  }
  return keys;
}

/** Characters of the strings in a command (key, value, keys...), walking at most two levels. */
function approxChars(data: unknown, depth = 0): number {
  if (typeof data === 'string') return data.length;
  if (typeof data !== 'object' || data === null || depth > 2) return 8;
  let n = 0;
  for (const v of Array.isArray(data) ? data : Object.values(data)) n += 8 + approxChars(v, depth + 1);
  return n;
}
