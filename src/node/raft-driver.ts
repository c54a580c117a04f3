/**
 * Drives the consensus core for a real node: ticks it on a timer, feeds it peer messages and
 * client work, and runs its Ready batches in etcd's order: persist (WAL, fsync) -> send -> apply ->
 * advance. Only one Ready is in flight at a time; while its fsync runs, new proposals and reads
 * pile up and go into the core together on the next round (group commit at every stage: one
 * propose() call, one WAL write + fsync and one AppendEntries per follower per round).
 *
 * Client work is tracked here, not in the core:
 *  - a write carries a node-unique reqId; it completes when an entry with that reqId is applied
 *    (whichever node proposed it: followers forward proposals to the leader), fails at once when
 *    the core drops it, fails as PROPOSAL_DROPPED when its index is applied with an entry of
 *    another term (it was overwritten), and times out otherwise (outcome unknown);
 *  - a linearizable read joins the next ReadIndex round; it is served once the state machine has
 *    applied the index the round returned.
 * Timeouts are swept by one interval timer, not a timer per request.
 */
import { RaftKvError } from '../protocol/errors.js';
import type { HardState, Message } from '../protocol/raft-messages.js';
import type { RawNode } from './raft/raw-node.js';
import type { ReadState, Ready, SoftState } from './raft/types.js';
import type { KvCommand, KvResult } from './kv-command.js';
import { isKvError } from './kv-command.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { Logger } from './logger.js';

export interface DriverStorage {
  append(hardState: Ready['hardState'], entries: Ready['entries']): Promise<void>;
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
}

/**
 * How a client request hears its outcome: called once, with an error or the result. Callbacks,
 * not promises: the hot path would otherwise pay for a promise, its reactions and a microtask hop
 * per request, while a Ready completes a whole batch of them in one loop.
 */
export type Completion<T> = (err: RaftKvError | null, value?: T) => void;

interface Waiter<T> {
  done: Completion<T>;
  deadline: number;
  /** A write this node forwarded to that leader (its outcome arrives only if it is applied). */
  forwardedTo?: number;
}

interface ReadWaiter extends Waiter<void> {}

export class RaftDriver {
  private readonly raw: RawNode;
  private readonly opts: Required<RaftDriverOptions>;
  private scheduled = false;
  /** Readies taken from the core whose completion (fsync, then sends and advance) is pending. */
  private inFlight = 0;
  private readonly pipelineDepth: number;
  /** Completion of the newest Ready in flight; each completion waits for the one before it. */
  private completions: Promise<void> = Promise.resolve();
  /** Storage failed: nothing more is sent or acknowledged. */
  private failed = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | null = null;
  /** Monotonic time (ms) the tick count stands for: ticks are owed for the time since. */
  private lastTickAt = 0;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Unique per process start, so reqIds never collide with those of an earlier life. */
  private readonly boot = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  private reqSeq = 0;
  private readSeq = 0;

  private pendingProposals: KvCommand[] = [];
  private readonly writeWaiters = new Map<string, Waiter<KvResult>>();
  /** index -> (term, reqId) of proposals this node appended as leader, to detect overwrites. */
  private readonly appendedAt = new Map<number, { term: number; reqId: string }>();

  private pendingReads: ReadWaiter[] = [];
  private readonly readRounds = new Map<string, ReadWaiter[]>();
  /** Confirmed reads waiting for the state machine to reach their index; ascending by index. */
  private readsAwaitingApply: { index: number; waiters: ReadWaiter[] }[] = [];

  soft: SoftState;
  /** The last vote logged, so a restarted node does not log the vote it recovered as new. */
  private lastVote: { term: number; vote: number };
  /** A commit-only hard state change not yet written (written with the next synced batch). */
  private unsyncedHardState: Ready['hardState'] = null;
  /** Counters for status and benchmarks. */
  readonly counters = { proposals: 0, proposeBatches: 0, readRounds: 0, readies: 0, applied: 0 };

  constructor(opts: RaftDriverOptions) {
    this.opts = { requestTimeoutMs: 3000, pipelineDepth: 1, maxCatchUpTicks: 1000, ...opts };
    this.raw = opts.raw;
    this.pipelineDepth = this.opts.pipelineDepth;
    // Start from what was recovered, so the first log lines after a restart are real changes.
    const st = this.raw.status();
    this.soft = { role: st.role, leader: st.leader, term: st.term };
    this.lastVote = { term: st.term, vote: st.vote };
  }

  start(): void {
    this.lastTickAt = performance.now();
    this.tickTimer = setInterval(() => {
      this.catchUpTicks();
      this.schedule();
    }, this.opts.tickMs);
    this.sweepTimer = setInterval(() => this.sweepTimeouts(), 50);
    this.schedule();
  }

  /** A message from a peer (already validated by the transport). */
  step(m: Message): void {
    if (this.stopped) return;
    // A step can answer lease reads (a follower's forwarded read, reads waiting for the term's
    // first commit): the core's clock must be current for every input, not only local reads.
    this.catchUpTicks();
    try {
      this.raw.step(m);
    } catch (err) {
      // The core asserts Raft's rules (e.g. one leader per term) before changing any state. A
      // message that breaks them can only come from a faulty or forged peer (the peer port is not
      // authenticated yet): drop it and keep serving rather than let one line kill the node.
      this.opts.log.error(`dropped a ${m.type} from node ${m.from} (term ${m.term}) that breaks Raft's rules: ${(err as Error).message}; a faulty or forged peer?`);
      return;
    }
    this.schedule();
  }

  /**
   * Replicate a write; `done` gets the state machine's result once it is applied here. `cmd` must
   * be a fresh object: the driver stamps its reqId on it and puts it in the log as it is.
   */
  propose(cmd: KvCommand, done: Completion<KvResult>): void {
    if (this.stopped) return done(new RaftKvError('SHUTTING_DOWN', 'the node is shutting down'));
    cmd.reqId = `${this.opts.nodeId}.${this.boot}.${++this.reqSeq}`;
    this.writeWaiters.set(cmd.reqId, { done, deadline: Date.now() + this.opts.requestTimeoutMs });
    this.pendingProposals.push(cmd);
    this.schedule();
  }

  /** `done` is called when a linearizable read may be served from the local state machine. */
  readBarrier(done: Completion<void>): void {
    if (this.stopped) return done(new RaftKvError('SHUTTING_DOWN', 'the node is shutting down'));
    this.pendingReads.push({ done, deadline: Date.now() + this.opts.requestTimeoutMs });
    this.schedule();
  }

  status() {
    return { ...this.raw.status(), counters: { ...this.counters, waitingWrites: this.writeWaiters.size } };
  }

  recentEntries(limit: number) {
    return this.raw.recentEntries(limit);
  }

  /** Stop ticking and taking work; waits for the Ready in flight (its fsync) to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    while (this.inFlight) await new Promise((r) => setImmediate(r));
    // A write already handed to the core may still commit: its outcome is unknown, not refused.
    const unknown = new RaftKvError('TIMEOUT', 'the node stopped before the write was confirmed; it may or may not have been applied');
    const writes = [...this.writeWaiters.values()];
    this.writeWaiters.clear();
    for (const w of writes) w.done(unknown);
    const refused = new RaftKvError('SHUTTING_DOWN', 'the node is shutting down');
    for (const w of this.allReadWaiters()) w.done(refused);
  }

  // ------------------------------------------------------------------ the Ready loop

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
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
    // A leader's appends go out while its own fsync runs (thesis §10.2.1): the disk writes of
    // leader and followers overlap instead of adding up.
    if (rd.sendBeforePersist) this.opts.transport.send(rd.messages);
    // Committed entries are durable on a majority already (a leader counts itself only after its
    // own fsync), so applying them and answering clients need not wait for this Ready's fsync of
    // *new* entries: that wait would put a second fsync on every write's path. Read states only
    // depend on heartbeat acknowledgements, not on our disk.
    this.apply(rd);
    this.onReadStates(rd.readStates);
    let persisted: Promise<void> | null = null;
    // A commit-index-only change is not worth an fsync; it rides along with the next entries.
    if (rd.mustSync) {
      persisted = this.opts.storage.append(rd.hardState ?? this.unsyncedHardState, rd.entries);
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
        if (!rd.sendBeforePersist) this.opts.transport.send(rd.messages);
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
    const now = performance.now();
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
    if (this.pendingProposals.length > 0) {
      const batch = this.pendingProposals;
      this.pendingProposals = [];
      this.counters.proposals += batch.length;
      this.counters.proposeBatches++;
      const res = this.raw.propose(batch);
      if (res.status === 'appended') {
        batch.forEach((cmd, i) => this.appendedAt.set(res.index + i, { term: res.term, reqId: cmd.reqId! }));
      } else if (res.status === 'dropped') {
        const err = new RaftKvError('NO_LEADER', 'no leader is known, try again', res.leader ? { leader: res.leader } : undefined);
        for (const cmd of batch) this.failWrite(cmd.reqId!, err);
      } else {
        for (const cmd of batch) {
          const w = this.writeWaiters.get(cmd.reqId!);
          if (w) w.forwardedTo = res.leader;
        }
      }
    }
    if (this.pendingReads.length > 0) {
      const ctx = `${this.boot}.r${++this.readSeq}`;
      this.readRounds.set(ctx, this.pendingReads);
      this.pendingReads = [];
      this.counters.readRounds++;
      this.raw.readIndex(ctx);
    }
  }

  private apply(rd: Ready): void {
    for (const e of rd.committedEntries) {
      const mine = this.appendedAt.get(e.index);
      if (mine) {
        this.appendedAt.delete(e.index);
        if (mine.term !== e.term) {
          this.failWrite(mine.reqId, new RaftKvError('PROPOSAL_DROPPED', 'leadership changed before the write committed; it was not applied'));
        }
      }
      const out = this.opts.sm.applyEntry(e);
      this.counters.applied++;
      if (!out?.reqId) continue;
      const w = this.writeWaiters.get(out.reqId);
      if (!w) continue;
      this.writeWaiters.delete(out.reqId);
      if (isKvError(out.result)) w.done(new RaftKvError('BAD_REQUEST', out.result.error.message, { reason: out.result.error.code }));
      else w.done(null, out.result);
    }
    if (rd.committedEntries.length > 0) this.serveAppliedReads();
  }

  private onReadStates(states: ReadState[]): void {
    for (const rs of states) {
      const waiters = this.readRounds.get(rs.ctx);
      if (!waiters) continue;
      this.readRounds.delete(rs.ctx);
      if (rs.index < 0) {
        const err = new RaftKvError('NO_LEADER', 'leadership changed while confirming the read, try again');
        for (const w of waiters) w.done(err);
        continue;
      }
      this.readsAwaitingApply.push({ index: rs.index, waiters });
    }
    this.readsAwaitingApply.sort((a, b) => a.index - b.index);
    this.serveAppliedReads();
  }

  private serveAppliedReads(): void {
    const applied = this.opts.sm.lastApplied;
    let n = 0;
    while (n < this.readsAwaitingApply.length && this.readsAwaitingApply[n]!.index <= applied) {
      for (const w of this.readsAwaitingApply[n]!.waiters) w.done(null);
      n++;
    }
    if (n > 0) this.readsAwaitingApply = this.readsAwaitingApply.slice(n);
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
      if (s.leader) this.failForwardedWrites(s.leader);
    }
  }

  /**
   * A new leader was elected: writes forwarded to an earlier one may or may not commit, and their
   * clients should not wait out the whole request timeout to hear it (etcd answers "leader
   * changed" too). With a session (client id + seq) a retry is applied at most once.
   */
  private failForwardedWrites(newLeader: number): void {
    for (const [reqId, w] of this.writeWaiters) {
      if (w.forwardedTo === undefined || w.forwardedTo === newLeader) continue;
      this.writeWaiters.delete(reqId);
      w.done(
        new RaftKvError('TIMEOUT', `the leader changed (node ${w.forwardedTo} -> node ${newLeader}) while the write was forwarded; it may or may not have been applied`),
      );
    }
  }

  private failWrite(reqId: string, err: RaftKvError): void {
    const w = this.writeWaiters.get(reqId);
    if (!w) return;
    this.writeWaiters.delete(reqId);
    w.done(err);
  }

  private *allReadWaiters(): Iterable<ReadWaiter> {
    yield* this.pendingReads;
    for (const ws of this.readRounds.values()) yield* ws;
    for (const r of this.readsAwaitingApply) yield* r.waiters;
  }

  private sweepTimeouts(): void {
    const now = Date.now();
    for (const [id, w] of this.writeWaiters) {
      if (w.deadline <= now) {
        this.writeWaiters.delete(id);
        w.done(new RaftKvError('TIMEOUT', 'the write was not confirmed in time; it may or may not have been applied'));
      }
    }
    const expired = (ws: ReadWaiter[]) => ws.filter((w) => {
      if (w.deadline > now) return true;
      w.done(new RaftKvError('TIMEOUT', 'the read could not be confirmed in time (no quorum reachable?)'));
      return false;
    });
    for (const [ctx, ws] of this.readRounds) {
      const left = expired(ws);
      if (left.length === 0) this.readRounds.delete(ctx);
      else this.readRounds.set(ctx, left);
    }
    this.readsAwaitingApply = this.readsAwaitingApply.map((r) => ({ index: r.index, waiters: expired(r.waiters) })).filter((r) => r.waiters.length > 0);
    // appendedAt entries below the applied index can never be matched again.
    if (this.appendedAt.size > 100_000) {
      const applied = this.opts.sm.lastApplied;
      for (const idx of this.appendedAt.keys()) if (idx <= applied) this.appendedAt.delete(idx);
    }
  }
}
