import t from 'tap';
import { arityOk, findCommand, planLine, SHELL_COMMANDS } from '../../../src/tui/shell/commands.js';

t.test('valid commands are sent with an upper-case name', async (t) => {
  t.same(planLine('set k v'), { kind: 'execute', command: 'set', argv: ['SET', 'k', 'v'] });
  t.same(planLine('GET k'), { kind: 'execute', command: 'get', argv: ['GET', 'k'] });
  t.same(planLine('Del a b c'), { kind: 'execute', command: 'del', argv: ['DEL', 'a', 'b', 'c'] });
  t.same(planLine('CAS k "old v" new'), { kind: 'execute', command: 'cas', argv: ['CAS', 'k', 'old v', 'new'] });
  t.same(planLine('KEYS *'), { kind: 'execute', command: 'keys', argv: ['KEYS', '*'] });
  t.same(planLine('ping'), { kind: 'execute', command: 'ping', argv: ['PING'] });
  t.same(planLine('PING hello'), { kind: 'execute', command: 'ping', argv: ['PING', 'hello'] });
  t.same(planLine('EXISTS a b'), { kind: 'execute', command: 'exists', argv: ['EXISTS', 'a', 'b'] });
});

t.test('blank lines run nothing', async (t) => {
  t.same(planLine(''), { kind: 'none' });
  t.same(planLine('   '), { kind: 'none' });
});

// Every command, one word short and one word long where the arity has a bound.
const ARITY_CASES: Array<[string, string, string]> = [
  ['GET', 'get', 'GET key'],
  ['GET a b', 'get', 'GET key'],
  ['SET k', 'set', 'SET key value'],
  ['SET k v extra', 'set', 'SET key value'],
  ['DEL', 'del', 'DEL key [key ...]'],
  ['CAS k old', 'cas', 'CAS key expected new'],
  ['CAS k old new more', 'cas', 'CAS key expected new'],
  ['KEYS', 'keys', 'KEYS pattern'],
  ['KEYS a b', 'keys', 'KEYS pattern'],
  ['EXISTS', 'exists', 'EXISTS key [key ...]'],
  ['PING a b', 'ping', 'PING [message]'],
  ['HELP a b', 'help', 'HELP [command]'],
  ['CLEAR now', 'clear', 'CLEAR'],
];

t.test('wrong arity gets the Redis error and the usage line', async (t) => {
  for (const [line, name, usage] of ARITY_CASES) {
    t.same(
      planLine(line),
      {
        kind: 'print',
        lines: [
          { text: `(error) ERR wrong number of arguments for '${name}' command`, tone: 'error' },
          { text: `usage: ${usage}`, tone: 'info' },
        ],
      },
      line,
    );
  }
});

t.test('other commands go to the node as typed; :node picks the node', async (t) => {
  t.same(planLine('INFO replication'), { kind: 'send', argv: ['INFO', 'replication'] });
  t.same(planLine('raft.info'), { kind: 'send', argv: ['raft.info'] }, 'the node judges the name, not the shell');
  t.same(planLine('CONFIG GET "save"'), { kind: 'send', argv: ['CONFIG', 'GET', 'save'] }, 'quoting as redis-cli');
  t.same(planLine(':node 2'), { kind: 'node', id: 2 });
  t.same(planLine(':NODE 12'), { kind: 'node', id: 12 });
  for (const bad of [':node', ':node x', ':node 0', ':node 1 2', ':node -1']) {
    const plan = planLine(bad);
    t.equal(plan.kind === 'print' && plan.lines[0]!.text, '(error) ERR usage: :node <id>', bad);
  }
});

t.test('bad quoting is answered like redis-cli', async (t) => {
  for (const line of ['SET k "open', "SET k 'open", 'SET k "a"b']) {
    t.same(planLine(line), { kind: 'print', lines: [{ text: 'Invalid argument(s)', tone: 'error' }] }, line);
  }
  t.same(planLine('SET k "a\\x41\\n"'), { kind: 'execute', command: 'set', argv: ['SET', 'k', 'aA\n'] }, 'escapes as redis-cli');
  t.same(planLine("SET 'it\\'s' \"hello world\""), { kind: 'execute', command: 'set', argv: ['SET', "it's", 'hello world'] });
});

t.test('HELP and CLEAR are local', async (t) => {
  const all = planLine('help');
  t.equal(all.kind, 'print');
  if (all.kind === 'print') {
    t.equal(all.lines.length, SHELL_COMMANDS.length + 3, 'every shell command, :node, and the pass-through');
    for (const c of SHELL_COMMANDS) t.ok(all.lines.some((l) => l.text.startsWith(c.usage)), c.usage);
    t.ok(all.lines.some((l) => l.text.startsWith(':node <id>')), ':node is listed');
    t.ok(all.lines.some((l) => /INFO \[section\], RAFT\.INFO, DBSIZE, CONFIG GET/.test(l.text)), 'and what goes to the node');
  }
  t.same(planLine('HELP cas'), {
    kind: 'print',
    lines: [
      { text: 'usage: CAS key expected new', tone: 'info' },
      { text: '  Set key to new only if it holds expected', tone: 'info' },
    ],
  });
  const unknown = planLine('HELP nope');
  t.equal(unknown.kind === 'print' && unknown.lines[0]!.text, 'NOPE is not a shell command: typed as a command, it goes to the node as is');
  t.same(planLine('clear'), { kind: 'clear' });
});

t.test('arity rules', async (t) => {
  const del = findCommand('DEL')!;
  t.notOk(arityOk(del, 1));
  t.ok(arityOk(del, 2));
  t.ok(arityOk(del, 50));
  const ping = findCommand('ping')!;
  t.ok(arityOk(ping, 1));
  t.ok(arityOk(ping, 2));
  t.notOk(arityOk(ping, 3));
  t.equal(findCommand('nope'), undefined);
});

t.test('garbage lines never throw', async (t) => {
  for (const line of ['\u0000\u0001', '"""', "'", '\\', '\uffff \ud800', 'GET \u0000', 'x'.repeat(10_000)]) {
    t.doesNotThrow(() => planLine(line), JSON.stringify(line.slice(0, 20)));
  }
});
