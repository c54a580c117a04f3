/**
 * Drives the consensus core for a real node: ticks it on a timer, feeds it peer messages and
 * client work, and runs its Ready batches in etcd's order: persist (WAL, fsync) -> send -> apply ->
 * advance. Only one Ready is in flight at a time; while its fsync runs, new proposals and reads
 * pile up and go into the core together on the next round (group commit at every stage: one
 * propose() call, one WAL write + fsync and one AppendEntries per follower per round).
 *
 * Client work (writes waiting to be applied, reads waiting for a ReadIndex round, deadlines) is
 * tracked in client-waiters.ts, not in the core.
 */
import { RaftKvError } from '../protocol/errors.js';
import type { ConfChange, HardState, InstallSnapshot, Membership, Message, NodeId } from '../protocol/raft-messages.js';
import { MembershipWaiters } from './membership-waiters.js';
import type { SnapshotReceiver, ReceivedSnapshot } from './snapshot-receiver.js';
import type { SnapshotSender } from './snapshot-sender.js';
import type { Snapshotter } from './snapshotter.js';
import { realSnapshotFs, type SnapshotFs } from './storage/snapshot-fs.js';
import { publishSnapshotSync } from './storage/snapshot-store.js';
import type { RawNode } from './raft/raw-node.js';
import type { Ready, SoftState } from './raft/types.js';
import { ClientWaiters, type Completion } from './client-waiters.js';
import { realClock, type Clock, type TimerId } from './clock.js';
import type { KvCommand, KvResult } from './kv-command.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { Logger } from './logger.js';

export interface DriverStorage {
  append(hardState: Ready['hardState'], entries: Ready['entries']): Promise<void>;
  /** Records a snapshot point; `replacesLog` for an installed snapshot (see Wal.markSnapshot). */
  markSnapshot(index: number, term: number, opts: { replacesLog: boolean }): Promise<void>;
}

/** The snapshot machinery (snapshotter.ts, snapshot-sender.ts, snapshot-receiver.ts). */
export interface DriverSnapshots {
  /** Where snapshot files live (the node's data directory). */
  dir: string;
  snapshotter: Snapshotter;
  sender: SnapshotSender;
  receiver: SnapshotReceiver;
  /** The file system the snapshot files live on (default: the real one). */
  files?: SnapshotFs;
}

export interface DriverTransport {
  send(messages: Message[]): void;
}

export interface RaftDriverOptions {
  nodeId: number;
  raw: RawNode;
  storage: DriverStorage;
  transport: DriverTransport;
  sm: KvStateMachine;
  log: Logger;
  tickMs: number;
  /** How long a client request may wait for commit / read confirmation. */
  requestTimeoutMs?: number;
  /**
   * How many Readies may be in flight at once (the RawNode must allow as many: its
   * maxPendingReadies). 1 = strictly one Ready at a time. Default 1.
   */
  pipelineDepth?: number;
  /** The most ticks made up at once after a stall; at least two election timeouts. Default 1000. */
  maxCatchUpTicks?: number;
  /** Called when durable storage fails: the node must stop (an fsync failure cannot be retried). */
  onFatal: (err: Error) => void;
  /** Snapshots and InstallSnapshot; without them the log is never compacted. */
  snapshots?: DriverSnapshots | null;
  /** Time and timers (ticks, deadlines, the Ready loop's turns). Default: the real clock. */
  clock?: Clock;
  /** Called with every membership the core switches to (Ready.membership): peer connections follow it. */
  onMembership?: (m: Membership) => void;
  /** Distinguishes this start's request ids from earlier ones' (default: time + random; see ClientWaiters). */
  bootId?: string;
}


export class RaftDriver {
  private readonly raw: RawNode;
  private readonly opts: Required<Omit<RaftDriverOptions, 'bootId'>>;
  private scheduled = false;
  /** Readies taken from the core whose completion (fsync, then sends and advance) is pending. */
  private inFlight = 0;
  private readonly pipelineDepth: number;
  /** Completion of the newest Ready in flight; each completion waits for the one before it. */
  private completions: Promise<void> = Promise.resolve();
  /** Storage failed: nothing more is sent or acknowledged. */
  private failed = false;
  private stopped = false;
  private readonly clock: Clock;
  private tickTimer: TimerId | null = null;
  /** Monotonic time (ms) the tick count stands for: ticks are owed for the time since. */
  private lastTickAt = 0;
  private sweepTimer: TimerId | null = null;
  private readonly waiters: ClientWaiters;
  private readonly memberWaiters = new MembershipWaiters();

  soft: SoftState;
  /** The last vote logged, so a restarted node does not log the vote it recovered as new. */
  private lastVote: { term: number; vote: number };
  /** A commit-only hard state change not yet written (written with the next synced batch). */
  private unsyncedHardState: Ready['hardState'] = null;
  /** Counters for status and benchmarks. */
  readonly counters = { proposals: 0, proposeBatches: 0, readRounds: 0, readies: 0, applied: 0 };

  /**
   * This node is a voter or learner of the membership in force. One that is not (removed, or a
   * joining node not added yet) gets no entries from the leader, so it could never apply what it
   * forwards or confirm a read: it refuses client work at once (NOT_LEADER / NO_LEADER, safe to
   * retry at another node) instead of holding it until the deadline.
   */
  private member: boolean;

  /** A verified snapshot handed to the core and not yet installed (Ready.snapshot). */
  private received: ReceivedSnapshot | null = null;

  constructor(opts: RaftDriverOptions) {
    this.opts = { requestTimeoutMs: 3000, pipelineDepth: 1, maxCatchUpTicks: 1000, snapshots: null, clock: realClock, onMembership: () => {}, ...opts };
    this.clock = this.opts.clock;
    this.raw = opts.raw;
    this.pipelineDepth = this.opts.pipelineDepth;
    this.waiters = new ClientWaiters(opts.nodeId, this.opts.requestTimeoutMs, this.clock, opts.bootId);
    // Start from what was recovered, so the first log lines after a restart are real changes.
    const st = this.raw.status();
    this.soft = { role: st.role, leader: st.leader, term: st.term };
    this.lastVote = { term: st.term, vote: st.vote };
    this.member = isMember(this.raw.membership(), opts.nodeId);
  }

  start(): void {
    this.lastTickAt = this.clock.monotonic();
    this.tickTimer = this.clock.setInterval(() => {
      this.catchUpTicks();
      this.schedule();
    }, this.opts.tickMs);
    this.sweepTimer = this.clock.setInterval(() => this.sweepTimeouts(), 50);
    this.schedule();
  }

  /**
   * A message from a peer (already validated by the transport). The core refuses what no correct
   * peer could send (Ready.refused, logged below) and asserts only its own invariants: an
   * exception from it is a bug in this node and stops the process loudly.
   */
  step(m: Message): void {
    if (this.stopped) return;
    if (m.type === 'snapshotChunk') {
      this.opts.snapshots?.receiver.onChunk(m);
      return;
    }
    // A step can answer lease reads (a follower's forwarded read, reads waiting for the term's
    // first commit): the core's clock must be current for every input, not only local reads.
    this.catchUpTicks();
    this.raw.step(m);
    this.schedule();
  }

  /** The receiver verified a whole snapshot: offer it to the core (which may already be past it). */
  deliverSnapshot(m: InstallSnapshot, received: ReceivedSnapshot): void {
    if (this.stopped) return;
    this.catchUpTicks();
    this.raw.step(m);
    const accepted = this.raw.acceptedSnapshot();
    if (accepted && accepted.index === received.index && accepted.term === received.term) {
      this.received = received;
    } else {
      this.opts.log.info(`snapshot ${received.index} from node ${m.from} not needed (commit index ${this.raw.status().commitIndex}); discarded`);
      void (this.opts.snapshots?.files ?? realSnapshotFs).unlink(received.tmpPath).catch(() => {});
    }
    this.schedule();
  }

  /**
   * Replicate a write; `done` gets the state machine's result once it is applied here. `cmd` must
   * be a fresh object: the driver stamps its reqId on it and puts it in the log as it is.
   */
  propose(cmd: KvCommand, done: Completion<KvResult>): void {
    if (this.stopped) return done(new RaftKvError('SHUTTING_DOWN', 'the node is shutting down'));
    if (!this.member) return done(this.notMember());
    this.waiters.addWrite(cmd, done);
    this.schedule();
  }

  /** `done` is called when a linearizable read may be served from the local state machine. */
  readBarrier(done: Completion<void>): void {
    if (this.stopped) return done(new RaftKvError('SHUTTING_DOWN', 'the node is shutting down'));
    if (!this.member) return done(this.notMember());
    this.waiters.addRead(done);
    this.schedule();
  }

  /**
   * Leader: propose one membership change; `done` once its entry is applied here. Not the leader:
   * NOT_LEADER (details.leader names the leader, if known); refused: the core's code and reason.
   */
  proposeConfChange(cc: ConfChange, done: Completion<void>): void {
    if (this.stopped) return done(new RaftKvError('SHUTTING_DOWN', 'the node is shutting down'));
    this.catchUpTicks();
    const r = this.raw.proposeConfChange(cc);
    if (r.status === 'appended') {
      this.memberWaiters.change(r.index, r.term, this.clock.monotonic() + this.opts.requestTimeoutMs, done);
      this.schedule();
    } else if (r.status === 'notLeader') {
      done(notLeader(this.opts.nodeId, r.leader));
    } else {
      done(new RaftKvError(r.code, r.reason));
    }
  }

  /** Leader: hand leadership to voter `to`; `done` once this node sees `to` lead (thesis §3.10). */
  transferLeader(to: NodeId, done: Completion<void>): void {
    if (this.stopped) return done(new RaftKvError('SHUTTING_DOWN', 'the node is shutting down'));
    this.catchUpTicks();
    if (this.soft.leader === to) return done(null);
    const r = this.raw.transferLeader(to);
    if (!r.ok) return done(r.code === 'NOT_LEADER' ? notLeader(this.opts.nodeId, this.soft.leader) : new RaftKvError(r.code, r.reason));
    this.memberWaiters.transfer(to, this.clock.monotonic() + this.opts.requestTimeoutMs, done);
    this.schedule();
  }

  /** The core's membership in force (voters, learners, addresses). */
  membership(): Membership {
    return this.raw.membership();
  }

  status() {
    const st = this.raw.status();
    const snaps = this.opts.snapshots;
    const newest = snaps?.snapshotter.newest ?? null;
    return {
      ...st,
      // The newest snapshot file (what a follower would get); the log is compacted to
      // `compactedIndex`, at or below it, and starts at `firstLogIndex`.
      snapshotIndex: newest?.index ?? 0,
      snapshotTerm: newest?.term ?? 0,
      compactedIndex: st.snapshotIndex,
      firstLogIndex: st.firstIndex,
      ...(snaps?.receiver.receiving ? { receivingSnapshot: snaps.receiver.receiving } : {}),
      counters: { ...this.counters, waitingWrites: this.waiters.waitingWrites },
    };
  }

  recentEntries(limit: number) {
    return this.raw.recentEntries(limit);
  }

  /** Stop ticking and taking work; waits for the Ready in flight (its fsync) to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer !== null) this.clock.clearInterval(this.tickTimer);
    if (this.sweepTimer !== null) this.clock.clearInterval(this.sweepTimer);
    while (this.inFlight) await new Promise<void>((r) => this.clock.defer(r));
    // A write already handed to the core may still commit: its outcome is unknown, not refused.
    const unknown = new RaftKvError('TIMEOUT', 'the node stopped before the write was confirmed; it may or may not have been applied');
    this.waiters.failAll(unknown, new RaftKvError('SHUTTING_DOWN', 'the node is shutting down'));
    this.memberWaiters.failAll(new RaftKvError('TIMEOUT', 'the node stopped before the membership change or transfer was confirmed; it may or may not take effect'));
  }

  // ------------------------------------------------------------------ the Ready loop

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.clock.defer(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /**
   * Takes one Ready from the core and starts working on it. Up to `pipelineDepth` Readies are in
   * flight: the next one is built (new proposals appended, replicated, committed entries applied)
   * while the previous one's fsync runs. Completions run strictly in Ready order: the WAL makes
   * its appends durable in call order, and each Ready's messages wait for every earlier fsync, so
   * no vote or acknowledgement ever leaves before the state it vouches for is on disk.
   */
  private run(): void {
    if (this.stopped || this.inFlight >= this.pipelineDepth) return;
    this.feedCore();
    if (!this.raw.hasReady()) return;
    const rd = this.raw.ready();
    this.inFlight++;
    this.counters.readies++;
    if (rd.softState) this.onSoftState(rd.softState);
    if (rd.hardState) this.onHardState(rd.hardState);
    if (rd.membership) this.onMembership(rd.membership);
    for (const r of rd.refused) {
      this.opts.log.warn(`refused a ${r.type} from node ${r.from}: ${r.reason} (a faulty or forged peer?)`);
    }
    // Before anything after it is applied or written: the state machine and the disk take the
    // snapshot the core accepted (the file is renamed into place, then the WAL marker is queued
    // ahead of this Ready's own writes).
    const installed = rd.snapshot ? this.installSnapshot(rd.snapshot) : null;
    // A leader's appends go out while its own fsync runs (thesis §10.2.1): the disk writes of
    // leader and followers overlap instead of adding up.
    if (rd.sendBeforePersist) this.send(rd.messages);
    // Committed entries are durable on a majority already (a leader counts itself only after its
    // own fsync), so applying them and answering clients need not wait for this Ready's fsync of
    // *new* entries: that wait would put a second fsync on every write's path. Read states only
    // depend on heartbeat acknowledgements, not on our disk.
    this.apply(rd);
    this.waiters.readStates(rd.readStates, this.opts.sm.lastApplied);
    if (this.memberWaiters.waitingTransfers > 0) {
      this.memberWaiters.leadership(this.soft.leader, this.soft.role === 'leader' ? { transferee: this.raw.leadTransferee() } : null);
    }
    let persisted: Promise<void> | null = null;
    // A commit-index-only change is not worth an fsync; it rides along with the next entries.
    if (rd.mustSync) {
      const append = this.opts.storage.append(rd.hardState ?? this.unsyncedHardState, rd.entries);
      persisted = installed ? Promise.all([installed, append]).then(() => {}) : append;
      this.unsyncedHardState = null;
    } else if (rd.hardState) {
      this.unsyncedHardState = rd.hardState;
    }
    const earlier = this.completions;
    this.completions = (async () => {
      if (persisted) await persisted;
      await earlier;
    })().then(
      () => {
        if (this.failed) return;
        if (!rd.sendBeforePersist) this.send(rd.messages);
        this.raw.advance(rd);
        this.inFlight--;
        this.schedule();
      },
      (err: unknown) => {
        this.inFlight--;
        if (this.failed) return;
        this.failed = true;
        this.stopped = true;
        this.opts.onFatal(err as Error);
      },
    );
    // Room for another Ready: new work that arrives meanwhile should not wait for this fsync.
    if (this.inFlight < this.pipelineDepth) this.schedule();
  }

  /**
   * One tick per tickMs of monotonic time since the last: a late timer, a busy event loop or a
   * GC pause must not leave the core's clock behind, or a leader would hold its lease longer in
   * real time than it believes (a follower's clock running behind only delays its elections).
   */
  private catchUpTicks(): void {
    const now = this.clock.monotonic();
    const owed = Math.floor((now - this.lastTickAt) / this.opts.tickMs);
    if (owed <= 0) return;
    this.lastTickAt += owed * this.opts.tickMs;
    // A stall of many seconds (a paused process) would owe thousands of ticks, each possibly a
    // heartbeat round; past a couple of election timeouts every lease and timer has run out
    // anyway, so more ticks change nothing.
    for (let i = Math.min(owed, this.opts.maxCatchUpTicks); i > 0; i--) this.raw.tick();
  }

  /** Hand the batched client work to the core. */
  private feedCore(): void {
    // A lease read is judged by the core's tick count: it must not lag real time (types.ts).
    this.catchUpTicks();
    const batch = this.waiters.takeProposals();
    if (batch.length > 0) {
      this.counters.proposals += batch.length;
      this.counters.proposeBatches++;
      const res = this.raw.propose(batch);
      if (res.status === 'appended') this.waiters.appended(batch, res.index, res.term);
      else if (res.status === 'dropped') this.waiters.dropped(batch, res.leader);
      else this.waiters.forwarded(batch, res.leader);
    }
    const ctx = this.waiters.takeReadRound();
    if (ctx !== null) {
      this.counters.readRounds++;
      this.raw.readIndex(ctx);
    }
  }

  private apply(rd: Ready): void {
    for (const e of rd.committedEntries) {
      this.waiters.applied(e, this.opts.sm.applyEntry(e));
      // Every kind: a change whose index a new leader filled with another entry fails at once
      // (PROPOSAL_DROPPED, retryable) instead of waiting out its deadline.
      this.memberWaiters.applied(e);
      this.counters.applied++;
    }
    if (rd.committedEntries.length > 0 || rd.snapshot) this.waiters.serveAppliedReads(this.opts.sm.lastApplied);
    this.opts.snapshots?.snapshotter.maybeStart();
  }

  /** Messages to peers; a request to send a snapshot becomes a streamed transfer instead. */
  private send(messages: Message[]): void {
    const snaps = this.opts.snapshots;
    if (!messages.some((m) => m.type === 'snapshot')) {
      this.opts.transport.send(messages);
      return;
    }
    const rest: Message[] = [];
    for (const m of messages) {
      if (m.type !== 'snapshot') rest.push(m);
      else if (snaps) snaps.sender.start(m.to);
      else this.raw.reportSnapshot(m.to, false);
    }
    this.opts.transport.send(rest);
  }

  /** A transfer to `to` ended: either way the core goes back to probing the follower. */
  snapshotSent(to: number, ok: boolean): void {
    if (this.stopped) return;
    this.raw.reportSnapshot(to, ok);
    this.schedule();
  }

  /**
   * Ready.snapshot: swap the state machine for the received one, publish its file and queue the
   * WAL marker (synchronously, so no other write can come between them). Returns the marker's
   * durability.
   */
  private installSnapshot(meta: { index: number; term: number }): Promise<void> {
    const rec = this.received;
    const snaps = this.opts.snapshots;
    if (!rec || !snaps || rec.index !== meta.index || rec.term !== meta.term) {
      throw new Error(`raft-driver: the core installs snapshot ${meta.index}/${meta.term}, which was not received`);
    }
    this.received = null;
    this.opts.sm.replaceWith(rec.sm);
    const file = publishSnapshotSync(snaps.dir, rec.tmpPath, rec.index, rec.term, snaps.files ?? realSnapshotFs);
    const marked = this.opts.storage.markSnapshot(rec.index, rec.term, { replacesLog: true });
    snaps.snapshotter.installed(file);
    this.opts.log.info(`installed snapshot ${rec.index} (term ${rec.term}): ${rec.header.keys} keys; the log restarts after it`);
    return marked;
  }

  /** BGSAVE: start a snapshot unless one is running (false then). */
  startBackgroundSnapshot(): boolean {
    return this.opts.snapshots?.snapshotter.startBackground() ?? false;
  }

  /** For INFO persistence (null: this node runs without snapshots). */
  snapshotStats() {
    return this.opts.snapshots?.snapshotter.stats ?? null;
  }

  /** SAVE / `ctl snapshot`: a snapshot of the state as of now (see Snapshotter.snapshotNow). */
  snapshotNow() {
    const s = this.opts.snapshots;
    return s ? s.snapshotter.snapshotNow() : Promise.resolve(null);
  }

  /** Votes are worth a log line: they explain who won an election and why another did not. */
  private onHardState(h: HardState): void {
    const prev = this.lastVote;
    this.lastVote = { term: h.term, vote: h.vote };
    if (h.vote === 0 || (prev.term === h.term && prev.vote === h.vote)) return;
    this.opts.log.info(h.vote === this.opts.nodeId ? `voted for itself (term ${h.term})` : `voted for node ${h.vote} (term ${h.term})`);
  }

  private onSoftState(s: SoftState): void {
    const prev = this.soft;
    this.soft = s;
    if (s.term !== prev.term) this.opts.log.info(`term ${prev.term} -> ${s.term}`);
    if (s.role !== prev.role) this.opts.log.info(`role ${prev.role} -> ${s.role} (term ${s.term})`);
    if (s.leader !== prev.leader) {
      this.opts.log.info(s.leader ? `leader is now node ${s.leader} (term ${s.term})` : `no leader known (term ${s.term})`);
      if (s.leader) this.waiters.failForwardedWrites(s.leader);
    }
  }

  private onMembership(m: Membership): void {
    const role = (id: number) => (m.voters.includes(id) ? 'voter' : m.learners.includes(id) ? 'learner' : 'not a member');
    this.opts.log.info(`membership: voters [${m.voters.join(', ')}], learners [${m.learners.join(', ')}]; this node is ${role(this.opts.nodeId)}`);
    const wasMember = this.member;
    this.member = isMember(m, this.opts.nodeId);
    if (wasMember && !this.member) {
      // Writes forwarded (or appended while leading) may still commit without us: unknown outcome.
      this.waiters.failAll(new RaftKvError('TIMEOUT', `node ${this.opts.nodeId} was removed from the cluster before the write was confirmed; it may or may not have been applied`), this.notMember());
    }
    this.opts.onMembership(m);
  }

  /**
   * NO_LEADER, never NOT_LEADER with a hint: what a non-member believes about the leader is stale
   * (two removed nodes could each name the other, and a client following hints would go round
   * between them). Clients try another node.
   */
  private notMember(): RaftKvError {
    return new RaftKvError('NO_LEADER', `node ${this.opts.nodeId} is not a member of the cluster (removed, or not added yet); ask another node`);
  }

  private sweepTimeouts(): void {
    const now = this.clock.monotonic();
    this.waiters.sweep(now, this.opts.sm.lastApplied);
    this.memberWaiters.sweep(now);
    if (this.memberWaiters.waitingTransfers > 0) this.schedule();
  }
}

function isMember(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.learners.includes(id);
}

/** NOT_LEADER naming the leader this node knows (none: NO_LEADER). */
function notLeader(self: NodeId, leader: NodeId): RaftKvError {
  if (leader === 0) return new RaftKvError('NO_LEADER', 'no leader is known, try again');
  return new RaftKvError('NOT_LEADER', `node ${self} is not the leader; node ${leader} is`, { leader });
}
