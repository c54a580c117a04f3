/**
 * The node's snapshot publishing (write a temp file, fsync, rename, directory fsync, prune) on the
 * simulated file system, with a crash after every single file operation, torn or not: recovery
 * (combineSnapshotAndLog, as a restarting node runs it) always finds the old snapshot or the new
 * one, whole, and never trusts a torn or unsynced file.
 */
import t from 'tap';
import { silentLogger } from '../../../src/node/logger.js';
import { combineSnapshotAndLog } from '../../../src/node/recover-state.js';
import { writeSnapshotFile } from '../../../src/node/storage/snapshot-file.js';
import type { SnapshotFs } from '../../../src/node/storage/snapshot-fs.js';
import { pruneSnapshots, publishSnapshot } from '../../../src/node/storage/snapshot-store.js';
import type { WalState } from '../../../src/node/storage/wal-replay.js';
import type { Entry } from '../../../src/protocol/raft-messages.js';
import { Prng } from '../../lib/prng.js';
import { snapshotHeader } from '../../node/storage/snapshot-test-helpers.js';
import { SimSnapshotFs } from './sim-snapshot-fs.js';

const DIR = '/sim/node-1';

/** A life whose operations complete one at a time; `crashAfter` ends it after that many. */
function life(fs: SimSnapshotFs, crashAfter: number, torn: boolean) {
  let queue: (() => void)[] = [];
  let completed = 0;
  let crashed = false;
  const files = fs.forLife((fn) => queue.push(fn));
  /** Completes operations until the code under test is idle (a few turns with nothing queued). */
  const run = async (): Promise<void> => {
    for (let idle = 0; idle < 5; ) {
      await new Promise<void>((r) => setImmediate(r));
      if (queue.length === 0) {
        idle++;
        continue;
      }
      idle = 0;
      if (completed === crashAfter) {
        fs.crash(torn);
        crashed = true;
        return;
      }
      completed++;
      queue.shift()!();
    }
  };
  return { files, run, crashed: () => crashed };
}

async function publish(files: SnapshotFs, index: number): Promise<void> {
  const tmp = `${DIR}/snapshot-${index}-1.life.tmp`;
  await writeSnapshotFile(tmp, snapshotHeader(index, 1, 1), [[`at-${index}`, 'x'.repeat(200)]], files);
  await publishSnapshot(DIR, tmp, index, 1, files);
  await pruneSnapshots(DIR, 2, files);
}

const wal: WalState = {
  hardState: { term: 1, vote: 1, commit: 12 },
  entries: Array.from({ length: 12 }, (_, i): Entry => ({ index: i + 1, term: 1, kind: 'noop', data: null })),
  snapshotIndex: 0,
  snapshotTerm: 0,
};

t.test('a crash after any file operation of publishing snapshot 9 over snapshot 5 recovers 5 or 9, whole', async (t) => {
  let sawNew = 0;
  let sawOld = 0;
  for (const torn of [false, true]) {
    for (let crashAfter = 0; ; crashAfter++) {
      const fs = new SimSnapshotFs(new Prng(crashAfter + (torn ? 1000 : 0)));
      const setup = life(fs, Infinity, false);
      const done = publish(setup.files, 5);
      await setup.run();
      await done;
      const l = life(fs, crashAfter, torn);
      let finished = false;
      void publish(l.files, 9).then(() => (finished = true));
      await l.run();
      const after = life(fs, Infinity, false);
      const recovering = combineSnapshotAndLog(DIR, structuredClone(wal), silentLogger, { addresses: {}, markSnapshot: async () => {}, files: after.files });
      await after.run();
      const r = await recovering;
      t.ok(r.initial.applied === 5 || r.initial.applied === 9, `crash after ${crashAfter} operations (torn ${torn}): recovered snapshot ${r.initial.applied}`);
      t.equal(r.sm.get(`at-${r.initial.applied}`), 'x'.repeat(200), 'its data whole');
      t.notOk(fs.list().some((name) => name.endsWith('.tmp')), 'no temp file is left to be mistaken for a snapshot');
      if (r.initial.applied === 9) sawNew++;
      else sawOld++;
      if (finished && !l.crashed()) break;
    }
  }
  t.ok(sawOld > 0 && sawNew > 0, `both outcomes occur (old ${sawOld}, new ${sawNew})`);
});
