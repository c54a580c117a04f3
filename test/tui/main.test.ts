/**
 * The raft-tui bin without a terminal: bad flags get the usage (exit 2), --help prints it (exit
 * 0), and no TTY gets one clear line instead of a crash (exit 1) — as `raft-tui | cat` or CI would.
 * (With a terminal, test/e2e/tui-tmux.test.ts runs it.)
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../src/tui/main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with stdin from /dev/null and stdout/stderr piped: no terminal anywhere. */
function run(args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raft-tui ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

t.test('no terminal: a clear message, exit 1, no stack trace', async (t) => {
  const r = await run(['--config', '/nonexistent/cluster.json']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^raft-tui needs an interactive terminal, but its input and output are not one/);
  t.match(r.stderr, /raftkv ctl status/);
  t.notMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  t.equal(r.stdout, '');
});

t.test('bad flags: the reason and the usage on stderr, exit 2', async (t) => {
  for (const args of [['--nope'], ['--config'], ['stray'], ['--config', 'a', '--config', 'b']]) {
    const r = await run(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, /^raft-tui: /);
    t.match(r.stderr, /usage: raft-tui \[--config F\]/);
    t.equal(r.stdout, '');
  }
});

t.test('--help: usage on stdout, exit 0, even without a terminal', async (t) => {
  const r = await run(['--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /usage: raft-tui \[--config F\]/);
  t.match(r.stdout, /default \.\/cluster\.json/);
  t.equal(r.stderr, '');
});
