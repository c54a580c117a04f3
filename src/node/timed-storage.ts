/**
 * Times the driver's durable appends (one WAL write + fdatasync per group commit, which is what a
 * write waits for) without touching the WAL: a wrapper of the driver's storage interface.
 */
import type { DriverStorage } from './raft-driver.js';

export function timedStorage(storage: DriverStorage, record: (ms: number) => void): DriverStorage {
  return {
    append(hardState, entries) {
      const at = performance.now();
      return storage.append(hardState, entries).then(() => record(performance.now() - at));
    },
    markSnapshot(index, term, opts) {
      return storage.markSnapshot(index, term, opts);
    },
  };
}
