import t from 'tap';
import {
  encodeRespError,
  encodeRespResult,
  errorFromResp,
  parseRedisCommand,
  renderInfo,
  RESP_ERROR_PREFIX,
  type InfoFacts,
  type RedisDispatch,
} from '../../src/protocol/redis-commands.js';
import { ERROR_CODES, RaftKvError } from '../../src/protocol/errors.js';
import type { ClientRequest } from '../../src/protocol/client-requests.js';

/** Local replies as [reply, close]; requests as the request (+ shape when not default). */
function show(d: RedisDispatch): unknown {
  if (d.kind === 'reply') return d.close ? [d.reply, 'close'] : d.reply;
  return d.shape === 'default' ? d.req : { ...d.req, shape: d.shape };
}

// [argv, expected]
const TABLE: Array<[string[], unknown]> = [
  [['PING'], '+PONG\r\n'],
  [['ping', 'hi there'], '$8\r\nhi there\r\n'],
  [['PING', 'a', 'b'], "-ERR wrong number of arguments for 'ping' command\r\n"],
  [['ECHO', 'é'], '$2\r\né\r\n'],
  [['echo'], "-ERR wrong number of arguments for 'echo' command\r\n"],
  [['readonly', 'x'], "-ERR wrong number of arguments for 'readonly' command\r\n"],
  [['GET', 'k'], { op: 'get', key: 'k' }],
  [['gEt', 'K'], { op: 'get', key: 'K' }],
  [['GET'], "-ERR wrong number of arguments for 'get' command\r\n"],
  [['GET', 'a', 'b'], "-ERR wrong number of arguments for 'get' command\r\n"],
  [['SET', 'k', 'v'], { op: 'set', key: 'k', value: 'v' }],
  [['SET', 'k'], "-ERR wrong number of arguments for 'set' command\r\n"],
  [['SET', 'k', 'v', 'nx'], { op: 'cas', key: 'k', expected: null, value: 'v', shape: 'set-nx' }],
  [['SET', 'k', 'v', 'EX', '10'], "-ERR SET option 'EX' is not supported by raftkv\r\n"],
  [['SET', 'k', 'v', 'bogus'], '-ERR syntax error\r\n'],
  [['SETNX', 'k', 'v'], { op: 'cas', key: 'k', expected: null, value: 'v' }],
  [['DEL', 'a'], { op: 'del', keys: ['a'] }],
  [['DEL', 'a', 'b', 'a'], { op: 'del', keys: ['a', 'b', 'a'] }],
  [['DEL'], "-ERR wrong number of arguments for 'del' command\r\n"],
  [['UNLINK', 'a'], { op: 'del', keys: ['a'] }],
  [['EXISTS', 'a', 'b'], { op: 'exists', keys: ['a', 'b'] }],
  [['KEYS', '*'], { op: 'keys', pattern: '*' }],
  [['KEYS'], "-ERR wrong number of arguments for 'keys' command\r\n"],
  [['DBSIZE'], { op: 'keys', pattern: '*', shape: 'count' }],
  [['CAS', 'k', 'old', 'new'], { op: 'cas', key: 'k', expected: 'old', value: 'new' }],
  [['CAS', 'k', 'old'], "-ERR wrong number of arguments for 'cas' command\r\n"],
  [['INFO'], { op: 'info' }],
  [['INFO', 'SERVER'], { op: 'info', section: 'SERVER' }],
  [['INFO', 'server', 'raft'], { op: 'info', section: 'server raft' }],
  [['COMMAND'], '*0\r\n'],
  [['COMMAND', 'DOCS'], '*0\r\n'],
  [['command', 'count'], ':0\r\n'],
  [['CONFIG', 'GET', 'save'], '*2\r\n$4\r\nsave\r\n$0\r\n\r\n'],
  [['CONFIG', 'GET', 'appendonly'], '*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n'],
  [['config', 'get', 'APPEND*'], '*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n'],
  [['CONFIG', 'GET', 'nosuch'], '*0\r\n'],
  [['CONFIG', 'GET'], "-ERR wrong number of arguments for 'config|get' command\r\n"],
  [['CONFIG'], "-ERR wrong number of arguments for 'config' command\r\n"],
  [['CONFIG', 'SET', 'save', ''], '-ERR CONFIG SET is not supported by raftkv\r\n'],
  [['CONFIG', 'RESETSTAT'], '+OK\r\n'],
  [['CONFIG', 'Frob'], "-ERR unknown subcommand 'Frob'. Try CONFIG HELP.\r\n"],
  [['SELECT', '0'], '+OK\r\n'],
  [['SELECT', '1'], '-ERR DB index is out of range\r\n'],
  [['SELECT', 'x'], '-ERR value is not an integer or out of range\r\n'],
  [['CLIENT', 'SETNAME', 'me'], '+OK\r\n'],
  [['CLIENT', 'SETINFO', 'lib-name', 'redis-py'], '+OK\r\n'],
  [['CLIENT', 'GETNAME'], '$-1\r\n'],
  [['CLIENT', 'SETNAME'], "-ERR wrong number of arguments for 'client|setname' command\r\n"],
  [['CLIENT', 'KILL', 'x'], "-ERR unknown subcommand 'KILL'. Try CLIENT HELP.\r\n"],
  [['HELLO', '3'], '-NOPROTO unsupported protocol version\r\n'],
  [['HELLO', 'x'], '-ERR Protocol version is not an integer or out of range\r\n'],
  [['QUIT'], ['+OK\r\n', 'close']],
  [['RESET'], '+RESET\r\n'],
  [['FOO'], "-ERR unknown command 'FOO', with args beginning with: \r\n"],
  [['foo', 'a', 'b'], "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"],
  [['foo', 'a\r\nb'], "-ERR unknown command 'foo', with args beginning with: 'a  b' \r\n"],
  [['{"op":"get"}'], `-ERR unknown command '{"op":"get"}', with args beginning with: \r\n`],
];

t.test('command table', async (t) => {
  for (const [argv, want] of TABLE) t.same(show(parseRedisCommand(argv)), want, argv.join(' '));
});

t.test('HELLO 2 describes a RESP2 server as a flat array', async (t) => {
  for (const argv of [['HELLO'], ['HELLO', '2']]) {
    const d = parseRedisCommand(argv);
    t.equal(d.kind, 'reply');
    if (d.kind === 'reply') t.match(d.reply, /^\*14\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n.*\$5\r\nproto\r\n:2\r\n/s);
  }
});

t.test('unknown command: args truncated at 128 bytes like Redis', async (t) => {
  const d = parseRedisCommand(['nope', 'x'.repeat(200), 'y']);
  t.equal(d.kind, 'reply');
  if (d.kind !== 'reply') return;
  t.equal(d.reply, `-ERR unknown command 'nope', with args beginning with: '${'x'.repeat(128)}' \r\n`);
  t.equal(d.error?.code, 'UNKNOWN_OP');
  const long = parseRedisCommand(['n'.repeat(300)]);
  t.equal(long.kind === 'reply' && long.reply, `-ERR unknown command '${'n'.repeat(128)}', with args beginning with: \r\n`);
  t.throws(() => parseRedisCommand([]), { code: 'INTERNAL' });
});

t.test('results encode per op', async (t) => {
  const cases: Array<[ClientRequest, unknown, string, ('set-nx' | 'count')?]> = [
    [{ op: 'get', key: 'k' }, 'bar', '$3\r\nbar\r\n'],
    [{ op: 'get', key: 'k' }, null, '$-1\r\n'],
    [{ op: 'get', key: 'k' }, 'é', '$2\r\né\r\n'],
    [{ op: 'set', key: 'k', value: 'v' }, 'OK', '+OK\r\n'],
    [{ op: 'set', key: 'k', value: 'v' }, undefined, '+OK\r\n'],
    [{ op: 'del', keys: ['a'] }, 2, ':2\r\n'],
    [{ op: 'exists', keys: ['a'] }, 0, ':0\r\n'],
    [{ op: 'cas', key: 'k', expected: 'a', value: 'b' }, true, ':1\r\n'],
    [{ op: 'cas', key: 'k', expected: 'a', value: 'b' }, false, ':0\r\n'],
    [{ op: 'cas', key: 'k', expected: null, value: 'b' }, true, '+OK\r\n', 'set-nx'],
    [{ op: 'cas', key: 'k', expected: null, value: 'b' }, false, '$-1\r\n', 'set-nx'],
    [{ op: 'keys', pattern: '*' }, ['a', 'é'], '*2\r\n$1\r\na\r\n$2\r\né\r\n'],
    [{ op: 'keys', pattern: '*' }, [], '*0\r\n'],
    [{ op: 'keys', pattern: '*' }, ['a', 'b', 'c'], ':3\r\n', 'count'],
    [{ op: 'ping' }, 'PONG', '+PONG\r\n'],
    [{ op: 'ping', message: 'yo' }, 'yo', '$2\r\nyo\r\n'],
    [{ op: 'info' }, '# Server\r\n', '$10\r\n# Server\r\n\r\n'],
    [{ op: 'status' }, { id: 1 }, '$8\r\n{"id":1}\r\n'],
    [{ op: 'entries', limit: 1 }, [], '$2\r\n[]\r\n'],
  ];
  for (const [req, value, want, shape] of cases) {
    t.equal(encodeRespResult(req, value, shape), want, `${req.op} ${JSON.stringify(value)} ${shape ?? ''}`);
  }
  t.throws(() => encodeRespResult({ op: 'get', key: 'k' }, 5), { code: 'INTERNAL' });
  t.throws(() => encodeRespResult({ op: 'del', keys: ['k'] }, '1'), { code: 'INTERNAL' });
  t.throws(() => encodeRespResult({ op: 'keys', pattern: '*' }, [1]), { code: 'INTERNAL' });
});

t.test('errors: prefix per code, CR/LF flattened, round trip through errorFromResp', async (t) => {
  const want: Array<[string, string]> = [
    [encodeRespError(new RaftKvError('NO_LEADER', 'no leader is known, try again')), '-NOLEADER no leader is known, try again\r\n'],
    [encodeRespError(new RaftKvError('NOT_LEADER', 'leader is 2 at 127.0.0.1:7002')), '-NOTLEADER leader is 2 at 127.0.0.1:7002\r\n'],
    [encodeRespError(new RaftKvError('BAD_REQUEST', 'bad\r\nthing')), '-ERR bad  thing\r\n'],
    [encodeRespError(new RaftKvError('WRONG_TYPE', 'Operation against a key holding the wrong kind of value')), '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
    [encodeRespError(new Error('x')), '-ERR x\r\n'],
  ];
  for (const [got, expected] of want) t.equal(got, expected);
  const prefixes = new Map<string, string>();
  for (const code of ERROR_CODES) {
    const prefix = RESP_ERROR_PREFIX[code];
    t.match(prefix, /^[A-Z]+$/, code);
    if (prefix !== 'ERR') {
      t.notOk(prefixes.has(prefix), `${prefix} belongs to one code`);
      prefixes.set(prefix, code);
      const back = errorFromResp(encodeRespError(new RaftKvError(code, 'why')).slice(1, -2));
      t.equal(back.code, code, `${code} round trip`);
      t.equal(back.message, 'why');
    }
  }
  t.equal(errorFromResp("ERR unknown command 'x', with args beginning with: ").code, 'UNKNOWN_OP');
  t.equal(errorFromResp('ERR Protocol error: too big inline request').code, 'PROTOCOL_ERROR');
  t.equal(errorFromResp('ERR syntax error').code, 'BAD_REQUEST');
  t.equal(errorFromResp('MOVED 3999 127.0.0.1:6381').code, 'BAD_REQUEST');
  t.equal(errorFromResp('MOVED 3999 127.0.0.1:6381').message, 'MOVED 3999 127.0.0.1:6381');
  t.equal(errorFromResp('').code, 'BAD_REQUEST');
});

const FACTS: InfoFacts = {
  nodeId: 2,
  role: 'follower',
  term: 3,
  leader: 1,
  leaderAddress: '127.0.0.1:7001',
  commitIndex: 42,
  lastApplied: 41,
  lastLogIndex: 43,
  keys: 5,
  tcpPort: 7002,
  extra: { raft: { pre_vote: 'yes' }, stats: { total_commands_processed: 9 } },
};

t.test('INFO text', async (t) => {
  const all = renderInfo(undefined, FACTS);
  t.ok(all.startsWith('# Server\r\nredis_version:7.0.0\r\n'));
  t.match(all, /\r\nredis_version:7\.0\.0\r\n/, 'redis-cli finds "\\nredis_version:"');
  t.match(all, /\r\n\r\n# Replication\r\nrole:slave\r\nmaster_host:127\.0\.0\.1\r\nmaster_port:7001\r\nmaster_link_status:up\r\n/);
  t.match(all, /# Raft\r\nraft_node_id:2\r\nraft_role:follower\r\nraft_term:3\r\nraft_leader:1\r\nraft_commit_index:42\r\nraft_last_applied:41\r\nraft_last_log_index:43\r\npre_vote:yes\r\n/);
  t.match(all, /# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n/);
  t.match(all, /# Stats\r\ntotal_commands_processed:9\r\n$/);
  t.notMatch(all, /connected_clients/, 'unknown facts are left out');
  t.equal(renderInfo('default', FACTS), all);
  t.equal(renderInfo('ALL', FACTS), all);
  const server = renderInfo('SERVER', FACTS);
  t.ok(server.startsWith('# Server\r\n'));
  t.notMatch(server, /# Raft/);
  t.match(renderInfo('server raft', FACTS), /^# Server\r\n[^#]*\r\n\r\n# Raft\r\n/);
  t.equal(renderInfo('nosuch', FACTS), '');
  const leader = renderInfo('replication', { ...FACTS, role: 'leader', leaderAddress: undefined, keys: 0 });
  t.equal(leader, '# Replication\r\nrole:master\r\n');
  t.match(renderInfo('keyspace', { ...FACTS, keys: 0 }), /^# Keyspace\r\n$/);
  t.match(renderInfo('replication', { ...FACTS, leader: 0, leaderAddress: undefined }), /master_link_status:down/);
});

t.test('READONLY / READWRITE switch the connection read consistency, as on a Redis Cluster replica', async (t) => {
  t.match(parseRedisCommand(['READONLY']), { kind: 'reply', reply: '+OK\r\n', readConsistency: 'stale' });
  t.match(parseRedisCommand(['readwrite']), { kind: 'reply', reply: '+OK\r\n', readConsistency: 'linearizable' });
  t.match(parseRedisCommand(['RESET']), { kind: 'reply', reply: '+RESET\r\n', readConsistency: 'linearizable' }, 'RESET undoes READONLY');
  t.equal((parseRedisCommand(['PING']) as { readConsistency?: string }).readConsistency, undefined, 'other commands leave it alone');
});
