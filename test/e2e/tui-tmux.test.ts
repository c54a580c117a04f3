/**
 * raft-tui in a real terminal: tmux runs the compiled bin at a fixed size (CI has no terminal of
 * its own), send-keys types, capture-pane reads the screen.
 *
 * The scenario of the issue: raft-tui starts a fresh 3-node cluster (no supervisor is running, so
 * it spawns `raftkv up`), a leader shows, `K` kills it, a different leader shows, the shell runs
 * `SET x 1` and `GET x` and prints "1"; then q, y stops the cluster and every process is gone.
 * Also: nodes running without a supervisor are watched anyway, and a bad cluster file in a
 * terminal gets a clear message and exit 1.
 *
 * Each test runs its own tmux server (-L), killed in teardown together with every process whose
 * command line names the test's temp folder (supervisor and nodes), even if the test fails.
 * Set RAFT_TUI_CAPTURE=<file> to save the screen after the failover and the shell round trip.
 */
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { requireTools } from '../lib/require-tool.js';
import { CLEAN_STOP_LOG_TAIL, lastLogLines, startCluster, waitFor } from './harness.js';

import { BIN, leaderIn, pidsMentioning, tempDir, Terminal } from './tmux-terminal.js';

const tmuxMissing = requireTools('tmux');

t.test('raft-tui in tmux: leader, K, new leader, SET/GET in the shell, quit stops the cluster', { skip: tmuxMissing }, async (t) => {
  const dir = tempDir(t);
  const ports = await findFreePorts(6);
  const nodes = [1, 2, 3].map((id, i) => ({ id, host: '127.0.0.1', port: ports[2 * i]!, peerPort: ports[2 * i + 1]! }));
  const config = join(dir, 'cluster.json');
  writeFileSync(
    config,
    JSON.stringify({ nodes, electionTimeoutMs: { min: 400, max: 800 }, heartbeatIntervalMs: 50, dataDir: 'data', logDir: 'logs' }),
  );
  const term = new Terminal(t, dir, `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config ${JSON.stringify(config)}`);

  // The start-up line may scroll off the timeline as nodes come up: note it whenever it shows.
  let sawStarted = false;
  const first = await term.see('a leader on the table', (s) => {
    if (/started the cluster: supervisor pid \d+/.test(s)) sawStarted = true;
    return leaderIn(s);
  }, 30_000);
  t.match(term.screen(), /^.\*\s+\d+ 127\.0\.0\.1:\d+ up\s+leader/m, 'the leader row is marked');
  // The 4-line timeline can scroll the line off between two captures when 4 events follow at
  // once; then the supervisor's own log, which only a supervisor raft-tui started writes, tells.
  const supervisorLog = join(dir, 'logs', 'supervisor.log');
  t.ok(sawStarted || existsSync(supervisorLog), `raft-tui started the cluster (timeline line seen: ${sawStarted})`);

  term.press('K');
  // As with the start-up line, the kill can scroll off the 4-line timeline while the election
  // adds its own lines: note it on any capture up to the new leader, and once more after it.
  const killed = new RegExp(`node ${first.id} \\(pid \\d+\\) exited: signal SIGKILL|node ${first.id} down`);
  let sawKill = false;
  const second = await term.see('a different leader', (s) => {
    if (killed.test(s)) sawKill = true;
    const l = leaderIn(s);
    return l !== undefined && l.id !== first.id ? l : undefined;
  }, 30_000);
  t.ok(second.term > first.term, `§5.2: the new leader, node ${second.id}, leads a later term (${first.term} -> ${second.term})`);
  t.ok(sawKill || killed.test(term.screen()), 'the timeline tells');

  term.press('Tab');
  await term.see('the shell focused', (s) => s.includes('[shell]'), 5000);
  term.type('SET x 1');
  term.press('Enter');
  await term.see('OK', (s) => /> SET x 1\nOK/.test(s), 30_000);
  term.type('GET x');
  term.press('Enter');
  const screen = await term.see('"1"', (s) => (/> GET x\n"1"/.test(s) ? s : undefined), 30_000);
  if (process.env.RAFT_TUI_CAPTURE) writeFileSync(process.env.RAFT_TUI_CAPTURE, screen);
  t.match(screen, /shell\s+2 ops/, 'the stats bar counted the requests');
  // A command the shell does not know goes to the node, its reply printed as redis-cli does.
  term.type('DBSIZE');
  term.press('Enter');
  const after = await term.see('(integer) 1', (s) => (/> DBSIZE\n\(integer\) 1/.test(s) ? s : undefined), 30_000);
  // The layout at 160x50: the shell pane within a third, the raft log and node log panels the rest.
  const lines = after.split('\n');
  const detailTop = lines.findIndex((l) => l.includes('raft log, newest last'));
  const eventsTop = lines.findIndex((l) => l.startsWith('── events'));
  const shellTop = lines.findIndex((l) => l.startsWith('── shell'));
  const lastDrawn = lines.length - 1 - [...lines].reverse().findIndex((l) => l.includes('> '));
  t.ok(lastDrawn - shellTop + 1 <= Math.floor(49 / 3), `the shell pane (${lastDrawn - shellTop + 1} lines) takes at most a third`);
  t.ok(eventsTop - detailTop - 1 >= 25, `the raft log and node log panels grow: ${eventsTop - detailTop - 1} lines`);

  // Back to the table (Escape alone: wait for it before q, or the two read as Meta-q).
  term.press('Escape');
  await term.see('the table focused', (s) => s.includes('[table]'), 5000);
  term.press('q');
  await term.see('the question', (s) => s.includes('Stop the cluster? (y/n)'), 10_000);
  term.press('y');
  await term.see('raft-tui gone', (s) => s.includes('raft-tui exited with 0'), 30_000);
  t.match(term.screen(), /raft-tui: cluster stopped/);
  // The supervisor (`raftkv.js up`) and the nodes (`raftkv.js node`); not the pane's own shell.
  await waitFor('supervisor and nodes gone', () => pidsMentioning(dir, 'raftkv.js').length === 0, 20_000, 100);
  for (const id of [1, 2, 3].filter((id) => id !== first.id)) {
    t.match(lastLogLines(join(dir, 'logs', `node-${id}.log`), 2), CLEAN_STOP_LOG_TAIL, `quitting stopped node ${id} cleanly`);
  }
});

t.test('raft-tui in tmux: a bad cluster file gets a clear message and exit 1', { skip: tmuxMissing }, async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'nope.json');
  const term = new Terminal(t, dir, `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config ${JSON.stringify(missing)}`);
  await term.see('the exit', (s) => s.includes('raft-tui exited with'), 30_000);
  t.match(term.screen(), /raft-tui: .*nope\.json: cannot read: no such file/);
  t.match(term.screen(), /raft-tui exited with 1/);
});

t.test('raft-tui in tmux: nodes without a supervisor are watched, the chaos keys say why not', { skip: tmuxMissing }, async (t) => {
  // The harness's bare nodes hold the ports, so the supervisor raft-tui starts fails its port check.
  const c = await startCluster(t);
  await c.waitForLeader(undefined, 30_000);
  const term = new Terminal(t, c.dir, `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config ${JSON.stringify(c.configPath)}`);
  await term.see('a leader on the table', leaderIn, 30_000);
  t.match(term.screen(), /no supervisor: watching the nodes only/);
  term.press('k');
  await term.see('why the kill cannot run', (s) => /kill -9 node \d+ failed: UNAVAILABLE no supervisor/.test(s), 10_000);
  term.press('q');
  await term.see('raft-tui gone', (s) => s.includes('raft-tui exited with 0'), 15_000);
  t.notMatch(term.screen(), /cluster keeps running|stopping the cluster/, 'not raft-tui’s cluster: nothing said about stopping it');
});
