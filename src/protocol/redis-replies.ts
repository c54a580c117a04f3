/**
 * The RESP reply to a request the node answered: each op's result encoded as Redis would reply to
 * the command that made it.
 */
import type { ClientRequest } from './client-requests.js';
import { RaftKvError } from './errors.js';
import { encodeBulk, encodeBulkArray, encodeError, encodeInteger, encodeSimple, RESP_NULL_BULK, RESP_OK, RESP_PONG } from './resp.js';

/**
 * How to encode the result of a request made for a Redis command when the op's default encoding
 * (encodeRespResult) is not what that command replies:
 * - `set-nx`: SET k v NX is a cas(expected null); true -> +OK, false -> $-1 (Redis's nil);
 * - `count`: DBSIZE is keys('*'); reply with the number of keys.
 */
export type RespReplyShape = 'default' | 'set-nx' | 'count';

function expect<T>(ok: boolean, value: unknown, what: string): T {
  if (!ok) throw new RaftKvError('INTERNAL', `result of ${what} has the wrong type: ${JSON.stringify(value)}`);
  return value as T;
}

/**
 * The RESP reply for a successful request's result (OpResults in client-requests.ts):
 * get -> bulk or $-1; set -> +OK; del/exists -> integer; cas -> :1/:0; keys -> array of bulks;
 * ping -> +PONG or the message as bulk; info -> bulk; status/entries -> their JSON as a bulk.
 * A result of the wrong type is a bug: throws INTERNAL (reply with encodeRespError).
 */
export function encodeRespResult(req: ClientRequest, value: unknown, shape: RespReplyShape = 'default'): string {
  if (shape === 'set-nx') return expect<boolean>(typeof value === 'boolean', value, 'SET NX') ? RESP_OK : RESP_NULL_BULK;
  if (shape === 'count') {
    const count = Array.isArray(value) ? value.length : value;
    return encodeInteger(expect<number>(Number.isSafeInteger(count), count, 'a count'));
  }
  switch (req.op) {
    case 'get':
      return encodeBulk(expect<string | null>(value === null || typeof value === 'string', value, 'get'));
    case 'auth':
      return RESP_OK;
    case 'set':
      return value === undefined || value === null ? RESP_OK : encodeSimple(expect<string>(typeof value === 'string', value, 'set'));
    case 'del':
    case 'exists':
      return encodeInteger(expect<number>(Number.isSafeInteger(value), value, req.op));
    case 'cas':
      return encodeInteger(expect<boolean>(typeof value === 'boolean', value, 'cas') ? 1 : 0);
    case 'keys': {
      const ok = Array.isArray(value) && value.every((k) => typeof k === 'string');
      return encodeBulkArray(expect<string[]>(ok, value, 'keys'));
    }
    case 'ping':
      if (req.message === undefined) return RESP_PONG;
      return encodeBulk(expect<string>(typeof value === 'string', value, 'ping'));
    case 'info':
    case 'raftInfo':
      return encodeBulk(expect<string>(typeof value === 'string', value, req.op));
    case 'status':
    case 'entries':
    case 'members':
      return encodeBulk(JSON.stringify(value ?? null));
    case 'addMember':
    case 'promoteMember':
    case 'removeMember':
    case 'transferLeader':
      return RESP_OK;
    case 'snapshot': {
      // Redis's own words: SAVE -> +OK; BGSAVE -> "+Background saving started", or an error when
      // one is running already.
      if (!req.background) return RESP_OK;
      const started = (value as { started?: unknown } | null)?.started;
      return started === true ? encodeSimple('Background saving started') : encodeError('ERR Background save already in progress');
    }
  }
}
