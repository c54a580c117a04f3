/**
 * The Raft state machine of one node: elections, replication, commitment and ReadIndex.
 *
 * Pure and deterministic: it reacts to tick(), step(), propose() and readIndex() by changing its
 * state and queueing messages and read states; RawNode turns that into Ready batches. No I/O, no
 * clock, randomness only from config.random. Section numbers refer to the Raft paper (Ongaro &
 * Ousterhout 2014) and, where marked "thesis", to Ongaro's dissertation.
 */
import {
  NO_NODE,
  type ConfChange,
  type AppendRequest,
  type AppendResponse,
  type Entry,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type InstallSnapshot,
  type Message,
  type NodeId,
  type Role,
  type VoteRequest,
  type VoteResponse,
} from '../../protocol/raft-messages.js';
import { RaftLog, assert } from './log.js';
import { Progress } from './progress.js';
import { ProgressTracker } from './tracker.js';
import { applyConfChange, bootstrapMembership, isMember, isRefusal } from './membership.js';
import { leaseTicksFor, leaseTicksLeft } from './lease.js';
import { ReadIndexQueue } from './read-index.js';
import type { ConfChangeResult, ProposeResult, RaftConfig, RaftInitialState, RaftStatus, ReadState, Ready, SnapshotMeta, TransferResult } from './types.js';

/** See Raft.readRoundsThisTick. Honest traffic starts about one round per Ready per node. */
const MAX_READ_ROUNDS_PER_TICK = 8;

type MessageBody<T> = T extends Message ? Omit<T, 'from' | 'to' | 'term'> & { term?: number } : never;

export class Raft {
  readonly id: NodeId;
  private readonly cfg: Required<Omit<RaftConfig, 'learners' | 'addresses'>>;
  /** The membership in force (the newest in the log) and, on a leader, every member's progress. */
  readonly tracker: ProgressTracker;
  /** The membership changed since RawNode last reported it (Ready.membership). */
  membershipChanged = true;

  term = 0;
  vote: NodeId = NO_NODE;
  leader: NodeId = NO_NODE;
  role: Role = 'follower';
  readonly log: RaftLog;

  /** Outbox, drained by RawNode.ready(). */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Messages refused as impossible (see Ready.refused); drained by RawNode.ready(). */
  refused: Ready['refused'] = [];
  /** Follower: a snapshot accepted from the leader that the driver has yet to install (Ready.snapshot). */
  pendingInstall: SnapshotMeta | null = null;

  /**
   * This node's clock: ticks since this incarnation started. Monotonic, never reset; leases are
   * measured on it (the leader stamps it on what it sends, followers echo it back).
   */
  private clock = 0;
  /** Length of a leader lease in ticks (lease mode); see lease.ts for why it is safe. */
  private readonly leaseTicks: number;
  /** Ticks since the last valid contact from a leader (follower) or last check-quorum (leader). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Votes received in the current (pre-)campaign: true = granted. */
  private votes = new Map<NodeId, boolean>();
  /** Leader only: replication progress of every member, this node included (tracker.progress). */
  private readonly prs: Map<NodeId, Progress>;
  /**
   * Leader: the voter a leadership transfer hands over to (thesis §3.10), NO_NODE if none; ticks
   * since it started; whether timeoutNow went out. While it runs, proposals are dropped.
   */
  private leadTransferee: NodeId = NO_NODE;
  /** For RawNode.leadTransferee() (the driver asks while a transfer it answers for runs). */
  get leadTransfereeId(): NodeId {
    return this.leadTransferee;
  }
  private transferElapsed = 0;
  private transferTimeoutSent = false;
  /**
   * Leader: this term's lease is given up for good. Set when a transfer starts: the transferee's
   * voters ignore the "heard from a leader recently" rule the lease rests on (lease.ts).
   */
  private leaseRevoked = false;
  private readonly reads = new ReadIndexQueue();
  /** Leader only: reads that arrived before the leader committed an entry of its term (§8). */
  private readsAwaitingFirstCommit: { ctx: string; from: NodeId }[] = [];
  /** Leader: the commit index moved and followers have not all been told (announceCommit). */
  private commitUnannounced = false;
  /** Follower only: read contexts forwarded to the leader, failed if that leader goes away. */
  private forwardedReads = new Set<string>();
  /**
   * Leader: heartbeat rounds started for reads during the current tick, and whether a read had to
   * wait for the next tick's round. A flood of readIndex messages (a faulty or forged peer) costs at
   * most MAX_READ_ROUNDS_PER_TICK broadcasts per tick; the reads beyond ride on the next round.
   */
  private readRoundsThisTick = 0;
  private readRoundOwed = false;

  constructor(config: RaftConfig, initial?: RaftInitialState) {
    this.cfg = {
      preVote: true,
      checkQuorum: true,
      maxInflight: 64,
      maxEntriesPerMessage: 256,
      readMode: 'readindex',
      maxClockDrift: 0.1,
      unsafeLeaseTicks: 0,
      snapshotTimeoutTicks: 10 * config.electionTicksMax,
      ...config,
    };
    validateConfig(this.cfg);
    this.leaseTicks = this.cfg.unsafeLeaseTicks > 0 ? this.cfg.unsafeLeaseTicks : leaseTicksFor(this.cfg.electionTicksMin, this.cfg.maxClockDrift);
    assert(this.cfg.readMode !== 'lease' || this.leaseTicks >= 1, `config: electionTicksMin ${this.cfg.electionTicksMin} leaves no room for a lease with maxClockDrift ${this.cfg.maxClockDrift}`);
    this.id = config.id;
    const init = initial ?? { hardState: { term: 0, vote: 0, commit: 0 }, entries: [], snapshotIndex: 0, snapshotTerm: 0, applied: 0 };
    const base = init.membership ?? bootstrapMembership(config.peers, config.learners, config.addresses);
    this.log = new RaftLog(init.entries, init.snapshotIndex, init.snapshotTerm, init.hardState.commit, init.applied, base);
    this.tracker = new ProgressTracker(config.id, this.log.membership());
    this.prs = this.tracker.progress;
    this.term = init.hardState.term;
    this.vote = init.hardState.vote;
    this.becomeFollower(this.term, NO_NODE);
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    this.clock++;
    this.readRoundsThisTick = 0;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Voters, ascending (the membership in force). */
  get voters(): NodeId[] {
    return this.tracker.membership.voters;
  }

  propose(data: unknown[]): ProposeResult {
    if (this.role === 'leader' && this.leadTransferee !== NO_NODE) return { status: 'dropped', leader: this.id };
    if (this.role === 'leader') {
      const index = this.log.lastIndex() + 1;
      this.appendEntries(data);
      return { status: 'appended', index, term: this.term };
    }
    if (this.leader !== NO_NODE) {
      this.send(this.leader, { type: 'propose', data });
      return { status: 'forwarded', leader: this.leader };
    }
    return { status: 'dropped', leader: NO_NODE };
  }

  readIndex(ctx: string): void {
    if (this.role === 'leader') {
      this.leaderReadIndex(ctx, this.id);
    } else if (this.leader !== NO_NODE) {
      this.forwardedReads.add(ctx);
      this.send(this.leader, { type: 'readIndex', ctx });
    } else {
      this.readStates.push({ ctx, index: -1 });
    }
  }

  step(m: Message): void {
    this.stepMessage(m);
    // Appends may have brought or truncated config entries, a snapshot a whole new membership.
    this.syncMembership();
  }

  private stepMessage(m: Message): void {
    if (m.to !== this.id) return;
    const impossible = this.impossible(m);
    if (impossible !== null) {
      // Judged before any state changes (etcd drops such messages in Step): a faulty or forged
      // peer must not move our term, our log or a follower's progress.
      this.refused.push({ from: m.from, type: m.type, reason: impossible });
      return;
    }
    // Forwarded client work is not part of the term protocol (like etcd's local MsgProp).
    if (m.type === 'propose') {
      if (this.role === 'leader' && this.leadTransferee === NO_NODE) this.appendEntries(m.data);
      return; // not leader: dropped; the client's request times out and is retried
    }
    if (m.type === 'readIndex') {
      if (this.role === 'leader') this.leaderReadIndex(m.ctx, m.from);
      else this.send(m.from, { type: 'readIndexResp', ctx: m.ctx, index: -1 });
      return;
    }

    if (m.term > this.term) {
      if (m.type === 'vote' && this.inLease(m.transfer === true)) {
        // §6 / thesis §4.2.3: a node that heard from a leader within the minimum election timeout
        // ignores (pre-)votes, so a partitioned node rejoining cannot depose a healthy leader.
        return;
      }
      const preVoteTraffic = (m.type === 'vote' && m.pre) || (m.type === 'voteResp' && m.pre && m.granted);
      if (!preVoteTraffic) {
        const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
        this.becomeFollower(m.term, fromLeader ? m.from : NO_NODE);
      }
    } else if (m.term < this.term) {
      this.stepStale(m);
      return;
    }

    if (m.type === 'vote') {
      this.handleVote(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------- role changes

  becomeFollower(term: number, leader: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot become pre-candidate');
    // Pre-vote changes neither term nor vote (thesis §9.6): a failed pre-campaign leaves no trace.
    this.votes.clear();
    this.failForwardedReads();
    this.role = 'pre-candidate';
    this.leader = NO_NODE;
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', `only a candidate can become leader, not a ${this.role}`);
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    const next = this.log.lastIndex() + 1;
    for (const id of [this.id, ...this.tracker.replicationTargets()]) {
      const pr = new Progress(next, this.cfg.maxInflight);
      if (id === this.id) {
        // Our own "replication" is the driver's fsync: match is what is durable here.
        pr.state = 'replicate';
        pr.match = this.log.stableIndex();
      }
      pr.recentActive = true;
      this.prs.set(id, pr);
    }
    // §8: a no-op entry of the new term lets the leader commit entries of earlier terms and learn
    // the commit index it needs for ReadIndex.
    this.appendEntries([], true);
  }

  /** Common to every role change: new term clears the vote; timers and leader-only state reset. */
  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.leader = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicksMin + Math.floor(this.cfg.random() * (this.cfg.electionTicksMax - this.cfg.electionTicksMin + 1));
    this.votes.clear();
    this.prs.clear();
    this.tracker.setDeparting([]);
    this.leadTransferee = NO_NODE;
    this.transferTimeoutSent = false;
    this.leaseRevoked = false;
    this.failLeaderReads();
    this.failForwardedReads();
  }

  // ---------------------------------------------------------------- timers

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout && this.promotable()) {
      this.electionElapsed = 0;
      this.campaign(this.cfg.preVote ? 'pre' : 'real');
    }
  }

  /**
   * Whether this node may campaign. Learners and nodes outside the membership (removed, or
   * joining) never do, with one exception (thesis §4.2.2): a voter whose own removal is in its log
   * but not committed. Its log may be the only up-to-date one (a leader that removed itself and
   * lost leadership before the change committed); if it sat out, nobody could be elected. As
   * leader it counts only the new voters, commits its removal and steps down.
   */
  private promotable(): boolean {
    if (this.tracker.isVoter(this.id)) return true;
    return this.log.lastConfigIndex() > this.log.committed && this.log.previousMembership().voters.includes(this.id);
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.prs.values()) {
      // A transfer lost without the driver noticing must not leave the follower stranded.
      if (pr.state === 'snapshot' && ++pr.snapshotTicks >= this.cfg.snapshotTimeoutTicks) pr.becomeProbe();
    }
    if (this.leadTransferee !== NO_NODE && ++this.transferElapsed >= this.cfg.electionTicksMin) {
      // The transferee did not take over within an election timeout: keep leading (§3.10). The
      // lease stays revoked for this term: the transferee may still be campaigning.
      this.leadTransferee = NO_NODE;
      this.transferTimeoutSent = false;
    }
    if (this.electionElapsed >= this.cfg.electionTicksMin) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        // Check-quorum: a leader cut off from a majority steps down rather than keep accepting
        // requests it can never commit (thesis §6.2).
        this.becomeFollower(this.term, NO_NODE);
        return;
      }
      for (const [id, pr] of this.prs) pr.recentActive = id === this.id;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.readRoundOwed = false;
      this.broadcastHeartbeat(this.reads.lastCtx());
    } else if (this.readRoundOwed) {
      this.readRoundOwed = false;
      this.readRoundsThisTick++;
      this.broadcastHeartbeat(this.reads.lastCtx());
    }
  }

  /** Heard from a leader recently enough that an election now would be disruptive. */
  private inLease(transfer = false): boolean {
    if (!this.cfg.checkQuorum) return false;
    // As in etcd, a leader counts as "in lease" too: with check-quorum it steps down by itself
    // when it loses the majority, so a vote from a higher term only disrupts it. A transfer's
    // candidate was sent by that leader, which gave up its lease first: it gets the vote.
    if (!transfer && this.leader !== NO_NODE && this.electionElapsed < this.cfg.electionTicksMin) return true;
    // Leader leases rely on this rule (lease.ts): a node that acknowledged a leader must not vote
    // for anyone else until electionTicksMin of its ticks have passed. A node that just (re)started
    // may have acknowledged one right before it crashed, and its memory of that is gone: it waits
    // out a full minimum election timeout after booting before it votes.
    return this.cfg.readMode === 'lease' && this.clock < this.cfg.electionTicksMin;
  }

  private quorumActive(): boolean {
    return this.tracker.quorumActive(this.id);
  }

  // ---------------------------------------------------------------- elections (§5.2)

  private campaign(kind: 'pre' | 'real', transfer = false): void {
    if (kind === 'pre') this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = kind === 'pre' ? this.term + 1 : this.term;
    this.recordVote(this.id, true);
    if (this.tallyVotes()) return;
    for (const id of this.voters) {
      if (id === this.id) continue;
      this.send(id, {
        type: 'vote',
        pre: kind === 'pre',
        term: voteTerm,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        ...(transfer ? { transfer: true } : {}),
      });
    }
  }

  private recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** Acts on the votes so far; returns true when the campaign is decided. */
  private tallyVotes(): boolean {
    const result = this.tracker.voteResult(this.votes);
    if (result === 'won') {
      if (this.role === 'pre-candidate') this.campaign('real');
      else this.becomeLeader();
      return true;
    }
    if (result === 'lost') {
      this.becomeFollower(this.term, NO_NODE);
      return true;
    }
    return false;
  }

  private handleVote(m: VoteRequest): void {
    // We may vote for a node we already voted for (a retransmission), for anyone if we have no
    // vote and know no leader this term, and pre-vote for anyone campaigning in a later term.
    const canVote = this.vote === m.from || (this.vote === NO_NODE && this.leader === NO_NODE) || (m.pre && m.term > this.term);
    // §5.4.1: only a candidate whose log is at least as up-to-date as ours gets the vote.
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send(m.from, { type: 'voteResp', pre: m.pre, granted: true, term: m.term });
      if (!m.pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(m.from, { type: 'voteResp', pre: m.pre, granted: false });
    }
  }

  // ---------------------------------------------------------------- per-role message handling

  /** A message from an older term. */
  private stepStale(m: Message): void {
    if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
      // A deposed leader that missed the election: tell it the new term so it steps down. With
      // pre-vote and check-quorum it may never see a higher-term vote request otherwise.
      this.send(m.from, { type: 'appendResp', success: false, index: 0, hintIndex: 0, hintTerm: 0 });
    } else if (m.type === 'vote' && m.pre) {
      this.send(m.from, { type: 'voteResp', pre: true, granted: false });
    }
    // Anything else from an old term (late responses) is ignored.
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'appendResp':
        this.handleAppendResponse(m);
        break;
      case 'heartbeatResp':
        this.handleHeartbeatResponse(m);
        break;
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Election safety (§5.2) says this cannot come from a correct peer: refuse, change nothing.
        this.refused.push({ from: m.from, type: m.type, reason: `claims to lead term ${this.term}, which this node leads` });
        break;
      default:
        break; // votes were handled above; late vote responses are irrelevant now
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // A leader of our term exists (§5.2): give up the campaign.
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        break;
      case 'voteResp':
        if (m.pre !== (this.role === 'pre-candidate')) return; // from an earlier campaign
        this.recordVote(m.from, m.granted);
        this.tallyVotes();
        break;
      default:
        break;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snapshot':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        break;
      case 'readIndexResp':
        if (this.forwardedReads.delete(m.ctx)) this.readStates.push({ ctx: m.ctx, index: m.index });
        break;
      case 'timeoutNow':
        // Leadership transfer (thesis §3.10): campaign at once, skipping pre-vote. Only our own
        // leader may ask (it gave up its lease first), and only a voter can take over.
        if (m.from !== this.leader || !this.promotable()) break;
        this.campaign('real', true);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- replication (§5.3)

  private handleAppend(m: AppendRequest): void {
    // Checked first: only an append starting below the commit index can reach committed entries.
    const conflict = this.conflictWithCommitted(m);
    if (conflict !== null) {
      this.refused.push({ from: m.from, type: m.type, reason: conflict });
      return;
    }
    let resp: MessageBody<AppendResponse>;
    if (m.prevLogIndex < this.log.committed) {
      // Everything up to our commit index already matches the leader (§5.4 leader completeness).
      resp = { type: 'appendResp', success: true, index: this.log.committed, hintIndex: 0, hintTerm: 0 };
    } else if (this.log.matchTerm(m.prevLogIndex, m.prevLogTerm)) {
      const lastNew = this.log.appendFromLeader(m.prevLogIndex, m.entries);
      // Commit only what is known to match the leader, never a stale tail beyond it.
      this.log.commitTo(Math.min(m.commit, lastNew));
      resp = { type: 'appendResp', success: true, index: lastNew, hintIndex: 0, hintTerm: 0 };
    } else {
      const hint = this.log.rejectHint(m.prevLogIndex);
      resp = { type: 'appendResp', success: false, index: m.prevLogIndex, ...hint };
    }
    // Even a rejection says "I heard from you now": it counts toward the leader's lease.
    if (m.sentTick !== undefined) resp.sentTick = m.sentTick;
    this.send(m.from, resp);
  }

  /**
   * An append that would replace a committed entry contradicts Leader Completeness (§5.4): no
   * correct leader sends it. Returns why, or null.
   */
  private conflictWithCommitted(m: AppendRequest): string | null {
    for (const e of m.entries) {
      if (e.index > this.log.committed) break;
      const t = this.log.term(e.index);
      if (t !== undefined && t !== e.term) return `would replace committed entry ${e.index} (term ${t}) with one of term ${e.term}`;
    }
    return null;
  }

  /**
   * InstallSnapshot (§7), once the node holds the whole snapshot. Answered like an append: the
   * leader learns the follower now matches through the snapshot's index.
   */
  private handleSnapshot(m: InstallSnapshot): void {
    const reply = (index: number) => this.send(m.from, { type: 'appendResp', success: true, index, hintIndex: 0, hintTerm: 0 });
    if (m.index <= this.log.committed) {
      // Old news (a retransmission, or we caught up meanwhile): nothing to install.
      reply(this.log.committed);
      return;
    }
    if (this.log.matchTerm(m.index, m.snapshotTerm)) {
      // We hold that entry: the snapshot only tells us it is committed; keep our log (etcd does too).
      this.log.commitTo(m.index);
      reply(m.index);
      return;
    }
    this.log.restore(m.index, m.snapshotTerm, m.membership ?? this.log.membership());
    this.pendingInstall = { index: m.index, term: m.snapshotTerm };
    // The reply goes out with this Ready, after the driver made the snapshot durable.
    reply(m.index);
  }

  private handleHeartbeat(m: HeartbeatRequest): void {
    // The leader sends min(our match, its commit), so every index up to it is in our log and matches.
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    const resp: MessageBody<HeartbeatResponse> = { type: 'heartbeatResp' };
    if (m.ctx !== undefined) resp.ctx = m.ctx;
    if (m.sentTick !== undefined) resp.sentTick = m.sentTick;
    this.send(m.from, resp);
  }

  private handleAppendResponse(m: AppendResponse): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    this.recordLeaseAck(pr, m.sentTick);
    if (m.success) {
      if (pr.acked(m.index) && this.maybeCommit()) this.commitUnannounced = true;
      if (this.role !== 'leader') return; // our own removal committed: stepped down
      this.sendAppend(m.from, false);
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow();
      return;
    }
    let next = m.hintIndex;
    if (m.hintTerm > 0) {
      const last = this.log.lastIndexOfTerm(m.hintTerm);
      if (last > 0) next = last + 1;
    }
    if (pr.rejected(m.index, Math.max(1, next))) this.sendAppend(m.from, true);
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    this.recordLeaseAck(pr, m.sentTick);
    pr.probeSent = false;
    // Appends can be lost (a dropped connection). If the follower is behind, send one more append
    // (empty if need be): it either fills the gap or is rejected, which puts us back into probe.
    // A full in-flight window frees one slot so a lost window cannot stall the follower forever.
    if (pr.match < this.log.lastIndex()) {
      pr.freeOldestIfFull();
      this.sendAppend(m.from, true);
    }
    if (m.ctx === undefined) return;
    const acks = this.reads.ack(m.ctx, m.from);
    if (!acks || !this.tracker.hasQuorum(acks)) return;
    for (const r of this.reads.releaseThrough(m.ctx)) this.answerRead(r.ctx, r.index, r.from);
  }

  /** Leader: add a batch to the log and start replicating it. */
  private appendEntries(data: unknown[], noop = false): void {
    let index = this.log.lastIndex();
    const entries: Entry[] = noop
      ? [{ term: this.term, index: ++index, kind: 'noop' }]
      : data.map((d) => ({ term: this.term, index: ++index, kind: 'cmd' as const, data: d }));
    if (entries.length > 0) this.appendToLog(entries);
  }

  /** Leader: entries of this term go into the log and out to every follower. */
  private appendToLog(entries: Entry[]): void {
    this.log.append(entries);
    // A config entry is in force once in the log (membership.ts): replicate by the new membership.
    if (entries[entries.length - 1]!.kind === 'config') this.syncMembership();
    // Our own progress advances only when the driver reports the entries durable (onPersisted):
    // the leader must not count itself toward a commit before its fsync (DESIGN.md).
    this.broadcastAppend(false);
  }

  /**
   * Send entries (or, with allowEmpty, an empty append carrying the commit index / a probe) to one
   * follower, if its flow control allows.
   */
  private sendAppend(to: NodeId, allowEmpty: boolean): void {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return;
    const prevLogIndex = pr.next - 1;
    const prevLogTerm = this.log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      // The follower needs entries we compacted away (§7): it gets a snapshot instead. Any
      // snapshot the node holds covers at least our compaction point, so that is what we name.
      assert(prevLogIndex < this.log.snapshotIndex, `leader ${this.id} has no term for index ${prevLogIndex} (last ${this.log.lastIndex()})`);
      this.send(to, { type: 'snapshot', index: this.log.snapshotIndex, snapshotTerm: this.log.snapshotTerm });
      pr.becomeSnapshot(this.log.snapshotIndex);
      return;
    }
    const entries = this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxEntriesPerMessage);
    if (entries.length === 0 && !allowEmpty) return;
    const msg: MessageBody<AppendRequest> = { type: 'append', prevLogIndex, prevLogTerm, entries, commit: this.log.committed };
    if (this.cfg.readMode === 'lease') msg.sentTick = this.clock;
    this.send(to, msg);
    pr.sent(prevLogIndex + entries.length, entries.length);
    pr.sentCommit = msg.commit;
  }

  private broadcastAppend(allowEmpty: boolean): void {
    for (const id of this.tracker.replicationTargets()) this.sendAppend(id, allowEmpty);
  }

  private broadcastHeartbeat(ctx: string | undefined): void {
    for (const id of this.tracker.replicationTargets()) {
      const pr = this.prs.get(id)!;
      const hb: MessageBody<HeartbeatRequest> = { type: 'heartbeat', commit: Math.min(pr.match, this.log.committed) };
      if (ctx !== undefined) hb.ctx = ctx;
      if (this.cfg.readMode === 'lease') hb.sentTick = this.clock;
      this.send(id, hb);
    }
  }

  /**
   * §5.3/§5.4.2: commit the highest index stored on a majority, but only if it is from the
   * current term (the Figure 8 rule). Returns true if the commit index moved.
   */
  private maybeCommit(): boolean {
    const q = this.tracker.committedIndex();
    if (q <= this.log.committed || this.log.term(q) !== this.term) return false;
    this.log.commitTo(q);
    if (!this.tracker.isVoter(this.id) && this.log.lastConfigIndex() <= q) {
      // Our own removal is committed (thesis §4.2.2): hand over to the most caught-up voter so the
      // cluster need not wait out an election timeout, then step down for good.
      this.handOverAndStepDown();
      return true;
    }
    if (this.readsAwaitingFirstCommit.length > 0) {
      const waiting = this.readsAwaitingFirstCommit;
      this.readsAwaitingFirstCommit = [];
      for (const r of waiting) this.leaderReadIndex(r.ctx, r.from);
    }
    return true;
  }

  /** The driver made entries up to (index, term) durable. */
  onPersisted(index: number, term: number): void {
    this.log.stableTo(index, term);
    if (this.role !== 'leader') return;
    const self = this.prs.get(this.id)!;
    const stable = this.log.stableIndex();
    if (stable > self.match) {
      self.match = stable;
      self.next = Math.max(self.next, stable + 1);
      if (this.maybeCommit()) this.commitUnannounced = true;
    }
  }

  /**
   * Leader: tell each follower a commit index it has not heard yet, with an append (empty if need
   * be: followers apply, and answer the writes they forwarded, only what they know is committed).
   * The commit moves on an acknowledgement or our own fsync; announcing it is deferred from then to
   * the next Ready (RawNode calls this), so that appends of new proposals made meanwhile carry it:
   * under load a follower then gets one append per round instead of an empty one plus one with
   * entries, and answers once instead of twice.
   */
  announceCommit(): void {
    if (!this.commitUnannounced) return;
    this.commitUnannounced = false;
    if (this.role !== 'leader') return;
    for (const id of this.tracker.replicationTargets()) {
      if (this.prs.get(id)!.sentCommit < this.log.committed) this.sendAppend(id, true);
    }
  }

  // ---------------------------------------------------------------- ReadIndex (thesis §6.4)

  private leaderReadIndex(ctx: string, from: NodeId): void {
    if (this.log.term(this.log.committed) !== this.term) {
      // Until an entry of its own term commits, the leader does not know the latest commit index.
      this.readsAwaitingFirstCommit.push({ ctx, from });
      return;
    }
    if (this.tracker.isSoleVoter(this.id) || this.leaseTicksLeft() > 0) {
      // Alone, or within a lease (thesis §6.4.1): no other leader can have committed anything
      // newer than our commit index, so the read needs no round of messages.
      this.answerRead(ctx, this.log.committed, from);
      return;
    }
    this.reads.add(ctx, this.log.committed, from, this.id);
    if (this.readRoundsThisTick >= MAX_READ_ROUNDS_PER_TICK) {
      // Acknowledgements of a later context release this read too (ReadIndexQueue.releaseThrough).
      this.readRoundOwed = true;
      return;
    }
    this.readRoundsThisTick++;
    this.broadcastHeartbeat(this.reads.lastCtx());
  }

  private answerRead(ctx: string, index: number, from: NodeId): void {
    if (from === this.id) this.readStates.push({ ctx, index });
    else this.send(from, { type: 'readIndexResp', ctx, index });
  }

  // ---------------------------------------------------------------- leases (thesis §6.4.1, lease.ts)

  /** A follower echoed `sentTick`: it heard from us (this term) at or after that tick of ours. */
  private recordLeaseAck(pr: Progress, sentTick: number | undefined): void {
    // A tick from our future cannot be an honest echo; ignoring it keeps a confused peer from
    // stretching the lease.
    if (sentTick === undefined || sentTick > this.clock) return;
    if (sentTick > pr.leaseAckTick) pr.leaseAckTick = sentTick;
  }

  /**
   * Ticks of lease left now; 0 unless this is a lease-mode leader whose no-op is committed and a
   * majority acknowledged messages sent within the last leaseTicks ticks. Progress (and with it
   * every ack) is rebuilt on each role change, so a lease never survives a step-down or new term.
   */
  private leaseTicksLeft(): number {
    if (this.cfg.readMode !== 'lease' || this.role !== 'leader') return 0;
    if (this.log.term(this.log.committed) !== this.term || this.leaseRevoked) return 0;
    if (this.tracker.membership.voters.length === 0) return 0;
    return leaseTicksLeft(this.tracker.leaseAckTicks(this.id, this.clock), this.clock, this.leaseTicks);
  }

  /** Leadership is gone: every read it was confirming fails (its requester retries). */
  private failLeaderReads(): void {
    const pending = [...this.reads.clear(), ...this.readsAwaitingFirstCommit];
    this.readsAwaitingFirstCommit = [];
    for (const r of pending) this.answerRead(r.ctx, -1, r.from);
  }

  private failForwardedReads(): void {
    for (const ctx of this.forwardedReads) this.readStates.push({ ctx, index: -1 });
    this.forwardedReads.clear();
  }

  // ---------------------------------------------------------------- snapshots (§7)

  /** The driver holds a durable snapshot through at least `index`: drop the log up to it. */
  compact(index: number): void {
    this.log.compact(index);
  }

  /**
   * The driver's word on a snapshot transfer to `to`. On failure the follower goes back to probing
   * from what it matched (the next heartbeat answer sends a new snapshot). On success it probes
   * just past the snapshot, once the next heartbeat answer comes (etcd does the same): its
   * acknowledgement of the install, if already on its way, moves it to replicate; a follower that
   * crashed before installing rejects the probe and gets a new snapshot at once, instead of being
   * left without entries until the snapshot timeout (found by the real-node simulator, seed 991).
   */
  reportSnapshot(to: NodeId, ok: boolean): void {
    const pr = this.prs.get(to);
    if (this.role !== 'leader' || !pr || pr.state !== 'snapshot') return;
    if (ok) pr.snapshotDelivered();
    else pr.becomeProbe();
  }

  // ---------------------------------------------------------------- membership (membership.ts)

  /**
   * Leader: propose one membership change (single-server, thesis §4.1). Refused while the last
   * change is uncommitted, before this leader committed an entry of its own term (the published
   * fix to §4.1), during a leadership transfer, or when a learner to promote is far behind.
   */
  proposeConfChange(cc: ConfChange): ConfChangeResult {
    if (this.role !== 'leader') return { status: 'notLeader', leader: this.leader };
    const inProgress = (reason: string): ConfChangeResult => ({ status: 'refused', code: 'IN_PROGRESS', reason });
    if (this.leadTransferee !== NO_NODE) return inProgress(`a leadership transfer to node ${this.leadTransferee} is under way`);
    if (this.log.term(this.log.committed) !== this.term) return inProgress('the new leader has not yet committed an entry of its term');
    const pending = this.log.lastConfigIndex();
    if (pending > this.log.committed) return inProgress(`the membership change at index ${pending} is not yet committed`);
    const next = applyConfChange(this.tracker.membership, cc);
    if (isRefusal(next)) return { status: 'refused', code: next.code, reason: next.reason };
    if (cc.type === 'promote') {
      const match = this.prs.get(cc.id)?.match ?? 0;
      // A voter far behind would leave the cluster one failure from unavailability while it
      // catches up (thesis §4.2.1): it stays a learner until it is within one append of the commit.
      if (match + this.cfg.maxEntriesPerMessage < this.log.committed) {
        return { status: 'refused', code: 'NOT_CAUGHT_UP', reason: `node ${cc.id} has entries up to ${match}, the commit index is ${this.log.committed}` };
      }
    }
    const index = this.log.lastIndex() + 1;
    this.appendToLog([{ term: this.term, index, kind: 'config', data: { change: cc, membership: next } }]);
    return { status: 'appended', index, term: this.term };
  }

  /** The membership in force changed (an entry appended, truncated or a snapshot installed). */
  private syncMembership(): void {
    const m = this.log.membership();
    if (m === this.tracker.membership) return;
    this.tracker.membership = m;
    this.membershipChanged = true;
    if (this.role !== 'leader') return;
    for (const id of this.tracker.replicationTargets()) {
      if (this.prs.has(id)) continue;
      const pr = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflight);
      pr.recentActive = true;
      this.prs.set(id, pr);
      this.sendAppend(id, true);
    }
    const prev = this.log.previousMembership();
    const departing: NodeId[] = [];
    for (const id of [...this.prs.keys()]) {
      if (id === this.id || isMember(m, id)) continue;
      // Removed by this change: it still gets the log, its own removal and the commit index
      // included, so that it knows to stop campaigning (promotable()). Removed by an earlier
      // change, committed since: it has had its chance.
      if (isMember(prev, id)) departing.push(id);
      else this.prs.delete(id);
    }
    this.tracker.setDeparting(departing);
    if (this.leadTransferee !== NO_NODE && !this.tracker.isVoter(this.leadTransferee)) this.leadTransferee = NO_NODE;
    // Fewer voters may mean a smaller majority has already stored newer entries.
    if (this.maybeCommit()) this.commitUnannounced = true;
  }

  /**
   * Leadership transfer (thesis §3.10): catch `to` up, then tell it to campaign at once. Proposals
   * are dropped meanwhile; the transfer is abandoned after an election timeout.
   */
  transferLeader(to: NodeId): TransferResult {
    if (this.role !== 'leader') return { ok: false, code: 'NOT_LEADER', reason: `node ${this.id} is not the leader (leader: ${this.leader})` };
    if (to === this.id) return { ok: true };
    if (!this.tracker.isVoter(to)) return { ok: false, code: 'BAD_REQUEST', reason: `node ${to} is not a voter` };
    if (this.leadTransferee !== NO_NODE) {
      return to === this.leadTransferee ? { ok: true } : { ok: false, code: 'IN_PROGRESS', reason: `a transfer to node ${this.leadTransferee} is under way` };
    }
    this.leadTransferee = to;
    this.transferElapsed = 0;
    this.transferTimeoutSent = false;
    this.leaseRevoked = true;
    if (this.prs.get(to)!.match === this.log.lastIndex()) this.sendTimeoutNow();
    else this.sendAppend(to, true);
    return { ok: true };
  }

  private sendTimeoutNow(): void {
    if (this.transferTimeoutSent) return;
    this.transferTimeoutSent = true;
    this.send(this.leadTransferee, { type: 'timeoutNow' });
  }

  /** Our removal committed: the voter with the most of the log campaigns at once; we step down. */
  private handOverAndStepDown(): void {
    let best = NO_NODE;
    let bestMatch = -1;
    for (const id of this.tracker.membership.voters) {
      const match = this.prs.get(id)?.match ?? 0;
      if (match > bestMatch) [best, bestMatch] = [id, match];
    }
    // It can only win if it has every committed entry; otherwise an ordinary election follows.
    if (best !== NO_NODE && bestMatch >= this.log.committed) {
      this.leaseRevoked = true;
      this.send(best, { type: 'timeoutNow' });
    }
    this.becomeFollower(this.term, NO_NODE);
  }

  // ---------------------------------------------------------------- untrusted input

  /**
   * Why no correct member could have sent `m`, or null. Only what Raft itself rules out: an
   * acknowledgement beyond our log, a log position that contradicts its own term, entries whose
   * terms run backwards or exceed the sender's term.
   */
  private impossible(m: Message): string | null {
    switch (m.type) {
      case 'appendResp':
        if (m.term === this.term && this.role === 'leader' && m.success && m.index > this.log.lastIndex()) {
          return `acknowledges index ${m.index}, beyond this leader's last index ${this.log.lastIndex()}`;
        }
        return null;
      case 'vote':
        return m.lastLogTerm > m.term ? `last log term ${m.lastLogTerm} above its campaign term ${m.term}` : null;
      case 'append': {
        if (m.prevLogTerm > m.term) return `prevLogTerm ${m.prevLogTerm} above its term ${m.term}`;
        let t = m.prevLogTerm;
        for (const e of m.entries) {
          if (e.term < t || e.term > m.term) return `entry ${e.index} has term ${e.term}, out of order (previous ${t}, sender's term ${m.term})`;
          t = e.term;
        }
        return null;
      }
      case 'snapshot':
        return m.snapshotTerm > m.term ? `snapshot term ${m.snapshotTerm} above its term ${m.term}` : null;
      default:
        return null;
    }
  }

  // ---------------------------------------------------------------- plumbing

  private send(to: NodeId, body: MessageBody<Message>): void {
    const term = body.term ?? this.term;
    this.msgs.push({ ...body, from: this.id, to, term } as Message);
  }

  status(): RaftStatus {
    const s: RaftStatus = {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      commitIndex: this.log.committed,
      lastApplied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      snapshotIndex: this.log.snapshotIndex,
      snapshotTerm: this.log.snapshotTerm,
      stableIndex: this.log.stableIndex(),
      lastLogIndex: this.log.lastIndex(),
      lastLogTerm: this.log.lastTerm(),
      voters: this.tracker.membership.voters.slice(),
      learners: this.tracker.membership.learners.slice(),
      membership: this.tracker.membership,
      leadTransferee: this.leadTransferee,
      pendingConfIndex: this.log.lastConfigIndex(),
    };
    if (this.role === 'leader') {
      s.progress = {};
      for (const [id, pr] of this.prs) {
        s.progress[String(id)] = { match: pr.match, next: pr.next, state: pr.state, inflight: pr.inflight.length, recentActive: pr.recentActive };
      }
      if (this.cfg.readMode === 'lease') s.leaseTicksLeft = this.leaseTicksLeft();
    }
    return s;
  }
}

function validateConfig(c: Required<Omit<RaftConfig, 'learners' | 'addresses'>>): void {
  assert(Number.isInteger(c.id) && c.id > 0, `config: id must be a positive integer, got ${c.id}`);
  assert(c.heartbeatTicks >= 1, 'config: heartbeatTicks must be >= 1');
  assert(c.electionTicksMin > c.heartbeatTicks, 'config: electionTicksMin must exceed heartbeatTicks');
  assert(c.electionTicksMax >= c.electionTicksMin, 'config: electionTicksMax must be >= electionTicksMin');
  assert(c.maxInflight >= 1 && c.maxEntriesPerMessage >= 1, 'config: maxInflight and maxEntriesPerMessage must be >= 1');
  assert(c.readMode === 'readindex' || c.readMode === 'lease', `config: readMode must be 'readindex' or 'lease', got ${JSON.stringify(c.readMode)}`);
  // etcd refuses the same combination: the lease is only safe because followers reject votes
  // while they hear from a leader, which is part of check-quorum here (inLease()).
  assert(c.readMode !== 'lease' || c.checkQuorum, "config: readMode 'lease' needs checkQuorum");
  assert(typeof c.maxClockDrift === 'number' && c.maxClockDrift >= 0 && c.maxClockDrift < 0.5, `config: maxClockDrift must be in [0, 0.5), got ${c.maxClockDrift}`);
  assert(Number.isInteger(c.unsafeLeaseTicks) && c.unsafeLeaseTicks >= 0, `config: unsafeLeaseTicks must be an integer >= 0, got ${c.unsafeLeaseTicks}`);
}
