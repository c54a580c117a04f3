/**
 * The Raft wire vocabulary: log entries, durable state and the messages peers exchange.
 *
 * These are plain JSON-serialisable objects. The consensus core (src/node/raft/) produces and
 * consumes them; the peer transport frames them as NDJSON; the WAL stores entries and hard state.
 * Nothing here does I/O.
 */

/** Node ids are small positive integers, as in cluster.json. 0 means "none" (no vote, no leader). */
export type NodeId = number;
export const NO_NODE: NodeId = 0;

/**
 * One log entry. `index` starts at 1 for a fresh log, but a log may start later after a snapshot:
 * nothing may assume that index 1 exists.
 */
export interface Entry {
  /** Term in which a leader created the entry. */
  term: number;
  /** Position in the log; consecutive, strictly increasing. */
  index: number;
  /**
   * `noop` is the entry a new leader appends to commit entries of older terms (§8); `config` a
   * membership change (data: ConfigEntryData).
   */
  kind: 'cmd' | 'noop' | 'config';
  /** The state machine command; opaque to the core (a JSON value). Absent on `noop`. */
  data?: unknown;
}

/** Where a member listens: clients on `port`, peers on `peerPort`. */
export interface MemberAddress {
  host: string;
  port: number;
  peerPort: number;
}

/** One membership change (single-server changes, thesis §4.1; see src/node/raft/membership.ts). */
export type ConfChange =
  | { type: 'addLearner'; id: NodeId; address: MemberAddress }
  | { type: 'addVoter'; id: NodeId; address: MemberAddress }
  | { type: 'promote'; id: NodeId }
  | { type: 'remove'; id: NodeId };

/**
 * The whole membership: voters and learners (ascending ids, disjoint) and every member's address
 * (keyed by id as a string, since it travels as JSON).
 */
export interface Membership {
  voters: NodeId[];
  learners: NodeId[];
  addresses: Record<string, MemberAddress>;
}

/**
 * `data` of a `config` entry: the change and the membership it results in. The membership is
 * carried whole so that a node replaying the log from any config entry (a new member catching up
 * from the leader's log) knows every member without the state before it.
 */
export interface ConfigEntryData {
  change: ConfChange;
  membership: Membership;
}

/** The state that must be on disk before any message depending on it leaves the node (Figure 2). */
export interface HardState {
  term: number;
  /** Who this node voted for in `term`, or NO_NODE. */
  vote: NodeId;
  /** Highest index known committed. Persisted so restarts re-apply less; safe if stale. */
  commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NO_NODE, commit: 0 });

/** Fields every peer message has. */
interface MessageBase {
  from: NodeId;
  to: NodeId;
  /** Sender's term (for pre-vote requests: the term it *would* campaign in). */
  term: number;
}

/** RequestVote (§5.2) and its pre-vote twin (thesis §9.6): `pre` votes change no state. */
export interface VoteRequest extends MessageBase {
  type: 'vote';
  pre: boolean;
  lastLogIndex: number;
  lastLogTerm: number;
  /**
   * Leadership transfer (thesis §3.10): the candidate campaigns because its leader told it to
   * (timeoutNow), so voters that just heard from that leader vote anyway instead of protecting it.
   */
  transfer?: boolean;
}

export interface VoteResponse extends MessageBase {
  type: 'voteResp';
  pre: boolean;
  granted: boolean;
}

/** AppendEntries (§5.3). An empty `entries` still carries `commit` and probes the follower. */
export interface AppendRequest extends MessageBase {
  type: 'append';
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  /** Leader's commit index. */
  commit: number;
  /**
   * Leader leases only (thesis §6.4.1): the leader's clock, in its own ticks, when it created this
   * message. The follower echoes it in its response, telling the leader "I heard from you no
   * earlier than your tick `sentTick`".
   */
  sentTick?: number;
}

/**
 * Reply to AppendEntries. On success `index` is the last index now known to match the leader.
 * On rejection `index` is the rejected prevLogIndex and the hint lets the leader skip back a whole
 * term at a time (§5.3, "fast backtracking"): `hintIndex` is where the leader should probe next,
 * `hintTerm` the follower's term at that index (0 if the follower's log is shorter).
 */
export interface AppendResponse extends MessageBase {
  type: 'appendResp';
  success: boolean;
  index: number;
  hintIndex: number;
  hintTerm: number;
  /** The request's `sentTick`, echoed (leader leases). */
  sentTick?: number;
}

/**
 * Heartbeat: keeps followers from campaigning and advances their commit index. `ctx`, when set,
 * ties it to a ReadIndex round (the response echoes it back).
 */
export interface HeartbeatRequest extends MessageBase {
  type: 'heartbeat';
  commit: number;
  ctx?: string;
  /** As in AppendRequest: the leader's tick when it created the heartbeat (leader leases). */
  sentTick?: number;
}

export interface HeartbeatResponse extends MessageBase {
  type: 'heartbeatResp';
  ctx?: string;
  /** The request's `sentTick`, echoed (leader leases). */
  sentTick?: number;
}

/** A follower passes client proposals to the leader it knows (etcd's MsgProp forwarding). */
export interface ProposeForward extends MessageBase {
  type: 'propose';
  data: unknown[];
}

/** A follower asks the leader for a read index on behalf of its clients. */
export interface ReadIndexRequest extends MessageBase {
  type: 'readIndex';
  ctx: string;
}

/** `index` is the commit index the read must wait for; -1 if the leader could not serve it. */
export interface ReadIndexResponse extends MessageBase {
  type: 'readIndexResp';
  ctx: string;
  index: number;
}

/** Tells the receiver to campaign at once (leadership transfer; thesis §3.10). */
export interface TimeoutNow extends MessageBase {
  type: 'timeoutNow';
}

/**
 * InstallSnapshot (§7), as the consensus core sees it: "replace your log up to `index` with the
 * snapshot that ends at (`index`, `snapshotTerm`)". The core never holds snapshot bytes. A leader's
 * core emits it when a follower needs entries it has compacted away; the node then streams the
 * snapshot file as `snapshotChunk` lines and, once the receiver has the whole file verified, the
 * receiver steps its core with this message. The follower answers with an `appendResp`
 * (success, index = the snapshot's index) once the snapshot is installed and durable.
 */
export interface InstallSnapshot extends MessageBase {
  type: 'snapshot';
  /** Last log index the snapshot covers. */
  index: number;
  /** Term of the entry at `index`. */
  snapshotTerm: number;
  /**
   * The membership as of `index`, from the snapshot's header (set by the receiving node, never
   * sent by the leader's core). Absent: the follower keeps the membership it has.
   */
  membership?: Membership;
}

/**
 * One piece of a snapshot file on the wire (never stepped into the core). `offset` is the byte
 * offset of `data` (base64) in the file; `done` marks the last chunk, which carries the file's
 * total size. `term` is the sending leader's term, `index`/`snapshotTerm` identify the snapshot
 * so that a receiver can tell one transfer from the next.
 */
export interface SnapshotChunk extends MessageBase {
  type: 'snapshotChunk';
  index: number;
  snapshotTerm: number;
  offset: number;
  data: string;
  done: boolean;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | ProposeForward
  | ReadIndexRequest
  | ReadIndexResponse
  | TimeoutNow
  | InstallSnapshot
  | SnapshotChunk;

/**
 * The first line on every peer connection: the dialler names itself and the node it meant to reach.
 * It is an introduction, not authentication: whoever can reach a peer port can claim any id.
 */
export interface Hello {
  hello: { from: NodeId; to: NodeId };
}

export type MessageType = Message['type'];

export const MESSAGE_TYPES: readonly MessageType[] = [
  'vote',
  'voteResp',
  'append',
  'appendResp',
  'heartbeat',
  'heartbeatResp',
  'propose',
  'readIndex',
  'readIndexResp',
  'timeoutNow',
  'snapshot',
  'snapshotChunk',
];

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';
