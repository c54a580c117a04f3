import t from 'tap';
import { parseRedisCommand, type RedisDispatch } from '../../src/protocol/redis-commands.js';

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

t.test('READONLY / READWRITE switch the connection read consistency, as on a Redis Cluster replica', async (t) => {
  t.match(parseRedisCommand(['READONLY']), { kind: 'reply', reply: '+OK\r\n', readConsistency: 'stale' });
  t.match(parseRedisCommand(['readwrite']), { kind: 'reply', reply: '+OK\r\n', readConsistency: 'linearizable' });
  t.match(parseRedisCommand(['RESET']), { kind: 'reply', reply: '+RESET\r\n', readConsistency: 'linearizable' }, 'RESET undoes READONLY');
  t.equal((parseRedisCommand(['PING']) as { readConsistency?: string }).readConsistency, undefined, 'other commands leave it alone');
});
