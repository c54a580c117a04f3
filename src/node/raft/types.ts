/**
 * The contract between the consensus core and whatever drives it (the node process, or the
 * simulator). The core is a deterministic state machine: the same config, the same random source
 * and the same sequence of inputs give the same outputs. It never does I/O, reads no clock and
 * draws randomness only from `RaftConfig.random`.
 *
 * Driving it (etcd's order, which the safety argument depends on):
 *   1. feed inputs: tick(), step(msg), propose(data), readIndex(ctx);
 *   2. if hasReady(): rd = ready();
 *   3. persist rd.hardState and rd.entries durably (fsync);
 *   4. send rd.messages;
 *   5. apply rd.committedEntries in order; serve rd.readStates once applied >= index;
 *   6. advance(rd).
 * A crash anywhere loses whatever was not persisted in step 3; the core must be rebuilt from what
 * was (RaftInitialState).
 *
 * Time: tick() is the core's only clock. With readMode 'lease' the driver must keep each node's
 * tick count in step with real time: before every input (step, propose, readIndex), call tick()
 * once per tickMs elapsed on a monotonic clock since the last tick, so a late timer, a busy event
 * loop or a GC pause never leaves the count behind (a leader whose clock lags would keep its lease
 * too long; see lease.ts). Every node must use the same ticks, readMode and maxClockDrift.
 */
import type { Entry, HardState, MemberAddress, Membership, Message, NodeId, Role } from '../../protocol/raft-messages.js';

export interface RaftConfig {
  /** This node's id (> 0). */
  id: NodeId;
  /**
   * The bootstrap voters (cluster.json), used until the log or a snapshot says otherwise. May be
   * empty and need not include this node: a node joining a running cluster starts with no
   * membership and never campaigns until a config entry makes it a voter.
   */
  peers: NodeId[];
  /** Bootstrap learners. Default none. */
  learners?: NodeId[];
  /** Bootstrap members' addresses (carried in config entries; the core never uses them). */
  addresses?: Record<string, MemberAddress>;
  /**
   * Election timeout in ticks: each follower/candidate draws a fresh timeout uniformly from
   * [electionTicksMin, electionTicksMax] every time it resets its timer (§5.2).
   */
  electionTicksMin: number;
  electionTicksMax: number;
  /** A leader sends heartbeats every `heartbeatTicks` ticks; must be well below electionTicksMin. */
  heartbeatTicks: number;
  /** Seeded source of randomness in [0, 1). The only randomness the core uses. */
  random: () => number;
  /** Pre-vote (thesis §9.6): a node campaigns only if a majority would vote for it. Default true. */
  preVote?: boolean;
  /** Check-quorum: a leader that has not heard from a majority for electionTicksMin steps down. Default true. */
  checkQuorum?: boolean;
  /** Max AppendEntries in flight to one follower before waiting for acknowledgements. Default 64. */
  maxInflight?: number;
  /** Max entries in one AppendEntries message. Default 256. */
  maxEntriesPerMessage?: number;
  /**
   * How a leader confirms a linearizable read (thesis §6.4). 'readindex' (default): a heartbeat
   * round to a majority per batch of reads. 'lease': while its lease is valid the leader answers
   * at once with its commit index (thesis §6.4.1, lease.ts), else it falls back to a ReadIndex
   * round. 'lease' needs checkQuorum and the same setting on every node.
   */
  readMode?: 'readindex' | 'lease';
  /**
   * Lease mode: the most any node's clock may run fast or slow against true time, as a fraction
   * (0.1 = ±10%). The lease is floor((electionTicksMin - 1) * (1 - d) / (1 + d)) ticks. Default 0.1.
   */
  maxClockDrift?: number;
  /**
   * TESTS ONLY: a lease of this many ticks instead of the safe one (0 = the safe one). The
   * simulator's `long-lease` sabotage uses it to show that its checker catches a lease bug.
   */
  unsafeLeaseTicks?: number;
  /**
   * A follower in snapshot state (a transfer under way) goes back to probing after this many
   * ticks without an acknowledgement, in case the transfer was lost without the driver noticing.
   * Default 10 * electionTicksMax.
   */
  snapshotTimeoutTicks?: number;
}

/** Which snapshot: the last index it covers and that entry's term. */
export interface SnapshotMeta {
  index: number;
  term: number;
}

/** What was durable at the last crash or shutdown; a fresh node passes an empty one. */
export interface RaftInitialState {
  hardState: HardState;
  /** The persisted log, in order, with no gaps, starting right after the snapshot (if any). */
  entries: Entry[];
  /** Index and term of the last entry covered by a snapshot; 0/0 when there is none. */
  snapshotIndex: number;
  snapshotTerm: number;
  /** Highest index already applied to the state machine the driver restored (>= snapshotIndex). */
  applied: number;
  /**
   * The membership as of snapshotIndex (from the snapshot's header). Absent: the bootstrap one
   * from RaftConfig. Config entries in `entries` are replayed on top of it.
   */
  membership?: Membership;
}

/** Volatile state worth showing; a Ready carries it when any field changed. */
export interface SoftState {
  role: Role;
  leader: NodeId;
  term: number;
}

/**
 * A linearizable read may be served once the state machine has applied `index` (ReadIndex,
 * thesis §6.4). `index === -1` means the read could not be served (no leader, leadership lost):
 * the driver should fail or retry it.
 */
export interface ReadState {
  ctx: string;
  index: number;
}

export interface Ready {
  /** Non-null when role, leader or term changed since the last Ready. */
  softState: SoftState | null;
  /** Non-null when term, vote or commit changed: persist it before sending `messages`. */
  hardState: HardState | null;
  /**
   * Entries to append durably before sending `messages`. If entries[0].index is at or below the
   * last persisted index, everything persisted from that index on is replaced (a follower's log
   * being corrected by its leader, §5.3).
   */
  entries: Entry[];
  /** Messages to send after the above is durable. Order per destination matters. */
  messages: Message[];
  /** Committed entries to apply, in order, after the above is durable. */
  committedEntries: Entry[];
  /** Reads that became safe to serve (once applied >= index). */
  readStates: ReadState[];
  /**
   * Non-null when this node accepted a snapshot from its leader (InstallSnapshot, §7): before
   * applying `committedEntries` (which follow it) the driver must replace its state machine with
   * that snapshot, and before sending `messages` make it durable (the snapshot file in place,
   * then a WAL marker that supersedes the log up to `snapshot.index`).
   */
  snapshot: SnapshotMeta | null;
  /**
   * Messages the core refused because no correct peer could have sent them (an acknowledgement
   * of entries never sent, a second leader in one term, ...). Nothing changed because of them; the
   * driver logs them, naming the sender.
   */
  refused: { from: NodeId; type: string; reason: string }[];
  /**
   * Non-null when the membership in force changed (a config entry appended or truncated, a
   * snapshot installed; the first Ready always has it): the driver connects to new members and
   * drops removed ones. A change takes effect once in the log, before it commits (membership.ts).
   */
  membership: Membership | null;
  /**
   * True when `entries` is non-empty or term/vote changed: then the write must be fsynced before
   * `messages` go out. A change of `commit` alone need not be synced (a stale commit index is
   * safe; it is re-learned from the leader) and may be written with the next batch.
   */
  mustSync: boolean;
  /**
   * True when `messages` may be sent before the write is durable: this node is the leader and
   * term/vote did not change, so its messages promise nothing about its own disk (a leader counts
   * itself toward commitment only after advance(); Raft thesis §10.2.1).
   */
  sendBeforePersist: boolean;
}

/** What happened to a batch handed to propose(). */
export type ProposeResult =
  /** This node is leader: the batch became entries [index, index + n) of `term`. */
  | { status: 'appended'; index: number; term: number }
  /** Passed on to the leader; the outcome shows up only when (if) the entries are applied. */
  | { status: 'forwarded'; leader: NodeId }
  /** Not accepted: no known leader (leader === 0), or a leadership transfer is under way. */
  | { status: 'dropped'; leader: NodeId };

/** What happened to a membership change handed to proposeConfChange(). */
export type ConfChangeResult =
  /** Appended as entry `index`: done once that entry is applied. */
  | { status: 'appended'; index: number; term: number }
  /** Only the leader takes changes; `leader` is the one this node knows (0 = none). */
  | { status: 'notLeader'; leader: NodeId }
  /** Not allowed (BAD_REQUEST), not now (IN_PROGRESS: retry later), or the learner lags (NOT_CAUGHT_UP). */
  | { status: 'refused'; code: 'BAD_REQUEST' | 'IN_PROGRESS' | 'NOT_CAUGHT_UP'; reason: string };

/** Whether a leadership transfer started (done = a softState naming the transferee as leader). */
export type TransferResult = { ok: true } | { ok: false; code: 'NOT_LEADER' | 'BAD_REQUEST' | 'IN_PROGRESS'; reason: string };

export interface ProgressStatus {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  inflight: number;
  recentActive: boolean;
}

/** A consistent picture of the core for status commands and the TUI. */
export interface RaftStatus {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId;
  leader: NodeId;
  commitIndex: number;
  lastApplied: number;
  firstIndex: number;
  /** The log's compaction point: entries up to here live only in snapshots. */
  snapshotIndex: number;
  snapshotTerm: number;
  /** Last entry durable in this node's own log (a snapshot may cover at most this far). */
  stableIndex: number;
  lastLogIndex: number;
  lastLogTerm: number;
  voters: NodeId[];
  learners: NodeId[];
  /** The membership in force, with addresses. */
  membership: Membership;
  /** Leader: the node a leadership transfer is handing over to; 0 = none. */
  leadTransferee: NodeId;
  /** Index of the newest config entry in the log (0 = none since the snapshot). */
  pendingConfIndex: number;
  /** Only on a leader: replication progress per follower. */
  progress?: Record<string, ProgressStatus>;
  /** Only on a leader in lease mode: ticks its lease still runs (0 = no lease: reads take a round). */
  leaseTicksLeft?: number;
}
