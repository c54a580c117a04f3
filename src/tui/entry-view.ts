/**
 * Raft log entries as the detail pane shows them: the `data` of an entry (a KV command, see
 * src/node/kv-command.ts) rendered as the shell command that made it (`SET x 1`), so a person can
 * match what they typed with what got replicated. Entries come from a node over the wire, so
 * anything unexpected is shown as compact JSON rather than trusted.
 */
import type { LogEntryView } from './model.js';

/** Longest command text kept; the pane is narrower anyway, and a huge value must not cost memory. */
const MAX_COMMAND_CHARS = 200;

/** A word as redis-cli would need it typed: bare if plain, else double-quoted with escapes. */
export function quoteWord(word: string): string {
  return /^[\x21-\x7e]+$/.test(word) && !/["'\\]/.test(word) ? word : JSON.stringify(word);
}

function cut(text: string): string {
  return text.length > MAX_COMMAND_CHARS ? `${text.slice(0, MAX_COMMAND_CHARS - 1)}…` : text;
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `SET k v`, `DEL a b`, `CAS k old new` (`(nil)` for "must be absent"); JSON for anything else. */
export function commandText(data: unknown): string {
  if (typeof data !== 'object' || data === null) return cut(compactJson(data));
  const d = data as Record<string, unknown>;
  const str = (v: unknown): v is string => typeof v === 'string';
  if (d.op === 'set' && str(d.key) && str(d.value)) return cut(`SET ${quoteWord(d.key)} ${quoteWord(d.value)}`);
  if (d.op === 'del' && Array.isArray(d.keys) && d.keys.every(str)) return cut(`DEL ${d.keys.map(quoteWord).join(' ')}`);
  if (d.op === 'cas' && str(d.key) && str(d.value) && (d.expected === null || str(d.expected))) {
    const expected = d.expected === null ? '(nil)' : quoteWord(d.expected);
    return cut(`CAS ${quoteWord(d.key)} ${expected} ${quoteWord(d.value)}`);
  }
  return cut(compactJson(data));
}

/** A membership change (a config entry's `data.change`): `add learner 4 127.0.0.1:7004`, `promote 4`, `remove 2`. */
export function configText(data: unknown): string {
  const change = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).change : undefined;
  if (typeof change !== 'object' || change === null) return cut(compactJson(data));
  const c = change as Record<string, unknown>;
  const address = c.address as Record<string, unknown> | undefined;
  const where = address && typeof address.host === 'string' ? ` ${address.host}:${String(address.port)}` : '';
  switch (c.type) {
    case 'addLearner':
      return `add learner ${String(c.id)}${where}`;
    case 'addVoter':
      return `add voter ${String(c.id)}${where}`;
    case 'promote':
      return `promote ${String(c.id)}`;
    case 'remove':
      return `remove ${String(c.id)}`;
    default:
      return cut(compactJson(change));
  }
}

/** One wire entry (`{index, term, kind, data?}`) as a view, or undefined if it is not an entry. */
export function entryView(raw: unknown): LogEntryView | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Record<string, unknown>;
  if (typeof e.index !== 'number' || typeof e.term !== 'number') return undefined;
  if (e.kind === 'noop') return { index: e.index, term: e.term, kind: 'noop', command: '' };
  if (e.kind === 'config') return { index: e.index, term: e.term, kind: 'config', command: configText(e.data) };
  return { index: e.index, term: e.term, kind: 'cmd', command: commandText(e.data) };
}

/** The entries of an `entries` reply that are well-formed, oldest first as the node sent them. */
export function entryViews(raw: readonly unknown[]): LogEntryView[] {
  const out: LogEntryView[] = [];
  for (const r of raw) {
    const v = entryView(r);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** True if both lists show the same entries (so the old array can be kept and React sees no change). */
export function sameEntries(a: readonly LogEntryView[], b: readonly LogEntryView[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.index !== y.index || x.term !== y.term || x.kind !== y.kind || x.command !== y.command) return false;
  }
  return true;
}
