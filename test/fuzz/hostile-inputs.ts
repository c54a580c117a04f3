/**
 * Seeded generators of hostile input for the client port (all three dialects) and the peer port:
 * input i of seed s is a pure function of (s, i), so a failure report's seed and index replay it
 * (FUZZ_SEED, and the index is printed). Shared by the in-process fuzz tests and the live one.
 *
 * The mix: well-formed requests with mutated fields, extreme numbers in every numeric field
 * (2^53±1, 1e308, -0, huge exponents, 20-digit RESP lengths), control and invalid UTF-8 bytes,
 * unbalanced quotes and escapes, truncated and overlong frames, and random bytes.
 */
import { Prng } from '../lib/prng.js';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261206);
/** How many inputs a run throws; `npm run fuzz -- --inputs N` sets it. */
export function fuzzInputs(ciDefault: number): number {
  const n = Number(process.env.FUZZ_INPUTS ?? ciDefault);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`FUZZ_INPUTS must be a positive integer, got ${process.env.FUZZ_INPUTS}`);
  return n;
}

export function rngFor(seed: number, index: number, label: string): Prng {
  return new Prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0).fork(label);
}

export const EXTREME_NUMBERS: readonly unknown[] = [
  0, -1, 1, -0, 0.5, 2 ** 31, 2 ** 32, 2 ** 53 - 2, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e308, -1e308, 5e-324, 1e21,
  '1', '', null, true, [], {}, '9'.repeat(400),
];
const EXTREME_NUMBER_TEXT = ['0', '-1', '9007199254740991', '9007199254740992', '18446744073709551616', '1e999', '-0', '00', '0x10', '1.5', 'NaN', '-9223372036854775809', '9'.repeat(30)];
const WORDS = ['GET', 'SET', 'DEL', 'CAS', 'EXISTS', 'KEYS', 'INFO', 'PING', 'AUTH', 'HELLO', 'QUIT', 'COMMAND', 'CONFIG', 'CLIENT', 'SELECT', 'READONLY', 'RESET', 'DBSIZE', 'ECHO', 'FOO'];
const OPS = ['get', 'set', 'del', 'cas', 'exists', 'keys', 'status', 'ping', 'info', 'entries', 'auth', 'nope', ''];

function bytes(r: Prng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = r.int(0, 255);
  return b;
}

function word(r: Prng): string {
  switch (r.int(0, 5)) {
    case 0:
      return r.pick(WORDS);
    case 1:
      return r.pick(EXTREME_NUMBER_TEXT);
    case 2:
      return bytes(r, r.int(0, 8)).toString('latin1');
    case 3:
      return '"' + r.pick(['\\x4', '\\xZZ', 'a\\', '\\"', '\\n\\r\\t', "'", '"', '\\x00']) + (r.chance(0.5) ? '"' : '');
    default:
      return `k${r.int(0, 20)}`;
  }
}

function jsonValue(r: Prng, depth = 0): unknown {
  switch (r.int(0, depth > 2 ? 3 : 5)) {
    case 0:
      return r.pick(EXTREME_NUMBERS);
    case 1:
      return `v${r.int(0, 99)}`;
    case 2:
      return bytes(r, r.int(0, 6)).toString('latin1');
    case 3:
      return null;
    case 4:
      return Array.from({ length: r.int(0, 3) }, () => jsonValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(0, 3) }, () => [r.pick(['key', 'value', 'op', 'x']), jsonValue(r, depth + 1)]));
  }
}

/** One JSON request line, well-formed or nearly. */
function jsonRequestLine(r: Prng): string {
  const req: Record<string, unknown> = { id: r.chance(0.8) ? r.int(0, 1e6) : r.pick(EXTREME_NUMBERS), op: r.pick(OPS) };
  for (const f of ['key', 'value', 'expected', 'keys', 'limit', 'seq', 'clientId', 'consistency', 'pattern', 'password', 'section', 'message']) {
    if (r.chance(0.3)) req[f] = f === 'limit' || f === 'seq' ? r.pick(EXTREME_NUMBERS) : jsonValue(r);
  }
  let line = JSON.stringify(req);
  if (r.chance(0.15)) line = line.slice(0, r.int(0, line.length)); // truncated
  if (r.chance(0.05)) line = line.replace(/\d+/, r.pick(EXTREME_NUMBER_TEXT));
  return line + (r.chance(0.5) ? '\r\n' : '\n');
}

function respRequest(r: Prng): Buffer {
  const argv = Array.from({ length: r.int(1, 5) }, () => word(r));
  const lie = r.chance(0.2);
  let s = `*${lie ? r.pick(EXTREME_NUMBER_TEXT) : argv.length}\r\n`;
  for (const a of argv) {
    const len = Buffer.byteLength(a, 'latin1');
    s += `$${r.chance(0.1) ? r.pick(EXTREME_NUMBER_TEXT) : len}${r.chance(0.9) ? '\r\n' : '\n'}${a}${r.chance(0.9) ? '\r\n' : r.pick(['', '\n', 'xx'])}`;
  }
  return Buffer.from(s, 'latin1');
}

function inlineRequest(r: Prng): Buffer {
  return Buffer.from(Array.from({ length: r.int(0, 5) }, () => word(r)).join(r.pick([' ', '  ', '\t'])) + r.pick(['\r\n', '\n', '\r\n\r\n']), 'latin1');
}

/** One chunk of hostile client-port input. */
export function clientInput(seed: number, index: number): Buffer {
  const r = rngFor(seed, index, 'client');
  const parts: Buffer[] = [];
  for (let n = r.int(1, 4); n > 0; n--) {
    switch (r.int(0, 5)) {
      case 0:
        parts.push(Buffer.from(jsonRequestLine(r), 'latin1'));
        break;
      case 1:
        parts.push(respRequest(r));
        break;
      case 2:
        parts.push(inlineRequest(r));
        break;
      case 3:
        parts.push(bytes(r, r.int(0, 64)));
        break;
      default:
        parts.push(Buffer.from(jsonRequestLine(r), 'utf8'));
    }
  }
  return Buffer.concat(parts);
}

/** Splits `input` into chunks of random sizes (1 byte at a time included), as a socket may deliver it. */
export function chunked(input: Buffer, r: Prng): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const n = r.chance(0.2) ? 1 : r.int(1, Math.max(1, input.length));
    out.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

const PEER_TYPES = ['vote', 'voteResp', 'append', 'appendResp', 'heartbeat', 'heartbeatResp', 'propose', 'readIndex', 'readIndexResp', 'timeoutNow', 'hello', 'x'];
const PEER_FIELDS = ['from', 'to', 'term', 'pre', 'granted', 'lastLogIndex', 'lastLogTerm', 'prevLogIndex', 'prevLogTerm', 'commit', 'entries', 'success', 'index', 'hintIndex', 'hintTerm', 'ctx', 'sentTick', 'data'];

/** One parsed-JSON peer message, mostly malformed or out of range. */
export function peerMessage(seed: number, index: number, from = 2, to = 1): unknown {
  const r = rngFor(seed, index, 'peer');
  if (r.chance(0.05)) return jsonValue(r);
  const m: Record<string, unknown> = { type: r.pick(PEER_TYPES), from: r.chance(0.8) ? from : r.pick(EXTREME_NUMBERS), to: r.chance(0.8) ? to : r.pick(EXTREME_NUMBERS) };
  for (const f of PEER_FIELDS.slice(2)) {
    if (!r.chance(0.85)) continue;
    if (f === 'entries') {
      m.entries = Array.from({ length: r.int(0, 3) }, (_, i) => ({ term: r.chance(0.7) ? r.int(0, 5) : r.pick(EXTREME_NUMBERS), index: r.chance(0.7) ? i + 1 : r.pick(EXTREME_NUMBERS), kind: r.pick(['cmd', 'noop', 'x']), data: jsonValue(r) }));
    } else if (f === 'data') {
      m.data = r.chance(0.5) ? [{ op: 'set', key: 'k', value: r.chance(0.02) ? 'x'.repeat(1024 * 1024 + r.int(0, 1)) : 'v' }] : jsonValue(r);
    } else if (r.chance(0.3)) {
      m[f] = r.pick(EXTREME_NUMBERS);
    } else {
      // A sane value of the field's kind, so that many messages pass and what passes is checked.
      m[f] = ['pre', 'granted', 'success'].includes(f) ? r.chance(0.5) : f === 'ctx' ? `c${r.int(0, 9)}` : r.int(0, 10);
    }
  }
  return m;
}
