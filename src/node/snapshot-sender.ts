/**
 * Leader side of InstallSnapshot on the peer port: streams the newest snapshot file to a follower
 * as `snapshotChunk` NDJSON lines (1 MiB of file, base64, per line: well within the peer line
 * limit). Flow control: the next chunk is read only when the connection's backlog is below one
 * chunk, so a slow follower costs at most a couple of MiB of memory and the event loop keeps
 * serving clients between chunks. At most one transfer per follower at a time.
 *
 * The core learns the outcome either way: a failed transfer (connection lost, file unreadable)
 * sends the follower back to probing from what it matched; a finished one (the last chunk queued)
 * has it probed just past the snapshot at the next heartbeat answer, which the follower's
 * acknowledgement of the install normally answers first.
 */
import type { Message, NodeId, SnapshotChunk } from '../protocol/raft-messages.js';
import { realClock, sleep, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import { realSnapshotFs, type SnapshotFs } from './storage/snapshot-fs.js';
import type { SnapshotFileInfo } from './storage/snapshot-store.js';

export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

export interface SnapshotSenderOptions {
  self: NodeId;
  log: Logger;
  /** The newest snapshot on disk, or null. */
  newest: () => SnapshotFileInfo | null;
  /** The current term (chunks carry it; a follower ignores chunks from older terms). */
  term: () => number;
  send: (messages: Message[]) => void;
  /** Bytes waiting to go to `to`, or null when there is no connection to it. */
  backlog: (to: NodeId) => number | null;
  /** The transfer to `to` finished sending (ok true) or failed (ok false). */
  onDone: (to: NodeId, ok: boolean) => void;
  /** Bytes of file per chunk (default SNAPSHOT_CHUNK_BYTES; the simulator uses small ones). */
  chunkBytes?: number;
  /** Where the snapshot files are read (default: the real file system). */
  files?: SnapshotFs;
  /** For the backlog polls and the transfer's duration (default: the real clock). */
  clock?: Clock;
}

export class SnapshotSender {
  private readonly active = new Set<NodeId>();
  private stopped = false;
  private readonly chunkBytes: number;
  private readonly files: SnapshotFs;
  private readonly clock: Clock;

  constructor(private readonly opts: SnapshotSenderOptions) {
    this.chunkBytes = opts.chunkBytes ?? SNAPSHOT_CHUNK_BYTES;
    this.files = opts.files ?? realSnapshotFs;
    this.clock = opts.clock ?? realClock;
  }

  /** The core asked to send `to` a snapshot; starts a transfer unless one is running. */
  start(to: NodeId): void {
    if (this.active.has(to) || this.stopped) return;
    const file = this.opts.newest();
    if (!file) {
      this.opts.log.error(`node ${to} needs a snapshot but none is on disk`);
      this.opts.onDone(to, false);
      return;
    }
    this.active.add(to);
    void this.stream(to, file).then(
      (ok) => {
        this.active.delete(to);
        this.opts.onDone(to, ok);
      },
      (err: Error) => {
        this.active.delete(to);
        this.opts.log.warn(`snapshot ${file.index} to node ${to} failed: ${err.message}`);
        this.opts.onDone(to, false);
      },
    );
  }

  stop(): void {
    this.stopped = true;
  }

  private async stream(to: NodeId, file: SnapshotFileInfo): Promise<boolean> {
    const started = this.clock.monotonic();
    // The file stays readable through an open handle even if a newer snapshot prunes it.
    const fh = await this.files.open(file.path);
    try {
      const size = await fh.size();
      this.opts.log.info(`sending snapshot ${file.index} (term ${file.term}, ${size} bytes) to node ${to}`);
      const buf = Buffer.allocUnsafe(this.chunkBytes);
      let offset = 0;
      for (;;) {
        if (!(await this.waitForRoom(to))) {
          this.opts.log.warn(`snapshot ${file.index} to node ${to} abandoned at byte ${offset} of ${size}: connection lost`);
          return false;
        }
        const bytesRead = await fh.read(buf, this.chunkBytes, offset);
        const done = offset + bytesRead >= size;
        const chunk: SnapshotChunk = {
          type: 'snapshotChunk',
          from: this.opts.self,
          to,
          term: this.opts.term(),
          index: file.index,
          snapshotTerm: file.term,
          offset,
          data: buf.toString('base64', 0, bytesRead),
          done,
        };
        this.opts.send([chunk]);
        offset += bytesRead;
        if (done) break;
        if (bytesRead === 0) throw new Error(`file ended at ${offset} of ${size} bytes`);
      }
      this.opts.log.info(`sent snapshot ${file.index} to node ${to}: ${size} bytes in ${(this.clock.monotonic() - started).toFixed(0)} ms`);
      return true;
    } finally {
      await fh.close();
    }
  }

  /** Waits until the connection to `to` has room for a chunk; false if it is gone. */
  private async waitForRoom(to: NodeId): Promise<boolean> {
    for (;;) {
      if (this.stopped) return false;
      const backlog = this.opts.backlog(to);
      if (backlog === null) return false;
      if (backlog < this.chunkBytes) return true;
      await sleep(this.clock, 5);
    }
  }
}
