/**
 * The live ClusterSource against real clusters: a supervised one (startCluster in-process, real
 * node processes and control socket), and one without a supervisor (the harness's bare nodes).
 * What raft-tui shows must follow what really happens: a leader, kills and restarts within a
 * second or so, a hung node marked unreachable without freezing the others, the shell's requests
 * going through a failover.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClusterConfig } from '../../src/cluster/cluster-setup.js';
import { startCluster as startSupervised } from '../../src/cluster/start-cluster.js';
import { loadClusterConfig } from '../../src/protocol/cluster-config.js';
import { LiveClusterSource } from '../../src/tui/live-cluster-source.js';
import { leaderOf, type ClusterSnapshot, type NodeView } from '../../src/tui/model.js';
import { startCluster as startBare, waitFor } from './harness.js';

type Teardown = { teardown(fn: () => unknown): void };

function open(t: Teardown, source: LiveClusterSource): LiveClusterSource {
  t.teardown(() => source.close());
  return source;
}

const row = (s: ClusterSnapshot, id: number): NodeView => s.nodes.find((n) => n.id === id)!;

t.test('a supervised cluster: leader, shell, kill leader, restart, stop, hung node', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-live-'));
  const cfg = await generateClusterConfig({
    nodes: 3,
    dataDir: join(dir, 'data'),
    logDir: join(dir, 'logs'),
    electionTimeoutMs: { min: 400, max: 800 },
    heartbeatIntervalMs: 50,
  });
  const cluster = await startSupervised(cfg);
  t.teardown(async () => {
    // Kill the nodes as a crash would; one may be gone already (ESRCH must not skip the rest).
    for (const n of cluster.supervisor.list()) if (n.pid !== null) killQuietly(n.pid);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const source = open(t, new LiveClusterSource({ config: cfg }));
  let notifications = 0;
  source.subscribe(() => notifications++);
  const snap = () => source.getSnapshot();

  const leader = await waitFor('a leader on the table', () => leaderOf(snap().nodes), 30_000);
  t.equal(snap(), snap(), 'the same snapshot object until something changes');
  t.ok(notifications > 0, 'subscribers were told');
  t.same(snap().nodes.map((n) => n.id), [1, 2, 3], 'every node, in cluster.json order');
  for (const n of snap().nodes) t.equal(n.pid, cluster.supervisor.node(n.id).pid ?? undefined, `node ${n.id} pid from the supervisor`);
  t.ok(source.supervised);

  // The shell, through the client library.
  t.same(await source.execute(['SET', 'x', '1']), { type: 'simple', value: 'OK' });
  t.same(await source.execute(['GET', 'x']), { type: 'bulk', value: '1' });
  t.same(await source.execute(['GET', 'nope']), { type: 'bulk', value: null });
  t.same(await source.execute(['CAS', 'x', 'wrong', '2']), { type: 'integer', value: 0 });
  t.same(await source.execute(['PING']), { type: 'simple', value: 'PONG' });
  t.same(await source.execute(['KEYS', '*']), { type: 'array', items: [{ type: 'bulk', value: 'x' }] });
  await waitFor('shell metrics', () => snap().metrics.shellOps === 6 && snap().metrics.p50Ms !== undefined, 5000);
  t.match(snap().shellTarget, /^node \d+ 127\.0\.0\.1:\d+$/);

  // Anything else goes to the shell's node as a Redis command; :node picks the node.
  const follower = cfg.nodes.find((n) => n.id !== leader.id)!;
  t.equal(source.selectShellNode(follower.id), null);
  t.equal(snap().shellTarget, `node ${follower.id} 127.0.0.1:${follower.port}`, 'the prompt names the node');
  const info = await source.execute(['INFO', 'replication']);
  t.match(info, { type: 'bulk', value: /role:slave\r\n/ }, 'INFO went to the follower');
  t.match(await source.execute(['DBSIZE']), { type: 'integer', value: 1 });
  t.match(await source.execute(['NOSUCH', 'a']), { type: 'error', message: /^ERR unknown command 'NOSUCH'/ });
  t.match(source.selectShellNode(99), /^no node 99/);

  // The detail pane's data.
  await waitFor('the SET in the leader’s log', () => snap().entries[leader.id]?.some((e) => e.command === 'SET x 1'), 5000);
  await waitFor('the leader’s log file tail', () => (snap().logTails[leader.id]?.length ?? 0) > 0, 5000);
  await waitFor('a commit rate', () => snap().metrics.commitRatePerSec !== undefined, 10_000);

  // K: kill the leader. The row shows it down as soon as the supervisor confirms.
  const oldPid = row(snap(), leader.id).pid;
  const killed = await source.killLeader();
  t.equal(killed, leader.id, 'the supervisor killed the leader the table showed');
  await waitFor('the killed leader shown down within a second', () => row(snap(), killed).state === 'down', 1000);
  // A down row keeps its last Raft fields (dimmed) but shows no process, and leads no more.
  t.same([row(snap(), killed).pid, row(snap(), killed).uptimeMs], [undefined, undefined], 'no pid or uptime for the dead process');
  t.not(leaderOf(snap().nodes)?.id, killed, 'the header no longer names the dead node leader');
  t.ok(
    snap().events?.some((e) => e.text === `node ${killed} (pid ${oldPid}) exited: signal SIGKILL`),
    'the timeline says how it died',
  );
  const next = await waitFor('a different leader', () => {
    const l = leaderOf(snap().nodes);
    return l !== undefined && l.id !== killed ? l : undefined;
  }, 30_000);
  t.ok(next.term! > leader.term!, `§5.2: the new leader, node ${next.id}, leads a later term (${leader.term} -> ${next.term})`);
  t.same(await source.execute(['GET', 'x']), { type: 'bulk', value: '1' }, 'the shell follows the new leader');

  // r: restart brings it back.
  await source.restart(killed);
  await waitFor('the restarted node up again', () => row(snap(), killed).state === 'up' && row(snap(), killed).pid !== oldPid, 10_000);

  // A hung node (SIGSTOP): unreachable, and the other rows keep updating.
  const hung = [1, 2, 3].find((id) => id !== next.id)!;
  const hungPid = cluster.supervisor.node(hung).pid!;
  process.kill(hungPid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(hungPid, 'SIGCONT');
    } catch {
      // gone
    }
  });
  await waitFor('the hung node unreachable', () => row(snap(), hung).state === 'unreachable', 5000);
  const before = snap();
  await source.execute(['SET', 'y', '2']);
  await waitFor('the others still polled', () => {
    const l = leaderOf(snap().nodes);
    return l !== undefined && (l.commitIndex ?? 0) > (leaderOf(before.nodes)?.commitIndex ?? 0);
  }, 5000);
  process.kill(hungPid, 'SIGCONT');
  await waitFor('the hung node back', () => row(snap(), hung).state === 'up', 10_000);

  // s: a clean stop.
  await source.stop(hung);
  await waitFor('stopped', () => row(snap(), hung).state === 'stopped', 2000);
  await t.rejects(source.kill(hung), { code: 'BAD_REQUEST' }, 'killing a stopped node is refused with the reason');
});

t.test('without a supervisor: the nodes are still watched, actions say why they cannot run', async (t) => {
  const c = await startBare(t);
  const cfg = loadClusterConfig(c.configPath);
  const source = open(t, new LiveClusterSource({ config: cfg }));
  const snap = () => source.getSnapshot();
  const leader = await waitFor('a leader', () => leaderOf(snap().nodes), 30_000);
  t.notOk(source.supervised);
  await t.rejects(source.kill(1), { code: 'UNAVAILABLE', message: /no supervisor/ });
  await t.rejects(source.killLeader(), { code: 'UNAVAILABLE' });
  t.equal(row(snap(), leader.id).pid, c.procs.get(leader.id)!.pid, 'pid as the node reports it');

  await c.kill(leader.id);
  await waitFor('the dead node shown down (nothing listens)', () => row(snap(), leader.id).state === 'down', 3000);
  await waitFor('a new leader', () => {
    const l = leaderOf(snap().nodes);
    return l !== undefined && l.id !== leader.id;
  }, 30_000);
  c.start(leader.id);
  await waitFor('back up', () => row(snap(), leader.id).state === 'up', 15_000);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
