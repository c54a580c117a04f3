/**
 * The Supervisor in-process, with a stand-in node process (fake-node-process.ts) so these tests
 * exercise spawning, killing, stopping, restarting and status without the real node. Every
 * process is killed in teardown, also when a test fails.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateClusterConfig, writeRunConfig } from '../../src/cluster/cluster-setup.js';
import { restartDelayMs, Supervisor, type NodeExitEvent, type NodeStartEvent, type NodeStatusRow, type SupervisorOptions } from '../../src/cluster/supervisor.js';
import { waitFor } from '../lib/wait-for.js';
import { FakeClock } from '../lib/fake-clock.js';
import { alive } from '../lib/process-alive.js';

const FAKE = fileURLToPath(new URL('./fake-node-process.js', import.meta.url));

interface Test {
  teardown(fn: () => unknown): void;
}

async function supervised(tt: Test, nodes: number, extra: Partial<SupervisorOptions> = {}): Promise<Supervisor> {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-sup-'));
  const cfg = await generateClusterConfig({ nodes, dataDir: join(dir, 'data'), logDir: join(dir, 'logs') });
  const configPath = writeRunConfig(cfg);
  const sup = new Supervisor({
    config: cfg,
    configPath,
    nodeCommand: (id, path) => ({ command: process.execPath, args: [FAKE, String(id), path] }),
    statusTimeoutMs: 300,
    ...extra,
  });
  tt.teardown(async () => {
    // One may be gone already (ESRCH must not skip stop() and the cleanup).
    for (const n of sup.list()) if (n.pid !== null) killQuietly(n.pid);
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return sup;
}

/** Waits until every up node answers status. */
async function answering(sup: Supervisor): Promise<void> {
  await waitFor('every node to answer status', async () => (await sup.status()).every((r) => r.state !== 'up' || r.role !== null));
}

t.test('start, status, kill, kill leader, restart, stop', async (tt) => {
  const sup = await supervised(tt, 3);
  const starts: NodeStartEvent[] = [];
  const exits: NodeExitEvent[] = [];
  sup.on('node-start', (e) => starts.push(e));
  sup.on('node-exit', (e) => exits.push(e));
  tt.same(sup.list().map((n) => n.state), ['stopped', 'stopped', 'stopped'], 'nothing runs before start()');
  await sup.start();
  const nodes = sup.list();
  tt.same(nodes.map((n) => n.state), ['up', 'up', 'up']);
  tt.ok(nodes.every((n) => n.pid !== null && alive(n.pid)), 'every node has a live pid');
  tt.same(starts.map((s) => s.id), [1, 2, 3], 'node-start events');
  await answering(sup);
  const rows = await sup.status();
  tt.match(rows[0], { id: 1, state: 'up', role: 'leader', term: 1, leader: 1, commitIndex: 5, lastApplied: 5, lastLogIndex: 5, statusError: null });
  tt.match(rows[1], { id: 2, role: 'follower', leader: 1 });
  tt.equal(await sup.findLeader(), 1);

  const pid2 = nodes[1].pid!;
  const killed = await sup.kill(2);
  tt.match(killed, { id: 2, state: 'down', pid: null, exitSignal: 'SIGKILL' });
  tt.notOk(alive(pid2), 'the process is gone');
  tt.match(exits.at(-1), { id: 2, pid: pid2, signal: 'SIGKILL', state: 'down' });
  const afterKill = await sup.status();
  tt.match(afterKill[1], { id: 2, state: 'down', role: null, term: null, statusError: 'down' });
  await tt.rejects(sup.kill(2), { code: 'BAD_REQUEST', message: /node 2 is not running \(down\)/ });
  await tt.rejects(sup.kill(7), { code: 'BAD_REQUEST', message: /no node with id 7/ });

  const leaderKilled = await sup.kill('leader');
  tt.equal(leaderKilled.id, 1, "kill('leader') kills the node that says it leads");
  await tt.rejects(sup.kill('leader'), { code: 'NO_LEADER' }, 'no leader left to kill');

  const restarted = await sup.restart(2);
  tt.match(restarted, { id: 2, state: 'up', starts: 2 });
  tt.not(restarted.pid, pid2, 'a new process');
  const pid3 = sup.node(3).pid!;
  const again = await sup.restart(3);
  tt.not(again.pid, pid3, 'restarting a node that is up kills it first');
  tt.notOk(alive(pid3));
  await tt.rejects(sup.startNode(3), { code: 'BAD_REQUEST', message: /already up/ });

  await answering(sup); // a process killed before it installs its SIGTERM handler dies of the signal
  const stopped = await sup.stopNode(3);
  tt.match(stopped, { id: 3, state: 'stopped', exitCode: 0, exitSignal: null }, 'SIGTERM: a clean exit');
  tt.match(await sup.stopNode(3), { state: 'stopped' }, 'stopping a stopped node is a no-op');

  const log = readFileSync(sup.node(2).logFile, 'utf8');
  tt.match(log, /supervisor: started node 2, pid \d+/);
  tt.match(log, /fake node 2 listening on \d+/, "the child's stdout goes to its log");
  tt.match(log, /supervisor: node 2 \(pid \d+\) exited, signal SIGKILL/);

  const pids = sup.list().flatMap((n) => (n.pid === null ? [] : [n.pid]));
  await sup.stop();
  tt.ok(sup.list().every((n) => n.state !== 'up'), 'stop() stops every node');
  tt.ok(pids.every((p) => !alive(p)), 'no process left');
  await tt.rejects(sup.startNode(1), { code: 'SHUTTING_DOWN' });
});

t.test('a node that ignores SIGTERM is killed after the stop deadline', async (tt) => {
  const sup = await supervised(tt, 1, { stopTimeoutMs: 300, env: { FAKE_NODE_IGNORE_SIGTERM: '1' } });
  await sup.start();
  await answering(sup);
  const started = Date.now();
  const n = await sup.stopNode(1);
  const elapsed = Date.now() - started;
  tt.match(n, { state: 'stopped', exitSignal: 'SIGKILL' });
  tt.ok(elapsed >= 250 && elapsed < 5000, `took ${elapsed} ms`);
  tt.match(readFileSync(n.logFile, 'utf8'), /ignored SIGTERM for 300 ms, sending SIGKILL/);
});

t.test('a hung node shows as such in status, without stalling the others', async (tt) => {
  // The status budget (300 ms here) runs on a fake clock: what is checked is that status() ends
  // when that budget ends, however slowly a loaded box runs the test.
  const clock = new FakeClock();
  const sup = await supervised(tt, 2, { env: { FAKE_NODE_SILENT: '2' }, statusClock: clock });
  await sup.start();
  for (const id of [1, 2]) await waitFor(`node ${id} to listen`, () => new RegExp(`fake node ${id} listening`).test(readFileSync(sup.node(id).logFile, 'utf8')));
  const got: { rows: NodeStatusRow[] | null } = { rows: null };
  void sup.status().then((r) => (got.rows = r));
  // Node 1 answers over its real socket while fake time moves 1 ms per real turn.
  while (got.rows === null && clock.monotonic() < 10_000) {
    await new Promise((r) => setTimeout(r, 1));
    if (got.rows === null) clock.advance(1);
  }
  tt.equal(clock.monotonic(), 300, 'status() ended exactly when the budget did (fake time)');
  tt.match(got.rows?.[0], { role: 'leader', statusError: null });
  tt.match(got.rows?.[1], { state: 'up', role: null, statusError: /^TIMEOUT/ });
});

t.test('a node that crashes on its own is down, with its exit code', async (tt) => {
  // Node 2 of a 1-node config does not exist: the fake exits with code 3 at once.
  const sup = await supervised(tt, 1, { nodeCommand: (_id, path) => ({ command: process.execPath, args: [FAKE, '2', path] }) });
  const exited = new Promise<NodeExitEvent>((resolve) => sup.once('node-exit', resolve));
  await sup.start();
  tt.match(await exited, { id: 1, code: 3, state: 'down' });
  tt.match(sup.node(1), { state: 'down', exitCode: 3, pid: null });
});

t.test('restart delays double per quick exit, up to the cap', async (tt) => {
  const backoff = { initialMs: 1000, maxMs: 30_000, stableMs: 10_000 };
  tt.same([0, 1, 2, 3, 4, 5, 6, 40].map((n) => restartDelayMs(backoff, n)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

t.test('a node that crashes at start is restarted with backoff, never in a hot loop', async (tt) => {
  // As above, the fake exits with code 3 at once, every time.
  const sup = await supervised(tt, 1, {
    nodeCommand: (_id, path) => ({ command: process.execPath, args: [FAKE, '2', path] }),
    restartBackoff: { initialMs: 200, maxMs: 800, stableMs: 60_000 },
  });
  const startedAt: number[] = [];
  sup.on('node-start', () => startedAt.push(Date.now()));
  const firstExit = new Promise<NodeExitEvent>((resolve) => sup.once('node-exit', resolve));
  await sup.start();
  await firstExit;
  tt.match(sup.node(1), { state: 'down', exitCode: 3, restarts: 0 }, 'down with its exit code');
  tt.ok(sup.node(1).restartAt! > Date.now(), 'a restart is planned');
  await waitFor('three automatic restarts', () => sup.node(1).restarts >= 3, 20_000);
  const gaps = startedAt.slice(1).map((at, i) => at - startedAt[i]!);
  // Planned delays 200, 400, 800 ms (each after an exit that takes a node start-up, ~100 ms+).
  tt.ok(gaps[0]! >= 200 && gaps[1]! >= 400 && gaps[2]! >= 800, `gaps grow: ${gaps.join(', ')} ms`);
  tt.match(readFileSync(sup.node(1).logFile, 'utf8'), /supervisor: node 1 exited on its own after \d+ ms; restarting it in 800 ms/, 'the log says when');
  await sup.stopNode(1);
  // restartAt is null exactly when no restart timer is pending (Supervisor's invariant), so
  // nothing can start the node again: no need to wait and watch.
  tt.match(sup.node(1), { state: 'stopped', restartAt: null }, 'stop cancels the planned restart');
});

t.test('a node killed on request, or by a signal from outside', async (tt) => {
  const sup = await supervised(tt, 1, { restartBackoff: { initialMs: 200, maxMs: 800, stableMs: 60_000 } });
  await sup.start();
  await answering(sup);
  await sup.kill(1);
  tt.match(sup.node(1), { state: 'down', restartAt: null, restarts: 0 }, 'killed on request (ctl, raft-tui): stays down');
  await sup.startNode(1);
  await answering(sup);
  const pid = sup.node(1).pid!;
  killQuietly(pid); // as a kill -9 from another terminal, or the OOM killer
  await waitFor('the automatic restart', () => sup.node(1).restarts === 1 && sup.node(1).state === 'up', 20_000);
  tt.not(sup.node(1).pid, pid, 'a new process');
});

t.test('a command that cannot start is UNAVAILABLE', async (tt) => {
  const sup = await supervised(tt, 1, { nodeCommand: () => ({ command: '/nonexistent/raftkv-node', args: [] }) });
  await tt.rejects(sup.start(), { code: 'UNAVAILABLE', message: /cannot start node 1/ });
  tt.equal(sup.node(1).state, 'stopped');
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
