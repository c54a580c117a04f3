/**
 * A node that joined with `--join` starts with an empty bootstrap membership and gets the log
 * from the leader. If it takes its own snapshot at an index before its add entry (it applies the
 * entries before that entry first), the snapshot's header records the membership as of that
 * index: empty voters. Restarting from that snapshot must not leave it believing in an empty
 * cluster: the config entry after the snapshot is still in its WAL (a snapshot covers only entries
 * before it), and recovery plus the core's replay of the log must give back the membership, to
 * the core at once and to the state machine (hence the next snapshot) once it re-applies the entry.
 * The real files (WAL, snapshot) and the real recovery, core and state machine; no mocks.
 */
import t from 'tap';
import { recoverNodeState } from '../../src/node/recover-state.js';
import { RawNode } from '../../src/node/raft/raw-node.js';
import { snapshotConfigOf } from '../../src/node/snapshot-membership.js';
import { Snapshotter } from '../../src/node/snapshotter.js';
import { readSnapshotFile } from '../../src/node/storage/snapshot-file.js';
import { listSnapshots } from '../../src/node/storage/snapshot-store.js';
import { Wal } from '../../src/node/storage/wal.js';
import type { Entry, Membership } from '../../src/protocol/raft-messages.js';
import { entries, tempDir } from './storage/wal-test-helpers.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const address = (id: number) => ({ host: '127.0.0.1', port: 7000 + id, peerPort: 7100 + id });
/** The core's config of node 4 started with --join: no bootstrap members. */
const joinerConfig = { id: 4, peers: [], learners: [], addresses: {}, electionTicksMin: 10, electionTicksMax: 20, heartbeatTicks: 2, random: () => 0.5 };
const EMPTY: Membership = { voters: [], learners: [], addresses: {} };
const withLearner4: Membership = { voters: [1, 2, 3], learners: [4], addresses: { 1: address(1), 2: address(2), 3: address(3), 4: address(4) } };

t.test("a joiner's snapshot taken before its add entry records empty voters; after a restart the log repairs the membership", async (t) => {
  const dir = await tempDir(t);
  // The joiner's log as the leader sent it: six commands, the entry adding node 4 as a learner
  // (carrying the whole membership), two more commands; the leader's commit index so far is 5.
  const addEntry: Entry = { term: 2, index: 7, kind: 'config', data: { change: { type: 'addLearner', id: 4, address: address(4) }, membership: withLearner4 } };
  const log = [...entries(1, 6, 2), addEntry, ...entries(8, 2, 2)];
  {
    const { wal } = await Wal.open(dir);
    await wal.append({ term: 2, vote: 0, commit: 5 }, log);
    await wal.close();
  }
  // First life, as node-main.ts runs a joiner (an empty bootstrap membership): the state machine
  // has applied 1..5 when the node takes its own snapshot, with the real Snapshotter.
  {
    const first = await recoverNodeState(dir, quiet);
    const raw = new RawNode(joinerConfig, first.initial);
    const rd = raw.ready();
    const snapshotter = new Snapshotter({ dir, sm: first.sm, raw, wal: first.wal, log: quiet, bootstrap: EMPTY, every: 0, trailing: 0, existing: [] });
    // Two snapshots (at 3, then 5), so the second compacts the WAL to the first: as much of the
    // log gone as a node ever drops.
    for (const e of rd.committedEntries.slice(0, 3)) first.sm.applyEntry(e);
    t.match(await snapshotter.snapshotNow(), { index: 3, term: 2 });
    for (const e of rd.committedEntries.slice(3)) first.sm.applyEntry(e);
    raw.advance(rd);
    t.match(await snapshotter.snapshotNow(), { index: 5, term: 2 });
    await snapshotter.stop();
    // The leader then commits through 9; the node persists that and crashes before applying.
    await first.wal.append({ term: 2, vote: 0, commit: 9 }, []);
    await first.wal.close();
  }
  for (const file of await listSnapshots(dir)) {
    t.same((await readSnapshotFile(file.path)).header.config.voters, [], `snapshot ${file.index} records empty voters (the case under test)`);
  }

  // The restart, as node-main.ts does it for a joiner (an empty bootstrap membership).
  const rec = await recoverNodeState(dir, quiet);
  t.teardown(() => rec.wal.close());
  t.equal(rec.initial.applied, 5, 'the state machine starts at the snapshot');
  t.equal(rec.initial.snapshotIndex, 3, 'the WAL was compacted to the older snapshot');
  t.same(rec.initial.entries.map((e) => e.index), [4, 5, 6, 7, 8, 9], 'and holds the add entry after the newer one');
  const raw = new RawNode(joinerConfig, rec.initial);
  t.same(raw.membership(), withLearner4, "the core's membership comes from the add entry, not the snapshot's empty header");

  // The entries after the snapshot are applied again; the state machine (what the next snapshot
  // records) learns the membership from the add entry.
  const rd = raw.ready();
  t.same(rd.committedEntries.map((e) => e.index), [6, 7, 8, 9], 'the committed entries after the snapshot are applied again');
  for (const e of rd.committedEntries) rec.sm.applyEntry(e);
  raw.advance(rd);
  t.same(snapshotConfigOf(rec.sm.membership, EMPTY), { voters: [1, 2, 3], learners: [4], addresses: withLearner4.addresses }, 'the next snapshot records the repaired membership');
  t.equal(rec.sm.get('k9'), 'v-é€😀-9', 'and the commands after the snapshot are there');
});
