/**
 * The supervisor's membership changes (member-changes.ts) against stand-in node processes
 * (fake-node-process.ts: node 1 keeps the membership and answers the members ops as a leader
 * would), and its record of added and removed members (member-registry.ts). The real cluster
 * does the same in test/e2e/ctl-membership.test.ts.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateClusterConfig, writeRunConfig } from '../../src/cluster/cluster-setup.js';
import { addMember, nextMemberId, removeMember, transferLeader } from '../../src/cluster/member-changes.js';
import { MemberRegistry, parseMemberRecord } from '../../src/cluster/member-registry.js';
import { MembershipCaller } from '../../src/cluster/membership-caller.js';
import { nodeArgs, Supervisor, type SupervisorOptions } from '../../src/cluster/supervisor.js';
import type { ClusterConfig } from '../../src/protocol/cluster-config.js';
import { waitFor } from '../lib/wait-for.js';
import { alive } from '../lib/process-alive.js';

const FAKE = fileURLToPath(new URL('./fake-node-process.js', import.meta.url));

/** The fake node gets an added member's port first, then the real node's flags (so its log shows them). */
const fakeCommand: NonNullable<SupervisorOptions['nodeCommand']> = (id, path, join) => ({
  command: process.execPath,
  args: [FAKE, String(id), path, ...(join ? [String(join.self.port), ...nodeArgs(id, path, join).slice(4)] : [])],
});

function newSupervisor(cfg: ClusterConfig, configPath: string): Supervisor {
  return new Supervisor({ config: cfg, configPath, nodeCommand: fakeCommand, statusTimeoutMs: 500 });
}

t.test('ctl add / remove / transfer through the members ops, and up restarting what it added', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-members-'));
  const cfg = await generateClusterConfig({ nodes: 3, dataDir: join(dir, 'data'), logDir: join(dir, 'logs') });
  const configPath = writeRunConfig(cfg);
  const sups: Supervisor[] = [];
  tt.teardown(async () => {
    for (const s of sups) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const sup = newSupervisor(cfg, configPath);
  sups.push(sup);
  await sup.start();
  await waitFor('every node to answer', async () => (await sup.status()).every((r) => r.role !== null));

  const added = await addMember(sup, { timeoutMs: 15_000 });
  tt.match(added, { id: 4, role: 'voter', member: { id: 4, host: '127.0.0.1' } }, 'the next id, promoted');
  tt.ok(added.timings.promotedMs !== null && added.timings.promotedMs >= added.timings.caughtUpMs, 'promoted after catching up');
  const four = sup.node(4);
  tt.equal(four.state, 'up');
  tt.equal(four.port, added.member.port);
  tt.ok(![cfg.nodes.map((n) => n.port), cfg.nodes.map((n) => n.peerPort)].flat().includes(added.member.port), 'ports of its own');
  const log4 = await waitFor('node 4 to log its flags', () => {
    const text = readFileSync(four.logFile, 'utf8');
    return /listening/.test(text) && text;
  });
  tt.match(log4, new RegExp(`--join 127\\.0\\.0\\.1:${cfg.nodes[0].port} --host 127\\.0\\.0\\.1 --port ${added.member.port} --peer-port ${added.member.peerPort}`), 'started with --join and its own address');
  tt.same(sup.registry.record, { added: [added.member], removed: [] }, 'recorded in members.json');

  const learner = await addMember(sup, { learner: true, timeoutMs: 15_000 });
  tt.match(learner, { id: 5, role: 'learner', timings: { promotedMs: null } });
  const rows = await sup.status();
  tt.same(rows.map((r) => [r.id, r.member]), [[1, 'voter'], [2, 'voter'], [3, 'voter'], [4, 'voter'], [5, 'learner']], 'ctl status: voter/learner from the leader');

  const pid2 = sup.node(2).pid!;
  await removeMember(sup, 2);
  tt.notOk(alive(pid2), "a removed member's process is stopped");
  tt.same(sup.list().map((n) => n.id), [1, 3, 4, 5]);
  tt.same(sup.registry.record.removed, [2]);
  await tt.rejects(removeMember(sup, 2), { code: 'BAD_REQUEST', message: /node 2 is not a member/ }, 'removing a non-member');
  await tt.rejects(removeMember(sup, 99), { code: 'BAD_REQUEST' });

  tt.match(await transferLeader(sup, 3), { leader: 3, ms: Number }, 'transfer answers with the new leader');
  await tt.rejects(transferLeader(sup, 5), { code: 'BAD_REQUEST', message: /not a voter/ }, 'a learner cannot lead');

  // A second supervisor on the same data directory (as `raftkv up` again): the added members
  // come back with their addresses, the removed one does not.
  await sup.stop();
  const again = newSupervisor(cfg, configPath);
  sups.push(again);
  tt.same(again.list().map((n) => [n.id, n.port]), [[1, cfg.nodes[0].port], [3, cfg.nodes[2].port], [4, added.member.port], [5, learner.member.port]]);
  await again.start();
  tt.ok(again.list().every((n) => n.state === 'up'));
  // The fake leader starts over with the cluster file's membership, in which 4 and 5 are absent
  // and 2 is back: the next id must still skip every id used here.
  const both = await Promise.all([addMember(again, { learner: true, timeoutMs: 15_000 }), addMember(again, { learner: true, timeoutMs: 15_000 })]);
  tt.same(both.map((r) => r.id), [6, 7], 'ids are never reused, removed or not; two adds at once take turns');
});

t.test('a failed add starts nothing; the caller follows NOT_LEADER to the leader', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-members-'));
  const cfg = await generateClusterConfig({ nodes: 2, dataDir: join(dir, 'data'), logDir: join(dir, 'logs') });
  const configPath = writeRunConfig(cfg);
  const sup = newSupervisor(cfg, configPath);
  tt.teardown(async () => {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await sup.start();
  await waitFor('every node to answer', async () => (await sup.status()).every((r) => r.role !== null));
  // Ask node 2 first: it says NOT_LEADER naming node 1.
  const caller = new MembershipCaller([cfg.nodes[1], cfg.nodes[0]]);
  tt.teardown(() => caller.close());
  tt.same((await caller.members()).map((m) => m.id), [1, 2]);
  const addOne = (done?: () => boolean) => caller.change((c, ms) => c.addMember(1, { host: 'h', port: 1, peerPort: 2 }, { learner: true }, { timeoutMs: ms }), { timeoutMs: 3000, ...(done ? { done } : {}) });
  await tt.rejects(addOne(), { code: 'BAD_REQUEST', message: /already a member/ });
  await tt.resolves(addOne(() => true), 'a refusal of a change already in effect is success');
  await tt.rejects(addOne(() => false), { code: 'BAD_REQUEST' });
  // A stopped cluster: the add fails before any process or record exists.
  await sup.stopNode(1);
  await sup.stopNode(2);
  await tt.rejects(addMember(sup, { timeoutMs: 1500 }));
  tt.same(sup.list().map((n) => n.id), [1, 2], 'nothing added');
  tt.same(sup.registry.record, { added: [], removed: [] });
});

t.test('members.json: validated, written atomically, ids never reused', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-registry-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const reg = new MemberRegistry(dir);
  tt.same(reg.record, { added: [], removed: [] }, 'absent = nothing changed');
  reg.add({ id: 5, host: 'h', port: 10, peerPort: 11 });
  reg.add({ id: 4, host: 'h', port: 12, peerPort: 13 });
  reg.remove(5);
  reg.remove(2);
  const back = new MemberRegistry(dir);
  tt.same(back.record, { added: [{ id: 4, host: 'h', port: 12, peerPort: 13 }], removed: [2, 5] });
  const bootstrap = [1, 2, 3].map((id) => ({ id, host: 'h', port: id, peerPort: 100 + id }));
  tt.same(back.nodesToRun(bootstrap).map((n) => n.id), [1, 3, 4]);
  tt.throws(() => back.add({ id: 2, host: 'h', port: 1, peerPort: 2 }), { code: 'BAD_REQUEST', message: /ids are not reused/ });

  const cases: Array<[unknown, RegExp]> = [
    [[], /must be an object/],
    [{ added: {}, removed: [] }, /added: must be an array/],
    [{ added: [], removed: 'x' }, /removed: must be an array/],
    [{ added: [{ id: 0, host: 'h', port: 1, peerPort: 2 }], removed: [] }, /added\[0\]\.id/],
    [{ added: [{ id: 1, host: '', port: 1, peerPort: 2 }], removed: [] }, /added\[0\]\.host/],
    [{ added: [{ id: 1, host: 'h', port: 70000, peerPort: 2 }], removed: [] }, /added\[0\]\.port/],
    [{ added: [{ id: 1, host: 'h', port: 1, peerPort: -1 }], removed: [] }, /added\[0\]\.peerPort/],
    [{ added: [], removed: [1.5] }, /removed\[0\]/],
    [{ added: [{ id: 1, host: 'h', port: 1, peerPort: 2 }, { id: 1, host: 'h', port: 3, peerPort: 4 }], removed: [] }, /appears twice/],
    [{ added: [{ id: 1, host: 'h', port: 1, peerPort: 2 }], removed: [1] }, /both added and removed/],
  ];
  for (const [raw, why] of cases) tt.throws(() => parseMemberRecord(raw, 'm.json'), { code: 'BAD_CONFIG', message: why }, JSON.stringify(raw));
  writeFileSync(join(dir, 'members.json'), '{"added": [');
  tt.throws(() => new MemberRegistry(dir), { code: 'BAD_CONFIG', message: /cannot read the supervisor's member record/ }, 'a damaged record stops the start');
});

t.test('nextMemberId: above every id in use, recorded, or with a data folder', async (tt) => {
  tt.equal(nextMemberId([], []), 1);
  tt.equal(nextMemberId([1, 2, 3], ['cluster.json', 'node-1', 'node-7', 'node-x', 'members.json']), 8);
  tt.equal(nextMemberId([9, 2], ['node-3']), 10);
});
