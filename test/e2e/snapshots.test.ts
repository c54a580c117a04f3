/**
 * Snapshots and log compaction on real processes (Raft §7): the log and the WAL stay bounded,
 * a restart comes back from the newest snapshot plus the WAL after it, a follower whose data
 * directory was deleted comes back through InstallSnapshot, a damaged newest snapshot falls back
 * to the one before, a kill -9 in the middle of a snapshot loses nothing, and snapshot chunks
 * from a stranger on the peer port are refused like any bad peer input.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import split2 from 'split2';
import t from 'tap';
import { jsonRequest, readValue, redisInfo, startCluster, waitFor, type TestCluster } from './harness.js';

/**
 * `count` SETs pipelined on one connection: key i % distinct gets value `${prefix}${i}` padded to
 * `valueBytes`. Writes that fail retryably (a leadership change on a loaded box) are sent again,
 * in order, until every one succeeded; the last value of each key is therefore as listed.
 */
async function pipelinedSets(port: number, count: number, distinct: number, valueBytes = 20, prefix = 'v'): Promise<void> {
  const pad = 'x'.repeat(Math.max(0, valueBytes - 12));
  let todo = Array.from({ length: count }, (_, i) => i);
  for (let round = 0; todo.length > 0; round++) {
    if (round === 5) throw new Error(`${todo.length} SETs still failing after 5 rounds`);
    const failed = await sendSets(port, todo.map((i) => ({ key: `key${i % distinct}`, value: `${prefix}${i}${pad}`, i })));
    // A failed write may be followed by later writes of the same key that succeeded: resend
    // everything from the first failure on, so each key ends with its last value.
    todo = failed.length === 0 ? [] : todo.slice(todo.indexOf(Math.min(...failed)));
  }
}

/** One pipelined round; resolves with the indices whose SET failed. */
function sendSets(port: number, sets: Array<{ key: string; value: string; i: number }>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const failed: number[] = [];
    let answered = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${answered} of ${sets.length} SETs answered in time`));
    }, 60_000);
    socket.on('error', reject);
    socket.pipe(split2()).on('data', (line: string) => {
      const r = JSON.parse(line);
      if (!r.ok) {
        if (!['PROPOSAL_DROPPED', 'NO_LEADER', 'NOT_LEADER', 'TIMEOUT', 'CONNECTION_LOST', 'UNAVAILABLE'].includes(r.error.code)) {
          clearTimeout(timer);
          socket.destroy();
          reject(new Error(`SET failed: ${line}`));
          return;
        }
        failed.push(sets[r.id]!.i);
      }
      if (++answered === sets.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(failed);
      }
    });
    let batch = '';
    sets.forEach((w, id) => {
      batch += `${JSON.stringify({ id, op: 'set', key: w.key, value: w.value })}\n`;
      if (batch.length > 64 * 1024) {
        socket.write(batch);
        batch = '';
      }
    });
    socket.write(batch);
  });
}

const dataDir = (c: TestCluster, id: number) => join(c.dir, 'data', `node-${id}`);
const nodeLog = (c: TestCluster, id: number) => readFileSync(join(c.dir, 'logs', `node-${id}.log`), 'utf8');
const snapshotFiles = (c: TestCluster, id: number) => readdirSync(dataDir(c, id)).filter((f) => f.endsWith('.snap')).sort();
const staleGet = async (c: TestCluster, id: number, key: string) => (await jsonRequest(c.node(id).port, { op: 'get', key, consistency: 'stale' }, 2000)).value;

const SNAPSHOTS = { snapshotEvery: 300, snapshotTrailing: 50 };

t.test('compaction bounds the log, a full restart comes back from the snapshot', async (t) => {
  const c = await startCluster(t, { nodes: 3, extra: SNAPSHOTS });
  const leader = await c.waitForLeader();
  await pipelinedSets(c.node(leader).port, 2000, 100);
  for (const { id } of c.nodes) {
    await waitFor(`node ${id} to take snapshots and compact`, async () => {
      const s = await c.status(id);
      return s && s.snapshotIndex >= 1500 && s.firstLogIndex > 1;
    });
    // The log starts right after the compaction point: the older of the two kept snapshots, or
    // snapshotTrailing entries before the newest, whichever is lower.
    const [older, newest] = snapshotFiles(c, id).map((f) => Number(/snapshot-(\d+)-/.exec(f)![1]));
    t.equal((await c.status(id)).firstLogIndex - 1, Math.min(newest! - SNAPSHOTS.snapshotTrailing, older!), `node ${id} compacted its log to the older snapshot`);
    t.ok(snapshotFiles(c, id).length <= 2, `node ${id} keeps at most two snapshot files (${snapshotFiles(c, id).join(', ')})`);
    t.match(nodeLog(c, id), /snapshot taken \(automatic\) at index \d+ \(term \d+\): \d+ keys, \d+ bytes in \d+ ms; log compacted to index \d+/);
  }
  const s = await c.status(leader);
  // The log keeps what follows the older of the two snapshots (the fallback), not all 2000 writes.
  t.ok(s.lastLogIndex - s.firstLogIndex + 1 < 1500, `the leader's log holds ${s.lastLogIndex - s.firstLogIndex + 1} entries, not 2000`);
  const info = await redisInfo(c.node(leader).port, 'persistence');
  const p = info.get('persistence')!;
  t.equal(p.get('rdb_last_bgsave_status'), 'ok');
  t.ok(Number(p.get('raftkv_snapshot_index')) >= 1500, 'INFO persistence names the snapshot');
  t.ok(Number(p.get('wal_size_bytes')) > 0, 'and the WAL size');

  for (const { id } of c.nodes) await c.kill(id, 'SIGKILL');
  for (const { id } of c.nodes) c.start(id);
  const again = await c.waitForLeader();
  t.equal(await readValue(c.node(again).port, { op: 'get', key: 'key99' }), `v1999${'x'.repeat(8)}`, 'the last write survived');
  t.equal(await readValue(c.node(again).port, { op: 'get', key: 'key0' }), `v1900${'x'.repeat(8)}`);
  for (const { id } of c.nodes) t.match(nodeLog(c, id), /recovered snapshot \d+ \(term \d+, 100 keys\) \+ \d+ WAL entries/, `node ${id} recovered from its snapshot`);
});

t.test('a follower whose data directory was deleted comes back through InstallSnapshot', async (t) => {
  const c = await startCluster(t, { nodes: 3, extra: SNAPSHOTS });
  const leader = await c.waitForLeader();
  await pipelinedSets(c.node(leader).port, 500, 50, 20, 'a');
  const victim = c.nodes.find((n) => n.id !== leader)!.id;
  await c.kill(victim, 'SIGKILL');
  rmSync(dataDir(c, victim), { recursive: true, force: true });
  await pipelinedSets(c.node(leader).port, 1500, 200, 20, 'b');
  // Two snapshots after all that (SAVE) put the leader's compaction point past the victim's log,
  // wherever the automatic ones happened to land.
  t.equal((await jsonRequest(c.node(leader).port, { op: 'snapshot' })).ok, true);
  t.equal((await jsonRequest(c.node(leader).port, { op: 'set', key: 'between', value: '1' })).ok, true);
  t.equal((await jsonRequest(c.node(leader).port, { op: 'snapshot' })).ok, true);
  await waitFor('the leader to compact past everything the victim ever had', async () => (await c.status(leader))?.firstLogIndex > 1500);
  c.start(victim);
  await waitFor('the wiped follower to catch up', async () => (await staleGet(c, victim, 'key199')) === `b1399${'x'.repeat(8)}`, 20_000);
  t.match(nodeLog(c, victim), /received snapshot \d+ \(term \d+\) from node \d+: \d+ bytes, \d+ keys/);
  t.match(nodeLog(c, victim), /installed snapshot \d+/);
  t.match(nodeLog(c, leader), new RegExp(`sent snapshot \\d+ to node ${victim}`));
  for (const k of ['key0', 'key49', 'key150']) t.equal(await staleGet(c, victim, k), await staleGet(c, leader, k), `${k} as on the leader`);
  t.equal((await jsonRequest(c.node(victim).port, { op: 'set', key: 'after', value: '1' })).ok, true, 'writes go through it again');
});

t.test('a damaged newest snapshot falls back to the one before, with a clear line', async (t) => {
  const c = await startCluster(t, { nodes: 3, extra: SNAPSHOTS });
  const leader = await c.waitForLeader();
  await pipelinedSets(c.node(leader).port, 2000, 60);
  const victim = c.nodes.find((n) => n.id !== leader)!.id;
  await waitFor('the victim to have every write', async () => (await staleGet(c, victim, 'key59')) === `v1979${'x'.repeat(8)}`);
  // Two snapshots on the victim whatever the automatic ones did: SAVE, one more write, SAVE.
  t.equal((await jsonRequest(c.node(victim).port, { op: 'snapshot' })).ok, true);
  t.equal((await jsonRequest(c.node(leader).port, { op: 'set', key: 'between', value: '1' })).ok, true);
  await waitFor('the victim to have it', async () => (await staleGet(c, victim, 'between')) === '1');
  t.equal((await jsonRequest(c.node(victim).port, { op: 'snapshot' })).ok, true);
  t.equal(snapshotFiles(c, victim).length, 2, 'two snapshots on the victim');
  await c.kill(victim, 'SIGKILL');
  const newest = join(dataDir(c, victim), snapshotFiles(c, victim)[1]!);
  const bytes = readFileSync(newest);
  bytes[Math.floor(bytes.length / 2)] ^= 0x20;
  writeFileSync(newest, bytes);
  c.start(victim);
  await waitFor('the node to serve after falling back', async () => (await staleGet(c, victim, 'key59')) === `v1979${'x'.repeat(8)}`);
  t.match(nodeLog(c, victim), /snapshot \d+ \(term \d+\) is damaged, trying an older one: .*checksum mismatch/);
  t.match(nodeLog(c, victim), /recovered snapshot \d+/);
});

t.test('kill -9 in the middle of a snapshot loses nothing', async (t) => {
  const c = await startCluster(t, { nodes: 3, extra: { snapshotEvery: 0 } });
  const leader = await c.waitForLeader();
  // Big enough that writing the snapshot takes many event-loop turns.
  await pipelinedSets(c.node(leader).port, 3000, 3000, 2000);
  const victim = c.nodes.find((n) => n.id !== leader)!.id;
  await waitFor('the victim to have every write', async () => (await staleGet(c, victim, 'key2999'))?.startsWith('v2999'));
  const reply = await jsonRequest(c.node(victim).port, { op: 'snapshot', background: true });
  t.same(reply.value, { started: true }, 'BGSAVE started');
  await waitFor('the snapshot temp file to appear', () => readdirSync(dataDir(c, victim)).some((f) => f.endsWith('.tmp')), 5000).catch(() => t.comment('the snapshot finished before the kill'));
  await c.kill(victim, 'SIGKILL');
  const leftover = readdirSync(dataDir(c, victim)).filter((f) => f.endsWith('.tmp'));
  t.comment(`left behind by the kill: ${leftover.join(', ') || 'nothing'}`);
  c.start(victim);
  await waitFor('the node back with every write', async () => (await staleGet(c, victim, 'key2999'))?.startsWith('v2999'));
  if (leftover.length > 0) t.match(nodeLog(c, victim), /removed .*\.tmp, left over from an interrupted snapshot/);
  t.notOk(readdirSync(dataDir(c, victim)).some((f) => f.endsWith('.tmp')), 'no temp file remains');
  t.equal((await jsonRequest(c.node(victim).port, { op: 'snapshot' })).ok, true, 'SAVE works afterwards');
  t.equal(snapshotFiles(c, victim).length, 1);
});

/** Says hello on a node's peer port as `from` and sends `lines`; resolves when the node closes it (or after 3 s). */
function peerSession(port: number, from: number, to: number, lines: unknown[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.write(`${JSON.stringify({ hello: { from, to } })}\n`);
      for (const l of lines) socket.write(`${typeof l === 'string' ? l : JSON.stringify(l)}\n`);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 3000);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

t.test('bad snapshot input on the peer port is refused, logged, and nothing is lost', async (t) => {
  const c = await startCluster(t, { nodes: 3, extra: SNAPSHOTS });
  const leader = await c.waitForLeader();
  await pipelinedSets(c.node(leader).port, 400, 40);
  const victim = c.nodes.find((n) => n.id !== leader)!.id;
  await waitFor('the victim to have every write', async () => (await staleGet(c, victim, 'key39')) === `v399${'x'.repeat(8)}`);
  const { peerPort } = c.node(victim);
  const term = (await c.status(leader)).term;
  const chunk = (over: Record<string, unknown>) => ({ type: 'snapshotChunk', from: leader, to: victim, term, index: 99999, snapshotTerm: term, offset: 0, data: '', done: false, ...over });

  t.ok(await peerSession(peerPort, leader, victim, [{ type: 'snapshot', from: leader, to: victim, term, index: 99999, snapshotTerm: term }]), 'a bare snapshot message closes the connection');
  t.ok(await peerSession(peerPort, leader, victim, [chunk({ data: '!!not base64!!' })]), 'a chunk that is not base64 closes it');
  t.ok(await peerSession(peerPort, leader, victim, [chunk({ offset: -1 })]), 'a negative offset closes it');
  // Well-formed chunks whose content is not a snapshot: assembled, then refused on verification.
  await peerSession(peerPort, leader, victim, [chunk({ data: Buffer.from('{"raftkvSnapshot":1}\ngarbage\n').toString('base64'), done: true })]);
  const log = () => nodeLog(c, victim);
  await waitFor('the refusals in the node log', () => /bare snapshot message/.test(log()) && /snapshotChunk\.data must be base64/.test(log()) && /failed verification, discarded/.test(log()));
  t.equal(await staleGet(c, victim, 'key39'), `v399${'x'.repeat(8)}`, 'the follower still has its data');
  t.equal((await c.status(victim)).snapshotIndex < 99999, true, 'and did not install anything');
  t.equal((await jsonRequest(c.node(leader).port, { op: 'set', key: 'after', value: '1' })).ok, true, 'the cluster commits on');
  await waitFor('the follower to follow on', async () => (await staleGet(c, victim, 'after')) === '1');
  t.notOk(existsSync(join(dataDir(c, victim), 'snapshot-0000000000099999-1.snap')));
});
