/**
 * The Redis face of the client port: maps a command's argv (from the RESP or inline dialect) to a
 * ClientRequest for the node, or answers it locally (PING, ECHO, COMMAND, CONFIG GET, SELECT,
 * CLIENT, HELLO, QUIT, ...). Replies to requests are encoded in redis-replies.ts, error replies in
 * resp-errors.ts, INFO's text in redis-info.ts.
 *
 * Outside tools depend on the exact bytes (DESIGN.md): redis-cli needs `COMMAND DOCS` to be an
 * array or an error and `INFO SERVER` a bulk string containing "\r\nredis_version:";
 * redis-benchmark reads `CONFIG GET save` / `CONFIG GET appendonly` as `*2 name value` and stops on
 * any error reply. Error texts match Redis 7's wording.
 */
import type { ClientRequest } from './client-requests.js';
import { RaftKvError } from './errors.js';
import { globMatch } from './glob.js';
import type { RespReplyShape } from './redis-replies.js';
import {
  encodeBulk,
  encodeBulkArray,
  encodeError,
  encodeInteger,
  encodeSimple,
  RESP_EMPTY_ARRAY,
  RESP_NULL_BULK,
  RESP_OK,
  RESP_PONG,
} from './resp.js';
import { encodeRespError } from './resp-errors.js';
import { commandSizeError } from './size-limits.js';
import { REDIS_VERSION } from './server-version.js';
import { addressError, nodeIdOfWord } from './membership-validate.js';
import type { MemberAddress } from './raft-messages.js';

export type RedisDispatch =
  /** Send `req` to the node; encode its result with encodeRespResult(req, result, shape). */
  | { kind: 'request'; name: string; req: ClientRequest; shape: RespReplyShape }
  /**
   * Answered locally: write `reply`; if `close`, close the connection after it (QUIT).
   * `error` is set when the reply is an error (for logs and counters).
   */
  | {
      kind: 'reply';
      name: string;
      reply: string;
      close: boolean;
      error?: RaftKvError;
      /**
       * READONLY / READWRITE (as on a Redis Cluster replica): from now on, reads on this
       * connection are served from the node's local state ('stale': fast, possibly behind the
       * leader) or linearizably again.
       */
      readConsistency?: 'stale' | 'linearizable';
    };

type Dispatch = RedisDispatch;

function errorReply(name: string, err: RaftKvError, close = false): Dispatch {
  return { kind: 'reply', name, reply: encodeRespError(err), close, error: err };
}

function localReply(name: string, reply: string, close = false): Dispatch {
  return { kind: 'reply', name, reply, close };
}

function request(name: string, req: ClientRequest, shape: RespReplyShape = 'default'): Dispatch {
  const tooLarge = commandSizeError(req as unknown as Record<string, unknown>);
  if (tooLarge) return errorReply(name, tooLarge);
  return { kind: 'request', name, req, shape };
}

/** Redis's addReplyErrorArity: `name` is the lower-case full name (`config|get`). */
function arityError(name: string): Dispatch {
  return errorReply(name, new RaftKvError('BAD_REQUEST', `wrong number of arguments for '${name}' command`));
}

/** Truncates to at most `max` UTF-8 bytes, as C's "%.*s" does (may cut a character). */
function truncateBytes(s: string, max: number): string {
  if (max <= 0) return '';
  const b = Buffer.from(s, 'utf8');
  return b.length <= max ? s : b.subarray(0, max).toString('utf8');
}

/** Redis 7: "unknown command '%.128s', with args beginning with: " + "'%.*s' " per arg while < 128 bytes. */
function unknownCommand(argv: readonly string[]): Dispatch {
  let args = '';
  for (let i = 1; i < argv.length && Buffer.byteLength(args) < 128; i++) {
    args += `'${truncateBytes(argv[i]!, 128 - Buffer.byteLength(args))}' `;
  }
  const message = `unknown command '${truncateBytes(argv[0]!, 128)}', with args beginning with: ${args}`;
  return errorReply(argv[0]!.toLowerCase(), new RaftKvError('UNKNOWN_OP', message));
}

function unknownSubcommand(argv: readonly string[]): Dispatch {
  const container = argv[0]!.toUpperCase();
  const message = `unknown subcommand '${truncateBytes(argv[1]!, 128)}'. Try ${container} HELP.`;
  return errorReply(argv[0]!.toLowerCase(), new RaftKvError('UNKNOWN_OP', message));
}

function syntaxError(name: string, message = 'syntax error'): Dispatch {
  return errorReply(name, new RaftKvError('BAD_REQUEST', message));
}

/** A node id argument: a positive decimal integer up to 2^31, else null. */
/** `host:port:peerPort` (the host may be an IPv6 address in brackets), or why not. */
export function memberAddressArg(word: string): MemberAddress | string {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5}):(\d{1,5})$/.exec(word);
  const why = m ? addressError({ host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), peerPort: Number(m[3]) }) : 'expected host:port:peerPort';
  if (why || !m) return `invalid address '${truncateBytes(word, 128)}': ${why}`;
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), peerPort: Number(m[3]) };
}

interface CommandSpec {
  /** Redis arity: N > 0 exactly N words (name included); -N at least N. */
  arity: number;
  run(argv: readonly string[], name: string): Dispatch;
}

/**
 * CONFIG GET answers from this table, so tools that read settings at start get plausible values
 * (redis-benchmark: `save`, `appendonly`). Names are matched with Redis globs, like Redis does.
 */
const CONFIG_VALUES: ReadonlyArray<readonly [string, string]> = [
  ['save', ''],
  ['appendonly', 'no'],
  ['databases', '1'],
  ['maxmemory', '0'],
];

/** Redis's reply to HELLO 2, as a flat RESP2 array of name/value pairs. */
function helloReply(): string {
  return (
    `*14\r\n${encodeBulk('server')}${encodeBulk('redis')}${encodeBulk('version')}${encodeBulk(REDIS_VERSION)}` +
    `${encodeBulk('proto')}${encodeInteger(2)}${encodeBulk('id')}${encodeInteger(0)}` +
    `${encodeBulk('mode')}${encodeBulk('standalone')}${encodeBulk('role')}${encodeBulk('master')}` +
    `${encodeBulk('modules')}${RESP_EMPTY_ARRAY}`
  );
}

const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  [
    'ping',
    {
      arity: -1,
      run: (argv, name) => {
        if (argv.length > 2) return arityError(name);
        return localReply(name, argv.length === 2 ? encodeBulk(argv[1]!) : RESP_PONG);
      },
    },
  ],
  ['echo', { arity: 2, run: (argv, name) => localReply(name, encodeBulk(argv[1]!)) }],
  ['readonly', { arity: 1, run: (_argv, name) => ({ ...localReply(name, RESP_OK), readConsistency: 'stale' }) }],
  ['readwrite', { arity: 1, run: (_argv, name) => ({ ...localReply(name, RESP_OK), readConsistency: 'linearizable' }) }],
  ['get', { arity: 2, run: (argv, name) => request(name, { op: 'get', key: argv[1]! }) }],
  [
    'set',
    {
      arity: -3,
      run: (argv, name) => {
        // Only NX is supported (as a cas against "absent"); there are no TTLs to set.
        let nx = false;
        for (const opt of argv.slice(3)) {
          const upper = opt.toUpperCase();
          if (upper === 'NX') nx = true;
          else if (['XX', 'GET', 'EX', 'PX', 'EXAT', 'PXAT', 'KEEPTTL'].includes(upper)) {
            return syntaxError(name, `SET option '${upper}' is not supported by raftkv`);
          } else return syntaxError(name);
        }
        if (nx) return request(name, { op: 'cas', key: argv[1]!, expected: null, value: argv[2]! }, 'set-nx');
        return request(name, { op: 'set', key: argv[1]!, value: argv[2]! });
      },
    },
  ],
  ['setnx', { arity: 3, run: (argv, name) => request(name, { op: 'cas', key: argv[1]!, expected: null, value: argv[2]! }) }],
  ['del', { arity: -2, run: (argv, name) => request(name, { op: 'del', keys: argv.slice(1) }) }],
  ['unlink', { arity: -2, run: (argv, name) => request(name, { op: 'del', keys: argv.slice(1) }) }],
  ['exists', { arity: -2, run: (argv, name) => request(name, { op: 'exists', keys: argv.slice(1) }) }],
  ['keys', { arity: 2, run: (argv, name) => request(name, { op: 'keys', pattern: argv[1]! }) }],
  ['dbsize', { arity: 1, run: (_argv, name) => request(name, { op: 'keys', pattern: '*' }, 'count') }],
  // Snapshots of the state machine (Raft §7) play the part of Redis's RDB files.
  ['save', { arity: 1, run: (_argv, name) => request(name, { op: 'snapshot' }) }],
  ['bgsave', { arity: -1, run: (_argv, name) => request(name, { op: 'snapshot', background: true }) }],
  [
    'cas',
    { arity: 4, run: (argv, name) => request(name, { op: 'cas', key: argv[1]!, expected: argv[2]!, value: argv[3]! }) },
  ],
  [
    'info',
    {
      arity: -1,
      run: (argv, name) => request(name, argv.length > 1 ? { op: 'info', section: argv.slice(1).join(' ') } : { op: 'info' }),
    },
  ],
  // Redis-Raft's name: a bulk string in INFO's layout.
  ['raft.info', { arity: 1, run: (_argv, name) => request(name, { op: 'raftInfo' }) }],
  // Redis-Raft's membership commands: RAFT.NODE ADD <id> <host:port:peerPort> adds a voter (a
  // JSON addMember with learner true adds a learner), RAFT.NODE REMOVE <id>, RAFT.TRANSFER_LEADER <id>.
  [
    'raft.node',
    {
      arity: -3,
      run: (argv) => {
        const sub = argv[1]!.toLowerCase();
        const full = `raft.node|${sub}`;
        if (sub === 'add') {
          if (argv.length !== 4) return arityError(full);
          const id = nodeIdOfWord(argv[2]!);
          if (id === null) return syntaxError(full, `invalid node id '${truncateBytes(argv[2]!, 64)}'`);
          const addr = memberAddressArg(argv[3]!);
          if (typeof addr === 'string') return syntaxError(full, addr);
          return request(full, { op: 'addMember', nodeId: id, ...addr, learner: false });
        }
        if (sub === 'remove') {
          if (argv.length !== 3) return arityError(full);
          const id = nodeIdOfWord(argv[2]!);
          if (id === null) return syntaxError(full, `invalid node id '${truncateBytes(argv[2]!, 64)}'`);
          return request(full, { op: 'removeMember', nodeId: id });
        }
        return unknownSubcommand(argv);
      },
    },
  ],
  [
    'raft.transfer_leader',
    {
      arity: 2,
      run: (argv, name) => {
        const id = nodeIdOfWord(argv[1]!);
        if (id === null) return syntaxError(name, `invalid node id '${truncateBytes(argv[1]!, 64)}'`);
        return request(name, { op: 'transferLeader', nodeId: id });
      },
    },
  ],
  [
    'command',
    {
      arity: -1,
      // No command table to describe: an empty array is valid for COMMAND, COMMAND DOCS, COMMAND INFO.
      run: (argv, name) => localReply(name, argv.length > 1 && argv[1]!.toLowerCase() === 'count' ? encodeInteger(0) : RESP_EMPTY_ARRAY),
    },
  ],
  [
    'config',
    {
      arity: -2,
      run: (argv) => {
        const sub = argv[1]!.toLowerCase();
        const full = `config|${sub}`;
        if (sub === 'get') {
          if (argv.length < 3) return arityError(full);
          const pairs: string[] = [];
          for (const [param, value] of CONFIG_VALUES) {
            if (argv.slice(2).some((pattern) => globMatch(pattern, param, true))) pairs.push(param, value);
          }
          return localReply(full, encodeBulkArray(pairs));
        }
        if (sub === 'set') {
          if (argv.length < 4 || argv.length % 2 !== 0) return arityError(full);
          return errorReply(full, new RaftKvError('BAD_REQUEST', 'CONFIG SET is not supported by raftkv'));
        }
        if (sub === 'resetstat') return argv.length === 2 ? localReply(full, RESP_OK) : arityError(full);
        return unknownSubcommand(argv);
      },
    },
  ],
  [
    'select',
    {
      arity: 2,
      run: (argv, name) => {
        const db = argv[1]!;
        if (!/^-?\d+$/.test(db) || !Number.isSafeInteger(Number(db))) {
          return errorReply(name, new RaftKvError('BAD_REQUEST', 'value is not an integer or out of range'));
        }
        if (Number(db) !== 0) return errorReply(name, new RaftKvError('BAD_REQUEST', 'DB index is out of range'));
        return localReply(name, RESP_OK);
      },
    },
  ],
  [
    'client',
    {
      arity: -2,
      run: (argv) => {
        const sub = argv[1]!.toLowerCase();
        const full = `client|${sub}`;
        const exact = (n: number, reply: string): Dispatch => (argv.length === n ? localReply(full, reply) : arityError(full));
        switch (sub) {
          case 'setname':
            return exact(3, RESP_OK);
          case 'setinfo':
            return exact(4, RESP_OK);
          case 'getname':
            return exact(2, RESP_NULL_BULK);
          case 'no-evict':
          case 'no-touch':
            return exact(3, RESP_OK);
          default:
            return unknownSubcommand(argv);
        }
      },
    },
  ],
  [
    'hello',
    {
      arity: -1,
      run: (argv, name) => {
        // Only RESP2 is spoken. HELLO [2 ...] describes the server; HELLO 3 is refused the way
        // Redis refuses an unsupported protocol, which makes clients fall back to RESP2.
        if (argv.length === 1) return localReply(name, helloReply());
        const ver = argv[1]!;
        if (!/^-?\d+$/.test(ver)) {
          return errorReply(name, new RaftKvError('BAD_REQUEST', 'Protocol version is not an integer or out of range'));
        }
        if (Number(ver) !== 2) {
          return localReply(name, encodeError('NOPROTO unsupported protocol version'));
        }
        return localReply(name, helloReply());
      },
    },
  ],
  ['quit', { arity: -1, run: (_argv, name) => localReply(name, RESP_OK, true) }],
  // RESET returns the connection to its defaults, READWRITE included (as Redis does).
  ['reset', { arity: 1, run: (_argv, name) => ({ ...localReply(name, encodeSimple('RESET')), readConsistency: 'linearizable' }) }],
]);

/** Names of the commands this server knows (lower case). */
export const REDIS_COMMAND_NAMES: readonly string[] = [...COMMANDS.keys()];

/**
 * Maps one command (argv from the decoder; never empty) to what to do. Command names are
 * case-insensitive; arguments are kept as given. Never throws for a non-empty argv (an empty one
 * is a caller bug).
 */
export function parseRedisCommand(argv: readonly string[]): RedisDispatch {
  if (argv.length === 0) {
    throw new RaftKvError('INTERNAL', 'parseRedisCommand needs at least one word (the decoder drops empty commands)');
  }
  const name = argv[0]!.toLowerCase();
  const spec = COMMANDS.get(name);
  if (spec === undefined) return unknownCommand(argv);
  if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return arityError(name);
  return spec.run(argv, name);
}
