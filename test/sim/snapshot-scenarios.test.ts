/**
 * Snapshots and InstallSnapshot (Raft §7) as scripted scenarios on the simulator: every step runs
 * under the InvariantChecker (which also compares every snapshot taken or installed with the
 * committed history), and each scenario then asserts the outcome §7 requires.
 */
import t from 'tap';
import type { NodeId } from '../../src/protocol/raft-messages.js';
import type { SimCluster } from './cluster.js';
import { awaitConverged, commitAt, electLeader, scriptedCluster, waitFor } from './script.js';

const SNAPSHOTS = { every: 5, trailing: 2 };

/** Commits `batches` batches of 3 commands at the leader, on the nodes in `on`. */
function write(c: SimCluster, leader: NodeId, batches: number, on: readonly NodeId[]): void {
  for (let i = 0; i < batches; i++) commitAt(c, leader, 3, on);
}

/** How many snapshots a node's trace says it installed (we count on the store instead). */
const snapIndex = (c: SimCluster, id: NodeId) => c.node(id).store.snapshot?.index ?? 0;

t.test('§7 a follower behind the leader\'s first log index catches up by InstallSnapshot', async (t) => {
  const c = scriptedCluster(3, { snapshots: SNAPSHOTS });
  const leader = electLeader(c, 1) && 1;
  awaitConverged(c);
  c.crash(3);
  write(c, leader, 10, [1, 2]);
  const first = c.status(leader)!.firstIndex;
  t.ok(first > c.node(3).store.lastIndex + 1, `the leader compacted past node 3's log (first index ${first}, node 3 ends at ${c.node(3).store.lastIndex})`);
  c.restart(3);
  awaitConverged(c);
  t.ok(snapIndex(c, 3) >= first - 1, `node 3 installed a snapshot through ${snapIndex(c, 3)}`);
  t.same(c.appliedLog(3).map((e) => e.index), c.appliedLog(1).map((e) => e.index), 'and holds the same state machine');
  write(c, leader, 2, [1, 2, 3]);
});

t.test('§7 a crash while taking a snapshot loses nothing (the temp file dies with the process)', async (t) => {
  const c = scriptedCluster(3, { snapshots: SNAPSHOTS });
  electLeader(c, 1);
  awaitConverged(c);
  let armed = true;
  c.crashHook = (id, point) => {
    if (armed && id === 2 && point === 'during-snapshot') {
      armed = false;
      return true;
    }
    return false;
  };
  write(c, 1, 6, [1, 3]);
  t.notOk(armed, 'node 2 crashed in the middle of a snapshot');
  t.notOk(c.node(2).up);
  c.crashHook = null;
  c.restart(2);
  awaitConverged(c);
  write(c, 1, 2, [1, 2, 3]);
  t.same(c.appliedLog(2), c.appliedLog(1), 'node 2 recovered every entry');
});

t.test('§7 a crash in the middle of installing a snapshot leaves the old state or the whole new one', async (t) => {
  for (const point of ['after-ready', 'after-persist', 'after-send', 'after-apply'] as const) {
    const c = scriptedCluster(3, { snapshots: SNAPSHOTS });
    electLeader(c, 1);
    awaitConverged(c);
    c.crash(3);
    write(c, 1, 10, [1, 2]);
    let crashed = false;
    c.crashHook = (id, p) => {
      // The first Ready of node 3 that installs a snapshot: its install is cut short at `point`.
      const installing = id === 3 && c.node(3).receivedSnapshots.size > 0;
      if (!crashed && installing && p === point) {
        crashed = true;
        return true;
      }
      return false;
    };
    c.restart(3);
    waitFor(c, `node 3 to crash ${point}`, () => crashed, 400);
    c.crashHook = null;
    const disk = c.node(3).store;
    t.ok(disk.snapshot === null || disk.firstIndex === disk.snapshot.index + 1, `${point}: on disk either no snapshot or the whole installed one`);
    c.restart(3);
    awaitConverged(c);
    t.same(c.appliedLog(3), c.appliedLog(1), `${point}: node 3 ends with the leader's state`);
  }
});

/**
 * Node 3 was down while leader 1 compacted past its log; it is back and the leader has just put a
 * snapshot on the (slow: 3 ticks a message) wire to it.
 */
function transferUnderWay(): SimCluster {
  const c = scriptedCluster(3, { snapshots: SNAPSHOTS, network: { delayTicksMin: 3, delayTicksMax: 3 } });
  electLeader(c, 1);
  awaitConverged(c);
  c.crash(3);
  write(c, 1, 10, [1, 2]);
  c.restart(3);
  waitFor(c, 'the leader to start sending a snapshot', () => c.status(1)!.progress?.['3']?.state === 'snapshot', 200);
  return c;
}

t.test('§7 a partition during InstallSnapshot: the transfer is lost, retried after healing, nothing breaks', async (t) => {
  const c = transferUnderWay();
  // Cut node 3 off as soon as the snapshot is on the wire: it never arrives.
  c.network.isolate(3);
  c.ticks(100);
  t.equal(snapIndex(c, 3), 0, 'nothing installed while cut off');
  c.network.heal();
  awaitConverged(c, 2000);
  t.ok(snapIndex(c, 3) > 0, 'installed after the heal');
  t.same(c.appliedLog(3), c.appliedLog(1));
});

t.test('§7 a new leader takes over in the middle of a transfer', async (t) => {
  const c = transferUnderWay();
  c.crash(1);
  waitFor(c, 'node 3 to catch up under the new leader', () => {
    const l = c.leader();
    return l !== 0 && c.node(3).store.applied === c.status(l)!.lastLogIndex;
  }, 3000);
  t.not(c.leader(), 1, 'another node leads');
  c.restart(1);
  awaitConverged(c, 3000);
  for (const id of [2, 3]) t.same(c.appliedLog(id), c.appliedLog(1), `node ${id} converged`);
});
