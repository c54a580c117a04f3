/**
 * A leader's view of one follower's log (etcd's tracker.Progress).
 *
 * probe:     we do not know where the follower's log matches ours. Send one AppendEntries at a time
 *            and wait for its answer (or a heartbeat response) before the next; back off using the
 *            follower's hint on rejection.
 * replicate: the follower matched at `match`; stream entries optimistically, up to `maxInflight`
 *            unacknowledged messages, advancing `next` as we send.
 * snapshot:  the follower needs entries we compacted away; a snapshot ending at `pendingSnapshot`
 *            is on its way (the node streams it). Nothing else is sent until the follower
 *            acknowledges it, the node reports the transfer ended (done: probe just past the
 *            snapshot; failed: probe from `match`), or `snapshotTicks` runs out.
 *
 * Invariants: match < next; in replicate state every in-flight message's last index is in
 * (match, next - 1], ascending.
 */
export class Progress {
  match = 0;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot' = 'probe';
  /** snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** snapshot state: ticks since the snapshot was sent (a lost transfer must not stall forever). */
  snapshotTicks = 0;
  /** probe state: an append was sent and its answer is awaited. */
  probeSent = false;
  /** Last index of each AppendEntries in flight (replicate state), oldest first. */
  inflight: number[] = [];
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /**
   * Leader leases: the highest `sentTick` this follower echoed in the leader's current term, i.e.
   * it heard from the leader at or after that leader tick; -Infinity until it echoes one.
   */
  leaseAckTick = Number.NEGATIVE_INFINITY;
  /** The commit index the last append to this follower carried (see Raft.announceCommit). */
  sentCommit = 0;

  constructor(next: number, private readonly maxInflight: number) {
    this.next = next;
  }

  /** Can we send another AppendEntries carrying entries now? */
  isPaused(): boolean {
    if (this.state === 'snapshot') return true;
    return this.state === 'probe' ? this.probeSent : this.inflight.length >= this.maxInflight;
  }

  /** An AppendEntries whose last entry is `lastIndex` was sent (entries non-empty or a probe). */
  sent(lastIndex: number, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.inflight.push(lastIndex);
        this.next = lastIndex + 1;
      }
    } else {
      this.probeSent = true;
    }
  }

  /** The follower acknowledged everything up to `index`. Returns true if that was news. */
  acked(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
    }
    if (this.next < index + 1) this.next = index + 1;
    while (this.inflight.length > 0 && this.inflight[0]! <= index) this.inflight.shift();
    this.probeSent = false;
    if (this.state === 'snapshot') {
      // Installed (or the follower got there another way): replicate from what it has.
      if (this.match >= this.pendingSnapshot) this.becomeReplicate();
    } else if (this.state === 'probe' && updated) this.becomeReplicate();
    return updated;
  }

  /**
   * The follower rejected an append at `rejectedIndex`; `next` is where to probe from now.
   * Returns false for stale rejections that must be ignored.
   */
  rejected(rejectedIndex: number, next: number): boolean {
    // An answer to an append sent before the snapshot: the snapshot decides what comes next.
    if (this.state === 'snapshot') return false;
    if (this.state === 'replicate') {
      // A rejection of something below what is already matched is an old, reordered reply.
      if (rejectedIndex <= this.match) return false;
      this.becomeProbe();
    } else if (rejectedIndex !== this.next - 1) {
      // In probe state only the answer to the probe we sent counts.
      return false;
    }
    this.next = Math.max(this.match + 1, Math.min(next, rejectedIndex));
    this.probeSent = false;
    return true;
  }

  freeOldestIfFull(): void {
    if (this.state === 'replicate' && this.inflight.length >= this.maxInflight) this.inflight.shift();
  }

  /** The follower needs a snapshot; `index` is the one being sent. */
  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.snapshotTicks = 0;
    this.probeSent = false;
    this.inflight = [];
  }

  /**
   * The snapshot was streamed whole: probe just past it, paused until the next heartbeat answer
   * (or the follower's acknowledgement of the install, which moves it to replicate).
   */
  snapshotDelivered(): void {
    const after = this.pendingSnapshot + 1;
    this.becomeProbe();
    this.next = Math.max(this.match + 1, after);
    this.probeSent = true;
  }

  becomeProbe(): void {
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.probeSent = false;
    this.inflight = [];
    this.next = this.match + 1;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.pendingSnapshot = 0;
    this.probeSent = false;
    this.inflight = [];
    this.next = this.match + 1;
  }
}

/** The largest index that a majority of `matches` has reached (commit rule, §5.3/§5.4). */
export function quorumIndex(matches: number[]): number {
  const sorted = matches.slice().sort((a, b) => b - a);
  return sorted[Math.floor(sorted.length / 2)]!;
}

