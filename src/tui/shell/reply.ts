/**
 * What a shell command answered: a RESP2 reply (the protocol's own RespReply, so a source may pass
 * on what a node answered in RESP unchanged), printed as redis-cli prints it (format-reply.ts).
 * A ClusterSource's `execute` resolves to one of these. Error messages start with the error code,
 * as Redis errors do: `ERR …`, `NOT_LEADER …`, `TIMEOUT …`.
 */
import type { RespReply } from '../../protocol/resp.js';

export type ShellReply = RespReply;

export const OK_REPLY: ShellReply = Object.freeze({ type: 'simple', value: 'OK' });

/**
 * The reply a command gets from the value the client library resolved with (the JSON protocol's
 * `value`, DESIGN.md): GET → bulk or nil, SET → OK, DEL/EXISTS → integer, CAS → `:1`/`:0`,
 * KEYS → array of bulks, PING → PONG (or its argument as a bulk, as Redis does). A value of an
 * unexpected type becomes an error reply rather than a wrong-looking answer.
 */
export function replyFromResult(command: string, value: unknown): ShellReply {
  const name = command.toLowerCase();
  switch (name) {
    case 'get':
      if (value === null || value === undefined) return { type: 'bulk', value: null };
      if (typeof value === 'string') return { type: 'bulk', value };
      break;
    case 'set':
      return OK_REPLY;
    case 'del':
    case 'exists':
      if (typeof value === 'number' && Number.isInteger(value)) return { type: 'integer', value };
      if (typeof value === 'boolean') return { type: 'integer', value: value ? 1 : 0 };
      break;
    case 'cas':
      if (typeof value === 'boolean') return { type: 'integer', value: value ? 1 : 0 };
      if (value === 0 || value === 1) return { type: 'integer', value };
      break;
    case 'keys':
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        return { type: 'array', items: value.map((v: string) => ({ type: 'bulk', value: v })) };
      }
      break;
    case 'ping':
      if (value === undefined || value === null || value === 'PONG') return { type: 'simple', value: 'PONG' };
      if (typeof value === 'string') return { type: 'bulk', value };
      break;
    default:
      if (typeof value === 'string') return { type: 'bulk', value };
      if (typeof value === 'number' && Number.isInteger(value)) return { type: 'integer', value };
      if (value === null) return { type: 'bulk', value: null };
  }
  return { type: 'error', message: `ERR unexpected reply to '${name}': ${safeJson(value)}` };
}

/**
 * The error reply for a failed request: `CODE message` when the error carries a stable `code`
 * (the client library's NOT_LEADER, NO_LEADER, TIMEOUT, …), else `ERR message`. A message that
 * already starts with its code is not prefixed twice.
 */
export function replyFromError(err: unknown): ShellReply {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'ERR';
  const message = err instanceof Error ? err.message : String(err);
  const text = message.startsWith(code) ? message : `${code} ${message}`;
  // One line only: a reply is printed on one line, like redis-cli's.
  return { type: 'error', message: text.replace(/\s*\n\s*/g, ' ') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
