/**
 * The outside tools users reach for first, against a real 3-node cluster: `nc` typing inline
 * commands, `redis-cli` one-shot, piped and interactive (in tmux, which is when it sends COMMAND
 * DOCS and INFO SERVER), and `redis-benchmark`, which exits on any error reply.
 * Skipped, naming the packages, where the tools are missing; `.ci/run` (CI=true) installs them and fails without them.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { requireTools } from '../lib/require-tool.js';
import { parseInfo } from '../lib/parse-info.js';
import { readValue, startCluster, waitFor } from './harness.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool with `input` on stdin; killed after `timeoutMs` so a hang fails instead of blocking. */
function runTool(cmd: string, args: string[], input = '', timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

t.test('nc, redis-cli and redis-benchmark work against any node', { skip: requireTools('nc', 'redis-cli', 'redis-benchmark', 'tmux') }, async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const leader = await c.waitForLeader();
  const follower = c.nodes.find((n) => n.id !== leader)!;
  // The tools below send once and cannot retry: first see a linearizable read answered through
  // this follower (the leader's first entry committed, forwarding working), which on a loaded box
  // can take longer than the node's 3 s request deadline right after an election.
  t.equal(await readValue(follower.port, { op: 'get', key: 'greeting' }), null, 'the cluster answers through the follower');

  // nc: inline commands as typed in a terminal (CRLF), through a follower; -N closes on EOF.
  const nc = await runTool('nc', ['-N', '-w', '10', '127.0.0.1', String(follower.port)], 'SET greeting "hello world"\r\nGET greeting\r\nGET nothing\r\nDEL greeting\r\nBOGUS 1\r\nPING\r\n');
  t.equal(nc.code, 0, `nc exits cleanly: ${nc.stderr}`);
  t.equal(nc.stdout, "+OK\r\n$11\r\nhello world\r\n$-1\r\n:1\r\n-ERR unknown command 'BOGUS', with args beginning with: '1' \r\n+PONG\r\n");

  // redis-cli one-shot, printing as it does for a terminal-less caller.
  const cli = (port: number, ...args: string[]) => runTool('redis-cli', ['-p', String(port), ...args]);
  t.same(await cli(follower.port, 'SET', 'k', 'v 1'), { code: 0, stdout: 'OK\n', stderr: '' }, 'SET through a follower');
  for (const n of c.nodes) {
    t.equal((await cli(n.port, 'GET', 'k')).stdout, 'v 1\n', `GET on node ${n.id}`);
  }
  t.equal((await cli(c.node(leader).port, 'EXISTS', 'k', 'k', 'nope')).stdout, '2\n');
  t.equal((await cli(follower.port, 'CAS', 'k', 'v 1', 'w')).stdout, '1\n');
  t.equal((await cli(follower.port, 'CAS', 'k', 'v 1', 'x')).stdout, '0\n');
  t.equal((await cli(follower.port, 'KEYS', '*')).stdout, 'k\n');
  t.equal((await cli(follower.port, 'PING')).stdout, 'PONG\n');
  // INFO through a follower, which redis-cli without a terminal prints exactly as received:
  // Redis's layout (CRLF lines, `# Section`, `field:value`), the leader's client address as master.
  const info = await cli(follower.port, 'INFO', 'replication');
  const replication = parseInfo(info.stdout).get('replication');
  t.equal(replication?.get('role'), 'slave', 'INFO replication through a follower: role:slave');
  t.equal(replication?.get('master_host'), '127.0.0.1');
  t.equal(replication?.get('master_port'), String(c.node(leader).port), "master_port is the leader's client port");
  const wrong = await cli(follower.port, 'GET');
  t.match(wrong.stdout, /ERR wrong number of arguments for 'get' command/);

  // redis-cli reading commands from a pipe (non-interactive batch mode).
  const batch = await runTool('redis-cli', ['-p', String(follower.port)], 'SET piped 1\nGET piped\nINCR piped\n');
  t.match(batch.stdout, /^OK\n1\n.*ERR/s, 'piped commands run in order; an unknown command is an error, not a hang');

  // Interactive redis-cli in a real terminal (tmux): that is when it sends COMMAND DOCS and
  // INFO SERVER, and a malformed reply would make it abort before the prompt. Each line is typed
  // after the previous reply shows, as a person would (linenoise queries the cursor between lines).
  const session = `raftkv-rcli-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
  t.teardown(() => void tmux('kill-session', '-t', session));
  t.equal(tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', `redis-cli -p ${follower.port}`).status, 0, 'tmux session started');
  const screen = () => tmux('capture-pane', '-p', '-t', session).stdout ?? '';
  const prompt = `127.0.0.1:${follower.port}>`;
  const count = (text: string, part: string) => text.split(part).length - 1;
  await waitFor('the redis-cli prompt', () => screen().includes(prompt));
  for (const [line, reply] of [['SET tty yes', 'OK'], ['GET tty', '"yes"'], ['DEL tty', '(integer) 1'], ['GET tty', '(nil)']] as const) {
    const before = count(screen(), prompt);
    tmux('send-keys', '-t', session, line, 'Enter');
    await waitFor(`${line} answered in interactive redis-cli`, () => count(screen(), prompt) > before);
    const lines = screen().split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
    t.equal(lines[lines.length - 2], reply, `interactive: ${line} -> ${reply}`);
  }

  // redis-benchmark exits on any error reply, so finishing with numbers is the check.
  const bench = await runTool('redis-benchmark', ['-p', String(follower.port), '-t', 'set,get', '-n', '2000', '-c', '10', '-q'], '', 60_000);
  t.equal(bench.code, 0, `redis-benchmark finished: ${bench.stderr}`);
  t.match(bench.stdout, /SET: [\d.]+ requests per second/);
  t.match(bench.stdout, /GET: [\d.]+ requests per second/);
  t.comment(bench.stdout.replace(/\r/g, '\n').split('\n').filter((l) => /requests per second/.test(l)).join(' | '));
});
