/**
 * RaftDriver on its own: a real core and state machine, a fake clock, storage resolved by hand and
 * a recording transport (driver-harness.ts). Each test is one fixed interleaving of the Ready loop.
 */
import t from 'tap';
import type { Entry, Message } from '../../src/protocol/raft-messages.js';
import type { RaftKvError } from '../../src/protocol/errors.js';
import type { KvResult } from '../../src/node/kv-command.js';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvStateMachine } from '../../src/node/kv-state-machine.js';
import type { DriverSnapshots } from '../../src/node/raft-driver.js';
import type { ReceivedSnapshot } from '../../src/node/snapshot-receiver.js';
import type { SnapshotFileInfo } from '../../src/node/storage/snapshot-store.js';
import { driverRig, settleDurable, singleNodeLeader, threeNodeLeader } from './driver-harness.js';

/** A write's outcome, recorded when the driver calls back. */
function outcome() {
  const o = { called: 0, err: null as RaftKvError | null, value: undefined as KvResult | undefined };
  const done = (err: RaftKvError | null, value?: KvResult): void => {
    o.called++;
    o.err = err;
    o.value = value;
  };
  return { o, done };
}

const set = (key: string, value: string, index: number, term: number): Entry => ({ term, index, kind: 'cmd', data: { op: 'set', key, value } });
const append = (term: number, prevLogIndex: number, prevLogTerm: number, entries: Entry[], commit: number, from = 2): Message => ({
  type: 'append', from, to: 1, term, prevLogIndex, prevLogTerm, entries, commit,
});

t.test('a write on a leader is answered only after its entry is durable and applied', async (t) => {
  const rig = await singleNodeLeader();
  const { o, done } = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v' }, done);
  await rig.settle();
  t.equal(o.called, 0, 'not answered while its fsync is pending');
  t.equal(rig.sm.get('k'), null, 'not applied before it is durable on a majority (here: this node)');
  await settleDurable(rig);
  t.equal(o.called, 1);
  t.equal(o.err, null);
  t.equal(o.value, 'OK');
  t.equal(rig.sm.get('k'), 'v');
  t.same(rig.fatal, []);
});

t.test('a proposal with no leader known fails at once with NO_LEADER (safe to retry)', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3] });
  rig.driver.start();
  const { o, done } = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v' }, done);
  await rig.settle();
  t.equal(o.called, 1, 'answered without waiting for a deadline');
  t.equal(o.err?.code, 'NO_LEADER');
  t.equal(rig.transport.ofType('propose').length, 0, 'nothing was forwarded');
});

t.test('a write overwritten by a new leader fails as PROPOSAL_DROPPED when its index is applied', async (t) => {
  const rig = await threeNodeLeader();
  const term = rig.raw.status().term;
  const { o, done } = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'mine' }, done);
  await settleDurable(rig);
  t.equal(rig.raw.status().lastLogIndex, 2, 'the write went in at index 2');
  // Node 2 wins term+1 without our entries and commits two entries of its own at 1 and 2.
  rig.driver.step(append(term + 1, 0, 0, [set('x', '1', 1, term + 1), set('k', 'theirs', 2, term + 1)], 2));
  await settleDurable(rig);
  t.equal(o.called, 1);
  t.equal(o.err?.code, 'PROPOSAL_DROPPED');
  t.equal(rig.sm.get('k'), 'theirs');
});

t.test('a forwarded write fails fast as ambiguous when another node becomes leader', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3], requestTimeoutMs: 60_000 });
  rig.driver.start();
  rig.driver.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0 });
  await settleDurable(rig);
  t.equal(rig.driver.soft.leader, 2);
  const { o, done } = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v' }, done);
  await rig.settle();
  t.equal(rig.transport.ofType('propose').filter((m) => m.to === 2).length, 1, 'forwarded to node 2');
  t.equal(o.called, 0);
  rig.driver.step({ type: 'heartbeat', from: 3, to: 1, term: 2, commit: 0 });
  await settleDurable(rig);
  t.equal(o.called, 1, 'answered long before the 60 s deadline (no fake time passed)');
  t.equal(o.err?.code, 'TIMEOUT');
  t.match(o.err?.message, /node 2 -> node 3.*may or may not have been applied/);
});

t.test('a commit-only hard state is not fsynced alone: it rides with the next synced batch', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3] });
  rig.driver.start();
  rig.driver.step(append(1, 0, 0, [set('a', '1', 1, 1), set('b', '2', 2, 1)], 0));
  await settleDurable(rig);
  const before = rig.storage.calls.length;
  rig.driver.step(append(1, 2, 1, [], 2));
  await settleDurable(rig);
  t.equal(rig.sm.get('b'), '2', 'the commit was applied');
  t.equal(rig.storage.calls.length, before, 'no storage write for a commit index alone');
  rig.driver.step(append(1, 2, 1, [set('c', '3', 3, 1)], 2));
  await settleDurable(rig);
  const last = rig.storage.calls[rig.storage.calls.length - 1]!;
  t.same(last.entries.map((e) => e.index), [3]);
  t.equal(last.hardState?.commit, 2, 'the held-back commit index is written with entry 3');
  rig.driver.step(append(1, 3, 1, [set('d', '4', 4, 1)], 2));
  await settleDurable(rig);
  t.equal(rig.storage.calls[rig.storage.calls.length - 1]!.hardState, null, 'and only once');
});

t.test('pipeline depth 2: two Readies in flight, each one\'s messages wait for its own and every earlier fsync', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3], pipelineDepth: 2 });
  rig.driver.start();
  const { driver, storage, transport } = rig;
  driver.step(append(1, 0, 0, [set('a', '1', 1, 1)], 0));
  await rig.settle();
  driver.step(append(1, 1, 1, [set('b', '2', 2, 1)], 0));
  await rig.settle();
  driver.step(append(1, 2, 1, [set('c', '3', 3, 1)], 0));
  await rig.settle();
  t.same(storage.calls.map((c) => c.entries.map((e) => e.index)), [[1], [2]], 'two appends in flight, the third waits');
  storage.calls[1]!.resolve();
  await rig.settle();
  t.same(transport.ofType('appendResp'), [], 'the second fsync alone releases nothing: the first is not durable');
  storage.calls[0]!.resolve();
  await rig.settle();
  t.same(transport.ofType('appendResp').map((m) => m.index), [1, 2], 'acknowledgements in Ready order');
  t.same(storage.calls.map((c) => c.entries.map((e) => e.index)), [[1], [2], [3]], 'the third Ready follows');
  storage.resolveAll();
  await rig.settle();
  t.same(transport.ofType('appendResp').map((m) => m.index), [1, 2, 3]);
  const ev = rig.events;
  t.ok(ev.indexOf('durable#0') < ev.indexOf('send appendResp->2 index=1'), 'no acknowledgement before its fsync');
  t.ok(ev.indexOf('durable#0') < ev.indexOf('send appendResp->2 index=2') && ev.indexOf('durable#1') < ev.indexOf('send appendResp->2 index=2'));
});

t.test('a leader sends its appends while its own fsync runs (sendBeforePersist) but counts itself only after it', async (t) => {
  const rig = await threeNodeLeader();
  const term = rig.raw.status().term;
  // Node 2 acknowledges the no-op, so the leader streams to it instead of probing.
  rig.driver.step({ type: 'appendResp', from: 2, to: 1, term, success: true, index: 1, hintIndex: 0, hintTerm: 0 });
  await settleDurable(rig);
  const { o, done } = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v' }, done);
  await rig.settle();
  const call = rig.storage.calls[rig.storage.calls.length - 1]!;
  t.same(call.entries.map((e) => e.index), [2]);
  const carriesWrite = rig.transport.ofType('append').filter((m) => m.to === 2 && m.entries.some((e) => e.index === 2));
  t.equal(carriesWrite.length, 1, 'the append of entry 2 to node 2 left before the leader\'s fsync finished');
  rig.driver.step({ type: 'appendResp', from: 2, to: 1, term, success: true, index: 2, hintIndex: 0, hintTerm: 0 });
  await rig.settle();
  t.equal(o.called, 0, 'one follower is not a majority until the leader\'s own entry is durable');
  await settleDurable(rig);
  t.equal(o.called, 1);
  t.equal(o.value, 'OK');
});

t.test('deadlines follow the injected clock: writes and reads time out as TIMEOUT', async (t) => {
  const rig = await threeNodeLeader({ requestTimeoutMs: 200 });
  const w = outcome();
  const r = { called: 0, err: null as RaftKvError | null };
  rig.driver.propose({ op: 'set', key: 'k', value: 'v' }, w.done);
  rig.driver.readBarrier((err) => {
    r.called++;
    r.err = err;
  });
  await settleDurable(rig);
  rig.clock.advance(150);
  await rig.settle();
  t.equal(w.o.called + r.called, 0, 'nothing fails before its deadline');
  rig.clock.advance(100);
  await rig.settle();
  t.equal(w.o.err?.code, 'TIMEOUT');
  t.match(w.o.err?.message, /may or may not have been applied/);
  t.equal(r.err?.code, 'TIMEOUT');
});

t.test('a write of an expired session is answered SESSION_EXPIRED, a stale seq BAD_REQUEST', async (t) => {
  const rig = await singleNodeLeader();
  const expired = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v', clientId: 'c1', seq: 5 }, expired.done);
  await settleDurable(rig);
  t.equal(expired.o.err?.code, 'SESSION_EXPIRED');
  t.equal(rig.sm.get('k'), null, 'and not applied');
  const first = outcome();
  const stale = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v2', clientId: 'c2', seq: 2 - 1 }, first.done);
  await settleDurable(rig);
  rig.driver.propose({ op: 'set', key: 'k', value: 'v3', clientId: 'c2', seq: 0 }, stale.done);
  await settleDurable(rig);
  t.equal(first.o.value, 'OK');
  t.equal(stale.o.err?.code, 'BAD_REQUEST');
  t.match(stale.o.err?.details, { reason: 'STALE_SEQ' });
  t.equal(rig.sm.get('k'), 'v2');
});

t.test('stop() waits for the Ready in flight, then fails what is left (writes as unknown)', async (t) => {
  const rig = await singleNodeLeader();
  const { o, done } = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v' }, done);
  await rig.settle();
  let stopped = false;
  const stopping = rig.driver.stop().then(() => (stopped = true));
  // stop() polls on deferred turns while a Ready is in flight, so settle() would never see it idle.
  const turns = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setImmediate(r));
      rig.clock.runDeferred();
    }
  };
  await turns(10);
  t.equal(stopped, false, 'the pending fsync holds stop()');
  rig.storage.resolveAll();
  await turns(10);
  t.equal(stopped, true, 'stop() returns once the fsync finished');
  await stopping;
  t.equal(o.called, 1);
  // Durable here but never committed (stopped before the next Ready): its fate is unknown, not refused.
  t.equal(o.err?.code, 'TIMEOUT');
  t.match(o.err?.message, /may or may not have been applied/);
  const late = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'w' }, late.done);
  t.equal(late.o.err?.code, 'SHUTTING_DOWN');
});

t.test('a failed fsync stops the driver: onFatal, and nothing of that Ready is sent', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3] });
  rig.driver.start();
  rig.driver.step(append(1, 0, 0, [set('a', '1', 1, 1)], 0));
  await rig.settle();
  rig.storage.calls[0]!.reject(new Error('EIO'));
  await rig.settle();
  t.same(rig.fatal.map((e) => e.message), ['EIO']);
  t.same(rig.transport.ofType('appendResp'), [], 'no acknowledgement of what is not on disk');
});

t.test('Ready.snapshot: the state machine is swapped before later entries apply, its WAL marker goes before the Ready\'s append', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-driver-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const installed: SnapshotFileInfo[] = [];
  // Only what the driver calls on an install; transfers and taking snapshots are not under test.
  const snapshots = {
    dir,
    snapshotter: { newest: null, maybeStart() {}, installed: (f: SnapshotFileInfo) => installed.push(f) },
    sender: { start() {} },
    receiver: { onChunk() {}, receiving: null },
  } as unknown as DriverSnapshots;
  const rig = driverRig({ peers: [1, 2, 3], snapshots });
  rig.driver.start();
  const snapSm = new KvStateMachine();
  snapSm.apply(10, { op: 'set', key: 'fromSnapshot', value: 's' });
  const tmpPath = join(dir, 'incoming.tmp');
  writeFileSync(tmpPath, 'the verified file');
  const received = { index: 10, term: 1, header: { keys: 1 }, sm: snapSm, tmpPath } as unknown as ReceivedSnapshot;
  rig.driver.deliverSnapshot({ type: 'snapshot', from: 2, to: 1, term: 1, index: 10, snapshotTerm: 1 }, received);
  // In the same Ready: entry 11, committed, right after the snapshot.
  rig.driver.step(append(1, 10, 1, [set('after', 'a', 11, 1)], 11));
  await rig.settle();
  const marker = rig.events.findIndex((e) => e.startsWith('markSnapshot#') && e.endsWith(' 10/1'));
  const entry11 = rig.events.findIndex((e) => e.startsWith('append#') && e.includes('[11]'));
  t.ok(marker >= 0 && entry11 > marker, `marker queued before the Ready's append (${rig.events.join(' | ')})`);
  t.equal(rig.sm.get('fromSnapshot'), 's', 'the state machine is the snapshot\'s');
  t.equal(rig.sm.get('after'), 'a', 'entry 11 applied on top of it, not lost to the swap');
  t.equal(rig.sm.lastApplied, 11);
  t.equal(installed.length, 1);
  t.ok(existsSync(installed[0]!.path) && !existsSync(tmpPath), 'the file was renamed into place');
  t.same(rig.transport.ofType('appendResp'), [], 'no acknowledgement before the marker is durable');
  rig.storage.calls[0]!.resolve();
  await rig.settle();
  t.same(rig.transport.ofType('appendResp'), [], 'nor before the Ready\'s own append is');
  rig.storage.resolveAll();
  await rig.settle();
  t.ok(rig.transport.ofType('appendResp').some((m) => m.success && m.index >= 10), 'acknowledged once both are durable');
  t.same(rig.fatal, []);
});

t.test('a node removed from the membership answers client work at once instead of waiting for entries it will never get', async (t) => {
  const rig = driverRig({ peers: [1, 2, 3], requestTimeoutMs: 60_000 });
  rig.driver.start();
  rig.driver.step(append(1, 0, 0, [{ term: 1, index: 1, kind: 'noop', data: null }], 1));
  await settleDurable(rig);
  t.equal(rig.driver.soft.leader, 2);
  const forwarded = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'v' }, forwarded.done);
  await rig.settle();
  t.equal(rig.transport.ofType('propose').length, 1, 'forwarded to the leader');
  const addresses = { '1': { host: 'h', port: 1, peerPort: 2 }, '2': { host: 'h', port: 3, peerPort: 4 }, '3': { host: 'h', port: 5, peerPort: 6 } };
  const removal: Entry = { term: 1, index: 2, kind: 'config', data: { change: { type: 'remove', id: 1 }, membership: { voters: [2, 3], learners: [], addresses: { '2': addresses['2'], '3': addresses['3'] } } } };
  rig.driver.step(append(1, 1, 1, [removal], 2));
  await settleDurable(rig);
  t.same(rig.driver.membership().voters, [2, 3], 'the removal is in force here');
  t.equal(forwarded.o.called, 1, 'the forwarded write is answered long before its 60 s deadline');
  t.equal(forwarded.o.err?.code, 'TIMEOUT', 'as an unknown outcome: the leader may have committed it');
  const write = outcome();
  rig.driver.propose({ op: 'set', key: 'k', value: 'w' }, write.done);
  let readErr: RaftKvError | null | undefined;
  rig.driver.readBarrier((err) => (readErr = err));
  await rig.settle();
  t.equal(write.o.err?.code, 'NO_LEADER', 'a new write is refused at once, safe to retry elsewhere');
  t.match(write.o.err?.message, /not a member of the cluster/);
  t.equal(write.o.err?.details?.leader, undefined, 'without a leader hint (a non-member\'s view of the leader is stale)');
  t.equal(readErr?.code, 'NO_LEADER', 'so is a read');
  t.equal(rig.transport.ofType('propose').length, 1, 'nothing more was forwarded');
});
