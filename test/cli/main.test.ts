/**
 * The `raftkv` command line, run in-process against fake nodes (real TCP servers), plus the bin
 * itself as a real process for exit codes. Output formats: get -> value or (nil), set -> OK,
 * del/cas -> (integer) N; usage mistakes -> stderr + exit 2; failures -> stderr + exit 1.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { COMMANDS } from '../../src/cli/command-list.js';
import type { CliIo } from '../../src/cli/command.js';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { FakeNode } from '../client/fake-node.js';

const CLI = fileURLToPath(new URL('../../src/cli/raftkv.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'raftkv-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), cwd: dir };
  const code = await main(argv, io);
  return { code, out, err };
}

t.test('client commands against a fake node', async (tt) => {
  const node = await FakeNode.start(1);
  tt.teardown(() => node.close());
  const target = ['--nodes', `127.0.0.1:${node.port}`, '--log-dir', join(dir, 'logs')];
  tt.same(await run(['get', 'a', ...target]), { code: 0, out: '(nil)\n', err: '' });
  tt.same(await run(['set', 'a', 'hello world', ...target]), { code: 0, out: 'OK\n', err: '' });
  tt.same(await run(['get', ...target, 'a']), { code: 0, out: 'hello world\n', err: '' });
  tt.same(await run(['set', 'n', '-1', ...target]), { code: 0, out: 'OK\n', err: '' }, 'negative values are values');
  tt.equal(node.store.get('n'), '-1');
  tt.same(await run(['cas', 'a', 'nope', 'x', ...target]), { code: 0, out: '(integer) 0\n', err: '' });
  tt.same(await run(['cas', 'a', 'hello world', 'x', ...target]), { code: 0, out: '(integer) 1\n', err: '' });
  tt.same(await run(['cas', '--absent', 'b', 'new', ...target]), { code: 0, out: '(integer) 1\n', err: '' });
  tt.match(node.ops('cas').at(-1), { key: 'b', expected: null, value: 'new' });
  tt.same(await run(['del', 'a', 'b', 'zz', ...target]), { code: 0, out: '(integer) 2\n', err: '' });
  const status = await run(['status', ...target]);
  tt.equal(status.code, 0);
  tt.match(status.out, /^id\s+address\s+role\s+term\s+leader\s+commit\s+applied\s+last\s+error\n\s*1\s+127\.0\.0\.1:\d+\s+leader\s+1\s+1\s+5\s+5\s+5\s+-\n$/);
  const json = await run(['status', '--json', ...target]);
  tt.match(JSON.parse(json.out), { id: 1, role: 'leader' });
});

t.test('a cluster file names the nodes and the log folder', async (tt) => {
  const node = await FakeNode.start(1);
  tt.teardown(() => node.close());
  const [peer] = await findFreePorts(1);
  const cfgPath = join(dir, 'c1.json');
  writeFileSync(
    cfgPath,
    JSON.stringify({
      nodes: [{ id: 1, host: '127.0.0.1', port: node.port, peerPort: peer }],
      electionTimeoutMs: { min: 150, max: 300 },
      heartbeatIntervalMs: 50,
      dataDir: 'd1',
      logDir: 'l1',
    }),
  );
  tt.same(await run(['set', 'k', 'v', '--config', 'c1.json']), { code: 0, out: 'OK\n', err: '' }, 'relative to cwd');
  tt.equal(node.store.get('k'), 'v');
});

t.test('failures: exit 1, a clear message, and the events in client.log', async (tt) => {
  const [port] = await findFreePorts(1);
  const logDir = join(dir, 'fail-logs');
  const r = await run(['get', 'k', '--nodes', `127.0.0.1:${port}`, '--timeout', '300', '--log-dir', logDir]);
  tt.equal(r.code, 1);
  tt.equal(r.out, '');
  tt.match(r.err, /^raftkv get: UNAVAILABLE: get: gave up after 300 ms .*ECONNREFUSED/);
  const log = readFileSync(join(logDir, 'client.log'), 'utf8');
  tt.match(log, /raftkv-get\[\d+\] retry node 1: /);
  tt.match(log, /give-up: get: gave up/);

  const silent = await FakeNode.start(1, () => 'silent');
  tt.teardown(() => silent.close());
  const w = await run(['set', 'k', 'v', '--nodes', `127.0.0.1:${silent.port}`, '--timeout', '200', '--log-dir', logDir]);
  tt.equal(w.code, 1);
  tt.match(w.err, /TIMEOUT: .*may or may not have been applied/);

  const missing = await run(['get', 'k', '--config', 'nope.json']);
  tt.equal(missing.code, 1);
  tt.match(missing.err, /BAD_CONFIG: .*nope\.json: cannot read: no such file/);

  const ctl = await run(['ctl', 'status', '--data-dir', join(dir, 'no-cluster')]);
  tt.equal(ctl.code, 1);
  tt.match(ctl.err, /UNAVAILABLE: no supervisor answering on .*supervisor\.sock/);
});

/** [argv, stderr pattern] for command lines that must exit 2. */
const USAGE: Array<[string[], RegExp]> = [
  [[], /missing command/],
  [['frobnicate'], /unknown command "frobnicate"/],
  [['get'], /raftkv get: missing argument: expected KEY\nusage: raftkv get KEY/],
  [['get', 'a', 'b'], /too many arguments/],
  [['set', 'k'], /missing argument: expected KEY VALUE/],
  [['cas', 'k', 'v'], /expected KEY EXPECTED NEW/],
  [['cas', '--absent', 'k', 'e', 'v'], /too many arguments/],
  [['get', 'k', '--bogus'], /unknown option --bogus/],
  [['get', 'k', '--timeout'], /--timeout: missing value/],
  [['get', 'k', '--timeout', 'soon'], /--timeout: must be an integer, got "soon"/],
  [['get', 'k', '--nodes', 'localhost'], /--nodes: "localhost" is not host:port/],
  [['get', 'k', '--nodes', 'h:99999'], /--nodes: "h:99999" is not host:port/],
  [['get', 'k', '--nodes', 'h:1', '--config', 'c.json'], /give --config or --nodes, not both/],
  [['node'], /--id: required/],
  [['node', '--id', '0'], /--id: must be >= 1/],
  [['up', '--nodes', '0'], /--nodes: must be >= 1/],
  [['up', '--nodes', '3', '--config', 'c.json'], /cannot be combined with --config/],
  [['up', 'extra'], /too many arguments/],
  [['ctl'], /missing argument: expected an action/],
  [['ctl', 'explode'], /ctl: unknown action "explode"/],
  [['ctl', 'kill'], /ctl kill: missing node id \(or "leader"\)/],
  [['ctl', 'kill', 'boss'], /node id must be a positive integer, got "boss"/],
  [['ctl', 'status', '3'], /ctl status: takes no argument/],
  [['ctl', 'add', '4'], /ctl add: takes no argument/],
  [['ctl', 'remove'], /ctl remove: missing node id/],
  [['ctl', 'transfer', 'leader'], /ctl transfer: node id must be a positive integer/],
  [['ctl', 'status', '--learner'], /ctl status: --learner only goes with add/],
  [['ctl', 'status', '--host', 'h'], /ctl status: --host only goes with add/],
  [['ctl', 'add', '--host', 'a b'], /ctl add: --host: host must be a host name or IP address/],
  [['ctl', 'isolate'], /ctl isolate: missing node id \(or "leader"\)/],
  [['ctl', 'cut', '1'], /ctl cut: missing node ids <a> <b>/],
  [['ctl', 'cut', '1', '2', '3'], /ctl cut: too many arguments/],
  [['ctl', 'slow', '1', 'fast'], /ctl slow: ms must be an integer from 0 to 60000, got "fast"/],
  [['ctl', 'slow', '1', '70000'], /ctl slow: ms must be an integer/],
  [['ctl', 'heal', '1', '2'], /ctl heal: too many arguments/],
  [['ctl', 'kill', '1', '--one-way'], /--one-way only goes with cut/],
  [['status', 'x'], /too many arguments/],
  [['get', '\u0000\u00ff\ufffd', 'more'], /too many arguments/],
];

t.test('command-line mistakes: stderr and exit code 2', async (tt) => {
  for (const [argv, pattern] of USAGE) {
    const r = await run(argv);
    tt.equal(r.code, 2, `${JSON.stringify(argv)} exits 2`);
    tt.match(r.err, pattern, `${JSON.stringify(argv)} says why`);
    tt.equal(r.out, '', `${JSON.stringify(argv)} prints nothing on stdout`);
  }
});

t.test('--help for the program and for each command', async (tt) => {
  const top = await run(['--help']);
  tt.equal(top.code, 0);
  tt.ok(COMMANDS.length >= 12, 'every command is in the list');
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  for (const { name, summary } of COMMANDS) {
    tt.match(top.out, `\n  ${name.padEnd(width)}  ${summary}\n`, `lists ${name} with its summary`);
    const r = await run([name, '--help']);
    tt.equal(r.code, 0, `${name} --help exits 0 (its module loads)`);
    tt.ok(r.out.startsWith(`${summary}\n\nusage: raftkv ${name}`), `${name} --help starts with its summary and usage`);
    tt.match(r.out, /-h, --help/);
  }
});

t.test('start-up imports no command module: each is loaded when chosen', async (tt) => {
  // A static import of ./commands/ in the modules every invocation loads would bring back the
  // 0.2 s of CPU that each `raftkv` process (every node the supervisor starts, every ctl add) paid.
  for (const file of ['main.js', 'command-list.js', 'raftkv.js']) {
    const source = readFileSync(fileURLToPath(new URL(`../../src/cli/${file}`, import.meta.url)), 'utf8');
    tt.notMatch(source, /^import[^;]*from '\.\/commands\//m, `${file} has no static import of a command`);
  }
  tt.match(readFileSync(fileURLToPath(new URL('../../src/cli/command-list.js', import.meta.url)), 'utf8'), /import\('\.\/commands\/ctl\.js'\)/, 'the check looks at the right text');
});

function bin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 10_000, cwd: dir }, (err, stdout, stderr) => {
      const code = err ? (err as unknown as { code: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

t.test('the bin: shebang and exit codes as a real process', async (tt) => {
  tt.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const help = await bin(['--help']);
  tt.equal(help.code, 0);
  tt.match(help.stdout, /usage: raftkv <command>/);
  const bad = await bin(['get', '--bogus']);
  tt.equal(bad.code, 2);
  tt.match(bad.stderr, /unknown option --bogus/);
  const [port] = await findFreePorts(1);
  const down = await bin(['get', 'k', '--nodes', `127.0.0.1:${port}`, '--timeout', '200', '--log-dir', 'logs']);
  tt.equal(down.code, 1, 'exits (no handle left open) with 1');
  tt.match(down.stderr, /UNAVAILABLE/);
});

t.test('raftkv certs: into the cluster file data dir by default, or --out; a second run keeps everything', async (tt) => {
  writeFileSync(join(dir, 'certs-cluster.json'), JSON.stringify({ nodes: [{ id: 1, host: '127.0.0.1', port: 7001, peerPort: 7101 }], electionTimeoutMs: { min: 150, max: 300 }, heartbeatIntervalMs: 50, dataDir: 'certs-data', logDir: 'logs' }));
  const first = await run(['certs', '--config', 'certs-cluster.json']);
  tt.equal(first.code, 0, first.err);
  tt.equal(first.out, `${join(dir, 'certs-data', 'certs')}: wrote ca.crt ca.key node-1.crt node-1.key client.crt client.key\n`);
  const again = await run(['certs', '--config', 'certs-cluster.json']);
  tt.match(again.out, /every file is there already; nothing written/);
  const out = await run(['certs', '--config', 'certs-cluster.json', '--out', 'elsewhere']);
  tt.match(out.out, new RegExp(`^${join(dir, 'elsewhere')}: wrote ca\\.crt`));
  tt.match(readFileSync(join(dir, 'elsewhere', 'node-1.crt'), 'utf8'), /^-----BEGIN CERTIFICATE-----/);
});
