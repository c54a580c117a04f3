/**
 * SupervisorLink against a real supervisor and control socket (startCluster, in-process) running
 * stand-in node processes (test/cluster/fake-node-process.ts): rows, actions, timeline lines,
 * losing the supervisor and finding it again.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateClusterConfig } from '../../src/cluster/cluster-setup.js';
import { startCluster, type RunningCluster } from '../../src/cluster/start-cluster.js';
import type { ClusterConfig } from '../../src/protocol/cluster-config.js';
import { processEvents, SupervisorLink, type ProcessRow } from '../../src/tui/supervisor-link.js';
import { waitFor } from '../lib/wait-for.js';

const FAKE = fileURLToPath(new URL('../cluster/fake-node-process.js', import.meta.url));

type Teardown = { teardown(fn: () => unknown): void };

async function config(t: Teardown): Promise<ClusterConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-link-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return generateClusterConfig({ nodes: 3, dataDir: join(dir, 'data'), logDir: join(dir, 'logs') });
}

async function cluster(t: Teardown, cfg: ClusterConfig): Promise<RunningCluster> {
  const c = await startCluster(cfg, {
    nodeCommand: (id, path) => ({ command: process.execPath, args: [FAKE, String(id), path] }),
    statusTimeoutMs: 300,
  });
  t.teardown(async () => {
    for (const n of c.supervisor.list()) if (n.pid !== null) process.kill(n.pid, 'SIGKILL');
    await c.stop();
  });
  return c;
}

function link(t: Teardown, cfg: ClusterConfig) {
  const events: string[] = [];
  let changes = 0;
  const l = new SupervisorLink({
    socketPath: join(cfg.dataDir, 'supervisor.sock'),
    onChange: () => changes++,
    onEvent: (text) => events.push(text),
    reconnectMs: 100,
  });
  t.teardown(() => l.close());
  return { l, events, changes: () => changes };
}

t.test('processEvents: exits with their cause, starts, restarts', async (t) => {
  const row = (id: number, state: ProcessRow['state'], pid: number | null, exitSignal: string | null = null, exitCode: number | null = null): ProcessRow => ({
    id,
    state,
    pid,
    exitSignal,
    exitCode,
  });
  const prev = new Map([
    [1, row(1, 'up', 10)],
    [2, row(2, 'up', 20)],
    [3, row(3, 'down', null)],
    [4, row(4, 'up', 40)],
  ]);
  const next = new Map([
    [1, row(1, 'down', null, 'SIGKILL')],
    [2, row(2, 'stopped', null, null, 0)],
    [3, row(3, 'up', 31)],
    [4, row(4, 'up', 41)],
    [5, row(5, 'up', 50)],
  ]);
  t.same(processEvents(prev, next), [
    'node 1 (pid 10) exited: signal SIGKILL',
    'node 2 (pid 20) exited: code 0',
    'node 3 started, pid 31',
    'node 4 restarted, pid 40 -> 41',
  ]);
  t.same(processEvents(next, next), []);
  // A crash the supervisor will restart, then its restart.
  const crashed = new Map([[6, { ...row(6, 'down', null, null, 1), restarts: 0, restartAt: Date.now() + 2000 }]]);
  t.same(processEvents(new Map([[6, { ...row(6, 'up', 60), restarts: 0, restartAt: null }]]), crashed), ['node 6 (pid 60) exited: code 1; the supervisor restarts it in 2 s']);
  t.same(processEvents(crashed, new Map([[6, { ...row(6, 'up', 61), restarts: 1, restartAt: null }]])), ['node 6 restarted by the supervisor (restart 1), pid 61']);
});

t.test('no supervisor: no rows, actions refused with UNAVAILABLE; then it appears', async (t) => {
  const cfg = await config(t);
  const { l, events } = link(t, cfg);
  l.tick();
  t.equal(l.connected, false);
  t.equal(l.rows, undefined);
  await t.rejects(l.kill(1), { code: 'UNAVAILABLE', message: /no supervisor/ });
  await t.rejects(l.shutdown(), { code: 'UNAVAILABLE' });

  const c = await cluster(t, cfg);
  await waitFor('rows from the supervisor', () => (l.tick(), l.rows?.size === 3), 10_000, 50);
  t.same([...l.rows!.values()].map((r) => r.state), ['up', 'up', 'up']);
  t.equal(l.rows!.get(2)!.pid, c.supervisor.node(2).pid);
  t.same(events, [], 'a first connection is not news');
});

t.test('actions: the outcome shows at once and lands on the timeline', async (t) => {
  const cfg = await config(t);
  const c = await cluster(t, cfg);
  const { l, events } = link(t, cfg);
  await waitFor('rows', () => (l.tick(), l.rows !== undefined), 10_000, 50);
  // The stand-ins listen a moment after they start; kill leader needs one to answer.
  let leaderSeen = false;
  await waitFor('node 1 leading', () => (void c.supervisor.findLeader().then((id) => (leaderSeen = id === 1)), leaderSeen), 10_000, 100);
  const pid1 = l.rows!.get(1)!.pid;

  // The stand-in node 1 says it leads.
  const leader = await l.killLeader();
  t.equal(leader.id, 1);
  t.equal(leader.state, 'down');
  t.equal(l.rows!.get(1)!.state, 'down', 'row updated without waiting for the next poll');
  t.same(events, [`node 1 (pid ${pid1}) exited: signal SIGKILL`]);

  await l.restart(1);
  t.equal(l.rows!.get(1)!.state, 'up');
  t.match(events[1], /^node 1 started, pid \d+$/);

  const pid3 = l.rows!.get(3)!.pid;
  t.equal((await l.kill(3)).state, 'down');
  t.equal(c.supervisor.node(3).state, 'down');
  t.equal(events[2], `node 3 (pid ${pid3}) exited: signal SIGKILL`);

  const stopped = await l.stop(2);
  t.equal(stopped.state, 'stopped');
  // A stand-in that has not installed its SIGTERM handler yet (a loaded machine) dies of the signal.
  t.match(events[3], /^node 2 \(pid \d+\) exited: (code 0|signal SIGTERM)$/);

  // Polls after the actions agree with them: nothing undone, nothing said twice.
  await l.refresh();
  await l.refresh();
  t.same([...l.rows!.values()].map((r) => r.state), ['up', 'stopped', 'down']);
  t.equal(events.length, 4, `no repeated lines: ${JSON.stringify(events)}`);
  await t.rejects(l.kill(99), { code: 'BAD_REQUEST' }, 'the supervisor’s own refusals come through');
  t.equal(l.connected, true, 'a refused action does not drop the link');
});

t.test('losing the supervisor is said once, and the link comes back', async (t) => {
  const cfg = await config(t);
  const c = await cluster(t, cfg);
  const { l, events, changes } = link(t, cfg);
  await waitFor('rows', () => (l.tick(), l.rows !== undefined), 10_000, 50);
  // Nothing pending when the supervisor goes: a request cut off by the close would hold one of the
  // control client's timers (and this test process) for its whole timeout.
  await l.refresh();
  await c.stop();
  await waitFor('the link noticing', () => (l.tick(), !l.connected), 10_000, 50);
  t.equal(l.rows, undefined);
  t.match(events, [/lost the supervisor/]);
  t.ok(changes() > 0);

  const again = await cluster(t, cfg);
  await waitFor('reconnected', () => (l.tick(), l.rows !== undefined), 10_000, 50);
  t.match(events, [/lost the supervisor/, 'reconnected to the supervisor']);
  t.equal(l.rows!.get(3)!.pid, again.supervisor.node(3).pid);
});
