/**
 * `raftkv bench` flags: redis-benchmark's short forms, defaults, targets, and a clear usage error
 * (exit code 2, through the real CLI entry) for every kind of garbage.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/args.js';
import { parseBenchArgv, resolveBenchOptions, type BenchOptions } from '../../src/cli/bench/options.js';
import type { CliIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-bench-opts-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'cluster.json'),
  JSON.stringify({
    nodes: [
      { id: 1, host: '127.0.0.1', port: 7001, peerPort: 7101 },
      { id: 2, host: '127.0.0.1', port: 7002, peerPort: 7102 },
      { id: 3, host: '127.0.0.1', port: 7003, peerPort: 7103 },
    ],
    electionTimeoutMs: { min: 150, max: 300 },
    heartbeatIntervalMs: 50,
    dataDir: 'data',
    logDir: 'logs',
  }),
);

function options(argv: string[]): BenchOptions {
  return resolveBenchOptions(parseBenchArgv(argv), dir);
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), cwd: dir };
  const code = await main(argv, io);
  return { code, out, err };
}

t.test('defaults are redis-benchmark\'s, the target is ./cluster.json', async (tt) => {
  const o = options([]);
  tt.match(o, {
    tests: ['set', 'get'],
    clients: 50,
    pipeline: 1,
    size: { kind: 'requests', requests: 100_000 },
    dataSizeBytes: 3,
    keyspace: null,
    readRatio: 0.5,
    output: 'report',
    suite: false,
    quick: false,
  });
  tt.same(o.nodes, [
    { host: '127.0.0.1', port: 7001 },
    { host: '127.0.0.1', port: 7002 },
    { host: '127.0.0.1', port: 7003 },
  ]);
  tt.equal(o.targetLabel, 'cluster.json (3 nodes)');
});

t.test('short and long forms', async (tt) => {
  const o = options(['-c', '8', '-n', '2000', '-t', 'SET,get,cas,mixed', '-d', '100', '-r', '1000', '-P', '16', '-q', '-p', '7001']);
  tt.match(o, {
    clients: 8,
    size: { kind: 'requests', requests: 2000 },
    tests: ['set', 'get', 'cas', 'mixed'],
    dataSizeBytes: 100,
    keyspace: 1000,
    pipeline: 16,
    output: 'quiet',
  });
  tt.same(o.nodes, [{ host: '127.0.0.1', port: 7001 }]);
  const l = options(['--clients=4', '--duration', '1.5', '--tests', 'mixed', '--read-ratio', '0.9', '--json', '--nodes', 'a:1,b:2', '--data-size', '0']);
  tt.match(l, { clients: 4, size: { kind: 'duration', seconds: 1.5 }, tests: ['mixed'], readRatio: 0.9, output: 'json', dataSizeBytes: 0 });
  tt.same(l.nodes, [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  tt.same(options(['--host', 'h', '-p', '9']).nodes, [{ host: 'h', port: 9 }]);
  tt.same(options(['-t', 'set,set']).tests, ['set', 'set'], 'a test may be repeated, as redis-benchmark runs what it is told');
});

t.test('suite mode takes load-shape flags only; size defaults are the suite\'s', async (tt) => {
  tt.match(options(['--suite']), { suite: true, quick: false, size: null, nodes: null });
  tt.match(options(['--suite', '--quick', '-d', '10', '-P', '2', '-r', '5']), { quick: true, dataSizeBytes: 10, pipeline: 2, keyspace: 5 });
  tt.match(options(['--suite', '--duration', '2']), { size: { kind: 'duration', seconds: 2 } });
});

/** [argv, message]: each is a usage error (exit 2) with this message. */
const GARBAGE: Array<[string[], RegExp]> = [
  [['-c', '0'], /-c\/--clients: must be >= 1, got 0/],
  [['-c', 'abc'], /-c\/--clients: must be an integer, got "abc"/],
  [['-c'], /-c\/--clients: missing value/],
  [['-c', '1.5'], /-c\/--clients: must be an integer/],
  [['-n', '0'], /-n\/--requests: must be >= 1/],
  [['-t', 'nope'], /-t\/--tests: unknown test "nope" \(tests: set, get, cas, mixed\)/],
  [['-t', 'set,,get'], /unknown test ""/],
  [['-d', '-1'], /-d\/--data-size: must be >= 0, got -1/],
  [['-d', '2000000'], /-d\/--data-size: must be <= 1048576/],
  [['-r', '0'], /-r\/--keyspace: must be >= 1/],
  [['-P', '0'], /-P\/--pipeline: must be >= 1/],
  [['-p', '70000'], /-p\/--port: must be <= 65535/],
  [['-x'], /unknown option "-x" \(short options: -c -n -t -d -r -P -p -q -h\)/],
  [['-cc'], /unknown option "-cc"/],
  [['--bogus'], /unknown option --bogus/],
  [['-c', '5', '-c', '6'], /-c\/--clients: given more than once/],
  [['stray'], /too many arguments/],
  [['-n', '5', '--duration', '1'], /give -n\/--requests or --duration, not both/],
  [['--duration', '0'], /--duration: must be a number > 0/],
  [['--duration', '1e3'], /--duration: must be a number/],
  [['--duration', '-1'], /--duration: must be a number/],
  [['--read-ratio', '0.5'], /--read-ratio only applies to the mixed test/],
  [['-t', 'mixed', '--read-ratio', '1.5'], /--read-ratio: must be a number >= 0 and <= 1/],
  [['--json', '-q'], /--json and -q\/--quiet cannot be combined/],
  [['--quick'], /--quick only applies to --suite/],
  [['-p', '7001', '--config', 'c.json'], /give one target: --config or -p\/--port/],
  [['--nodes', 'a:1', '-p', '7001'], /give one target: --nodes or -p\/--port/],
  [['--host', 'h'], /--host needs -p\/--port/],
  [['--nodes', 'nope'], /--nodes: "nope" is not host:port/],
  [['--suite', '-c', '5'], /--suite runs a fixed set of tests .* -c\/--clients/],
  [['--suite', '-t', 'get'], /cannot be combined with -t\/--tests/],
  [['--suite', '--json'], /--suite prints one table/],
];

t.test('garbage is a usage error with a clear message', async (tt) => {
  for (const [argv, message] of GARBAGE) {
    tt.throws(() => options(argv), UsageError, argv.join(' '));
    const r = await run(['bench', ...argv]);
    tt.equal(r.code, 2, `exit 2 for ${argv.join(' ')}`);
    tt.match(r.err, message, argv.join(' '));
    tt.match(r.err, /usage: raftkv bench/, 'the usage line follows');
    tt.equal(r.out, '');
  }
});

t.test('-h is help, listing short forms; a bad cluster file is a failure (exit 1)', async (tt) => {
  const help = await run(['bench', '-h']);
  tt.equal(help.code, 0);
  tt.match(help.out, /--clients N\s+-c: parallel connections \(default 50\)/);
  tt.match(help.out, /--pipeline P\s+-P: requests in flight per connection/);
  tt.match(help.out, /-h is help \(not host\)/);
  const listed = await run(['--help']);
  tt.match(listed.out, /bench\s+load generator like redis-benchmark/);
  const missing = await run(['bench', '--config', 'nope.json']);
  tt.equal(missing.code, 1);
  tt.match(missing.err, /raftkv bench: BAD_CONFIG: .*nope\.json/);
});
