/**
 * Follower side of InstallSnapshot: assembles `snapshotChunk` lines into a temp file, verifies the
 * whole file (trailer, checksum, header), builds the state machine it holds, and only then tells
 * the core "a snapshot through (index, term) is here" (an InstallSnapshot message of its own
 * making; the peer port never accepts a bare one). The driver installs it when the core accepts:
 * until then this node's persisted state is untouched, so a crash or a new leader in the middle
 * of a transfer leaves the old state, and a completed install leaves the whole new one.
 *
 * One transfer at a time: a chunk at offset 0 (re)starts it; a chunk that does not continue the
 * current transfer exactly (other sender, snapshot, term, or offset: a reconnect lost some) ends
 * it, and the leader starts over after its snapshot timeout.
 */
import * as path from 'node:path';
import type { InstallSnapshot, MemberAddress, NodeId, SnapshotChunk } from '../protocol/raft-messages.js';
import { membershipOfSnapshot } from './snapshot-membership.js';
import { KvStateMachine } from './kv-state-machine.js';
import { realClock, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import { realSnapshotFs, type SnapshotFs, type WritableSnapshotFile } from './storage/snapshot-fs.js';
import { readSnapshotFile, type SnapshotHeader } from './storage/snapshot-file.js';

/** A verified snapshot waiting for the core to accept it. */
export interface ReceivedSnapshot {
  index: number;
  term: number;
  header: SnapshotHeader;
  sm: KvStateMachine;
  tmpPath: string;
}

export interface SnapshotReceiverOptions {
  self: NodeId;
  dir: string;
  log: Logger;
  /** This node's current term: chunks from an older term are ignored. */
  term: () => number;
  /** Hands the core the InstallSnapshot message once the file is verified. */
  deliver: (m: InstallSnapshot, received: ReceivedSnapshot) => void;
  /** Addresses this node knows (cluster.json, the membership), for old headers without them. */
  knownAddresses: () => Record<string, MemberAddress>;
  /** Largest snapshot accepted (a member cannot fill the disk). Default 8 GiB. */
  maxBytes?: number;
  /** Where the incoming file is written (default: the real file system). */
  files?: SnapshotFs;
  /** For the transfer's duration in the log (default: the real clock). */
  clock?: Clock;
  /** Makes temp file names unique per process (default: the pid). */
  tmpTag?: string;
}

interface Transfer {
  from: NodeId;
  term: number;
  index: number;
  snapshotTerm: number;
  tmpPath: string;
  fh: WritableSnapshotFile;
  /** Bytes received so far (the next chunk's offset). */
  next: number;
  /** Writes in order, one after another. */
  writing: Promise<void>;
  started: number;
}

export class SnapshotReceiver {
  private current: Transfer | null = null;
  private seq = 0;
  private readonly files: SnapshotFs;
  private readonly clock: Clock;

  constructor(private readonly opts: SnapshotReceiverOptions) {
    this.files = opts.files ?? realSnapshotFs;
    this.clock = opts.clock ?? realClock;
  }

  /** True while a transfer is being received (for status displays). */
  get receiving(): { from: NodeId; index: number; bytes: number } | null {
    const t = this.current;
    return t ? { from: t.from, index: t.index, bytes: t.next } : null;
  }

  onChunk(c: SnapshotChunk): void {
    if (c.term < this.opts.term()) return; // from a deposed leader
    let t = this.current;
    if (c.offset === 0) {
      if (t) this.abandon(t, `a new transfer (snapshot ${c.index} from node ${c.from}) started`);
      t = this.begin(c);
    } else if (!t || t.from !== c.from || t.index !== c.index || t.snapshotTerm !== c.snapshotTerm || t.term !== c.term || t.next !== c.offset) {
      if (t) this.abandon(t, `chunk at ${c.offset} from node ${c.from} does not continue it (expected ${t.next})`);
      return;
    }
    const data = Buffer.from(c.data, 'base64');
    const maxBytes = this.opts.maxBytes ?? 8 * 1024 ** 3;
    if (t.next + data.length > maxBytes) {
      this.abandon(t, `larger than the ${maxBytes}-byte limit`);
      return;
    }
    const at = t.next;
    t.next += data.length;
    const transfer = t;
    t.writing = t.writing.then(() => transfer.fh.write(data, at));
    if (c.done) void this.finish(t);
  }

  /** Drops any transfer in progress (the node is stopping). */
  async close(): Promise<void> {
    if (this.current) this.abandon(this.current, 'node stopping');
  }

  private begin(c: SnapshotChunk): Transfer {
    const tmpPath = path.join(this.opts.dir, `incoming-${c.index}-${c.snapshotTerm}.${this.opts.tmpTag ?? process.pid}.${++this.seq}.tmp`);
    const opening = this.files.create(tmpPath);
    const t: Transfer = {
      from: c.from,
      term: c.term,
      index: c.index,
      snapshotTerm: c.snapshotTerm,
      tmpPath,
      fh: null as unknown as WritableSnapshotFile,
      next: 0,
      writing: opening.then((fh) => {
        t.fh = fh;
      }),
      started: this.clock.monotonic(),
    };
    this.current = t;
    this.opts.log.info(`receiving snapshot ${c.index} (term ${c.snapshotTerm}) from node ${c.from}`);
    return t;
  }

  private abandon(t: Transfer, why: string): void {
    if (this.current === t) this.current = null;
    this.opts.log.warn(`snapshot ${t.index} from node ${t.from} abandoned at byte ${t.next}: ${why}`);
    void t.writing
      .then(() => t.fh?.close())
      .catch(() => {})
      .then(() => this.files.unlink(t.tmpPath))
      .catch(() => {});
  }

  private async finish(t: Transfer): Promise<void> {
    try {
      await t.writing;
      await t.fh.sync();
      await t.fh.close();
    } catch (err) {
      this.abandon(t, `could not write it: ${(err as Error).message}`);
      return;
    }
    if (this.current !== t) return; // replaced meanwhile; abandon() cleans up
    this.current = null;
    try {
      const { header, pairs } = await readSnapshotFile(t.tmpPath, this.files);
      if (header.index !== t.index || header.term !== t.snapshotTerm) throw new Error(`its header says ${header.index}/${header.term}`);
      const sm = KvStateMachine.fromSnapshot({ ...header.sm, data: pairs });
      // The core takes the membership from the header (InstallSnapshot.membership), the state
      // machine keeps it for the snapshots this node takes later.
      const membership = membershipOfSnapshot(header.config, this.opts.knownAddresses());
      sm.membership = membership;
      const ms = this.clock.monotonic() - t.started;
      this.opts.log.info(`received snapshot ${t.index} (term ${t.snapshotTerm}) from node ${t.from}: ${t.next} bytes, ${pairs.length} keys in ${ms.toFixed(0)} ms`);
      this.opts.deliver(
        { type: 'snapshot', from: t.from, to: this.opts.self, term: t.term, index: t.index, snapshotTerm: t.snapshotTerm, membership },
        { index: t.index, term: t.snapshotTerm, header, sm, tmpPath: t.tmpPath },
      );
    } catch (err) {
      this.opts.log.warn(`snapshot ${t.index} from node ${t.from} failed verification, discarded: ${(err as Error).message}`);
      await this.files.unlink(t.tmpPath).catch(() => {});
    }
  }
}
