/**
 * The supervisor's membership changes end to end, with real node processes and the real CLI:
 * `raftkv ctl add --host 127.0.0.2` starts a 4th node on ports from the OS of that address (the
 * others reach it there, not on the first node's 127.0.0.1), adds it as a learner and promotes it
 * once it caught up (it serves the keys written before it existed); `ctl status` shows it a
 * voter; `ctl transfer 4` makes it the leader; `ctl remove 2` takes node 2 out and stops its
 * process, and writes go on. Then the whole supervisor stops and starts again on the same data
 * directory (as `raftkv up` does): nodes 1, 3 and 4 run, node 2 stays out, the membership is
 * the one of the log, and a write succeeds. Last, `ctl remove` of the current leader (node 4,
 * made leader by `ctl transfer`): the cluster elects another and takes writes, and the removed
 * process is stopped. Every process is killed in teardown.
 */
import t from 'tap';
import { startCluster, type RunningCluster } from '../../src/cluster/start-cluster.js';
import { cli, jsonRequest, waitForAgreedLeader } from './harness.js';
import { startSupervised } from './supervised.js';
import { waitFor } from '../lib/wait-for.js';
import { alive } from '../lib/process-alive.js';

interface Member {
  id: number;
  host: string;
  port: number;
  role: 'voter' | 'learner';
}

t.test('ctl add, transfer, remove on a live cluster, and up restarting what it added', async (tt) => {
  const c = await startSupervised(tt, { electionTimeoutMs: { min: 400, max: 800 } });
  const dataDir = c.cfg.dataDir;
  await c.waitForLeader();
  const portOf = new Map(c.cfg.nodes.map((n) => [n.id, n.port]));
  const members = async (port: number): Promise<Member[]> => {
    const r = await jsonRequest(port, { op: 'members' }, 5000);
    if (!r.ok) throw new Error(`members: ${JSON.stringify(r.error)}`);
    return r.value as Member[];
  };
  const write = async (port: number, key: string, value: string): Promise<void> => {
    await waitFor(`SET ${key} through :${port}`, async () => (await jsonRequest(port, { op: 'set', key, value }, 5000)).ok, 20_000, 100);
  };
  for (let i = 0; i < 50; i++) await write(portOf.get(1)!, `before-${i}`, `v${i}`);

  const add = await cli(['ctl', 'add', '--host', '127.0.0.2', '--data-dir', dataDir], 90_000);
  tt.equal(add.code, 0, `ctl add: ${add.stderr}`);
  tt.equal(add.stdout, '4\n', 'prints the new id alone');
  tt.match(add.stderr, /node 4 \(client 127\.0\.0\.2:\d+, peer \d+\) is a voter after \d+ ms/);
  const four = (await members(portOf.get(1)!)).find((m) => m.id === 4);
  tt.match(four, { id: 4, host: '127.0.0.2', role: 'voter' }, 'node 4 is a voter, known by the host given');
  portOf.set(4, four!.port);
  // Every request to node 4 goes to 127.0.0.2: it listens there only.
  const request = (id: number, req: Record<string, unknown>, timeoutMs: number) => jsonRequest(portOf.get(id)!, req, timeoutMs, id === 4 ? { host: '127.0.0.2' } : {});
  const stale = await waitFor('node 4 to serve the keys written before it joined', async () => {
    const r = await request(4, { op: 'get', key: 'before-49', consistency: 'stale' }, 2000);
    return r.ok && r.value === 'v49' && r;
  });
  tt.ok(stale, 'caught up (InstallSnapshot or log)');

  const status = await cli(['ctl', 'status', '--data-dir', dataDir]);
  tt.equal(status.code, 0);
  tt.match(status.stdout, /\n\s*4\s+127\.0\.0\.2:\d+\s+\d+\s+up\s+voter\s+/, 'ctl status: node 4 is an up voter');

  const transfer = await cli(['ctl', 'transfer', '4', '--data-dir', dataDir], 40_000);
  tt.equal(transfer.code, 0, `ctl transfer: ${transfer.stderr}`);
  tt.match(transfer.stdout, /node 4 is the leader \(\d+ ms\)/);
  tt.equal((await request(4, { op: 'status' }, 3000)).value.role, 'leader');

  const pid2 = c.supervisor.node(2).pid!;
  const remove = await cli(['ctl', 'remove', '2', '--data-dir', dataDir], 60_000);
  tt.equal(remove.code, 0, `ctl remove: ${remove.stderr}`);
  tt.notOk(alive(pid2), "node 2's process is stopped");
  tt.same((await members(portOf.get(1)!)).map((m) => m.id), [1, 3, 4]);
  await write(portOf.get(3)!, 'after-remove', 'x');
  const bad = await cli(['ctl', 'remove', '2', '--data-dir', dataDir], 30_000);
  tt.equal(bad.code, 1, 'removing it again is refused');
  tt.match(bad.stderr, /BAD_REQUEST: node 2 is not a member/);

  // The whole supervisor goes and comes back on the same data directory.
  await c.stop();
  let again: RunningCluster | null = null;
  tt.teardown(async () => {
    await again?.stop().catch(() => {});
  });
  again = await startCluster(c.cfg, { stopTimeoutMs: 3000 });
  tt.same(again.supervisor.list().map((n) => [n.id, n.state]), [[1, 'up'], [3, 'up'], [4, 'up']], 'the added member is back, the removed one is not');
  await waitFor('a leader among 1, 3, 4 that every one knows', async () => {
    const sts = await Promise.all([1, 3, 4].map((id) => request(id, { op: 'status' }, 1000).catch(() => null)));
    return sts.every((s) => s?.ok && s.value.leader > 0 && s.value.leader === sts[0].value.leader);
  }, 30_000);
  tt.same((await members(portOf.get(1)!)).map((m) => [m.id, m.host, m.role]), [[1, '127.0.0.1', 'voter'], [3, '127.0.0.1', 'voter'], [4, '127.0.0.2', 'voter']], 'the membership survives the restart');
  await write(portOf.get(1)!, 'after-restart', 'y');
  const r = await jsonRequest(portOf.get(1)!, { op: 'get', key: 'before-0' }, 5000);
  tt.same(r.value, 'v0', 'nothing lost');

  // Removing the leader through the supervisor: node 4 leads, then is removed.
  const lead = await cli(['ctl', 'transfer', '4', '--data-dir', dataDir], 40_000);
  tt.equal(lead.code, 0, `ctl transfer 4: ${lead.stderr}`);
  tt.equal((await request(4, { op: 'status' }, 3000)).value.role, 'leader', 'node 4 leads');
  const pid4 = again.supervisor.node(4).pid!;
  const removeLeader = await cli(['ctl', 'remove', '4', '--data-dir', dataDir], 60_000);
  tt.equal(removeLeader.code, 0, `ctl remove 4 (the leader): ${removeLeader.stderr}`);
  tt.match(removeLeader.stdout, /node 4 removed from the cluster and stopped/);
  await waitFor("the removed leader's process to end", () => !alive(pid4), 10_000);
  tt.same(again.supervisor.list().map((n) => n.id), [1, 3], 'the supervisor runs 1 and 3 only');
  const next = await waitForAgreedLeader((id) => request(id, { op: 'status' }, 1000).then((s) => s.value, () => null), [1, 3], 30_000);
  tt.ok(next === 1 || next === 3, `node ${next} leads after the removed leader`);
  tt.same((await members(portOf.get(next)!)).map((m) => m.id), [1, 3], 'node 4 is out of the membership');
  await write(portOf.get(3)!, 'after-leader-removed', 'z');
  tt.same((await jsonRequest(portOf.get(1)!, { op: 'get', key: 'after-leader-removed' }, 5000)).value, 'z', 'the cluster goes on');
});
