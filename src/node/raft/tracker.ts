/**
 * The configuration and, on a leader, each member's replication progress, with every quorum
 * question asked in one place (etcd's tracker/ and quorum/): Raft never counts a majority itself.
 * Voters decide elections, commitment, check-quorum, ReadIndex rounds and leases; learners only
 * receive the log.
 */
import type { Membership, NodeId } from '../../protocol/raft-messages.js';
import { isMember, memberIds } from './membership.js';
import { Progress } from './progress.js';

export class ProgressTracker {
  /** Leader only: progress of every member and of the leader itself (even while it is being removed). */
  readonly progress = new Map<NodeId, Progress>();
  /**
   * Leader: members removed by a config entry that is not committed yet. They still get the log
   * (their own removal included, so that they stop campaigning) until it commits.
   */
  private departing: readonly NodeId[] = [];
  /** replicationTargets(), kept because every append, heartbeat and commit announcement asks. */
  private targets: NodeId[] | null = null;

  constructor(
    private readonly self: NodeId,
    private current: Membership,
  ) {}

  get membership(): Membership {
    return this.current;
  }

  set membership(m: Membership) {
    this.current = m;
    this.targets = null;
  }

  setDeparting(ids: readonly NodeId[]): void {
    this.departing = ids;
    this.targets = null;
  }

  isDeparting(id: NodeId): boolean {
    return this.departing.includes(id);
  }

  isVoter(id: NodeId): boolean {
    return this.current.voters.includes(id);
  }

  isMember(id: NodeId): boolean {
    return isMember(this.membership, id);
  }

  /** Everyone a leader replicates to: voters, learners and departing members, this node left out. */
  replicationTargets(): readonly NodeId[] {
    if (this.targets === null) {
      const ids = memberIds(this.current);
      for (const id of this.departing) if (!ids.includes(id)) ids.push(id);
      this.targets = ids.filter((id) => id !== this.self);
    }
    return this.targets;
  }

  /** This node is the only voter: it decides alone. */
  isSoleVoter(self: NodeId): boolean {
    const v = this.current.voters;
    return v.length === 1 && v[0] === self;
  }

  /** Votes (or acknowledgements) needed: a majority of the voters. */
  quorum(): number {
    return Math.floor(this.current.voters.length / 2) + 1;
  }

  /** How many of `ids` are voters. */
  votersAmong(ids: Iterable<NodeId>): number {
    let n = 0;
    for (const id of ids) if (this.isVoter(id)) n++;
    return n;
  }

  hasQuorum(ids: Iterable<NodeId>): boolean {
    return this.current.voters.length > 0 && this.votersAmong(ids) >= this.quorum();
  }

  /** The outcome of a (pre-)campaign so far; only voters' answers count. */
  voteResult(votes: Map<NodeId, boolean>): 'won' | 'lost' | 'pending' {
    let granted = 0;
    let rejected = 0;
    for (const [id, v] of votes) {
      if (!this.isVoter(id)) continue;
      if (v) granted++;
      else rejected++;
    }
    const q = this.quorum();
    if (granted >= q) return 'won';
    if (rejected >= q || this.current.voters.length - rejected < q) return 'lost';
    return 'pending';
  }

  /** The largest index a majority of voters has durably (§5.3); 0 with no voters. */
  committedIndex(): number {
    const matches = this.current.voters.map((id) => this.progress.get(id)?.match ?? 0);
    if (matches.length === 0) return 0;
    matches.sort((a, b) => b - a);
    return matches[this.quorum() - 1]!;
  }

  /** Check-quorum: a majority of voters was heard from (the leader counts if it is a voter). */
  quorumActive(self: NodeId): boolean {
    const active: NodeId[] = [];
    for (const [id, pr] of this.progress) if (id === self || pr.recentActive) active.push(id);
    return this.hasQuorum(active);
  }

  /** Leader leases: each voter's last echoed tick (the leader's own clock for itself). */
  leaseAckTicks(self: NodeId, now: number): number[] {
    return this.current.voters.map((id) => (id === self ? now : (this.progress.get(id)?.leaseAckTick ?? Number.NEGATIVE_INFINITY)));
  }
}
