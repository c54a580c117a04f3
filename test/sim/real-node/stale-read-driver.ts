/**
 * `--sabotage stale-read`: a RaftDriver whose read barrier passes at once, so the node answers a
 * read from its own state machine without confirming that it leads (no ReadIndex round, no
 * lease). A lagging follower or a deposed leader then serves old values, which the
 * linearizability check must catch. Test code only: the node process never builds it.
 */
import type { Completion } from '../../../src/node/client-waiters.js';
import { RaftDriver } from '../../../src/node/raft-driver.js';

export class StaleReadDriver extends RaftDriver {
  override readBarrier(done: Completion<void>): void {
    done(null);
  }
}
