/**
 * The JSON text of a run of log entries, remembered for the last run asked.
 *
 * Why: in one Ready a leader writes its new entries to its WAL and sends the same entries to
 * every follower; serialising them once instead of once per destination saves most of the
 * JSON work on the write path (JSON.stringify was the leader's largest single JS cost).
 *
 * Why identity is enough to reuse the text: entries are never mutated once in a log, and a log
 * only changes by appending or by cutting off a suffix (then appending new objects). Two runs
 * with the same length whose first and last elements are the same objects therefore hold the
 * same objects in between.
 */
import type { Entry } from './raft-messages.js';

let memo: { first: Entry; last: Entry; length: number; json: string } | null = null;

export function entriesJson(entries: readonly Entry[]): string {
  const n = entries.length;
  if (n === 0) return '[]';
  const first = entries[0]!;
  const last = entries[n - 1]!;
  if (memo !== null && memo.length === n && memo.first === first && memo.last === last) return memo.json;
  const json = JSON.stringify(entries);
  memo = { first, last, length: n, json };
  return json;
}

/**
 * `JSON.stringify(obj)` for an object with an `entries` field, with the entries from
 * entriesJson (they come last in the text; key order carries no meaning in JSON).
 */
export function stringifyWithEntries<T extends { entries: readonly Entry[] }>(obj: T): string {
  const { entries, ...rest } = obj;
  const head = JSON.stringify(rest);
  return head.length > 2 ? `${head.slice(0, -1)},"entries":${entriesJson(entries)}}` : `{"entries":${entriesJson(entries)}}`;
}
