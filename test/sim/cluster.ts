/**
 * A whole Raft cluster in one process: N RawNodes, each with a simulated disk (DurableStore) and a
 * state machine, joined by a SimNetwork, driven tick by tick, with every step checked by an
 * InvariantChecker.
 *
 * Each node's driver follows the order in src/node/raft/types.ts exactly:
 *   ready() -> persist hard state + entries -> send messages -> apply committed entries and serve
 *   reads -> advance().
 * A crash can be injected between any two of these steps (crashHook): the node then loses
 * everything but its store and restarts from it later, as a real process would.
 *
 * Invariants:
 * - Deterministic: the only randomness is the Prng given at construction (forked per purpose);
 *   nodes are visited in id order or in a Prng-shuffled order, never in Map/hash order.
 * - A down node has raw === null and receives nothing; its store is untouched while down.
 * - At most one Ready per node is outstanding, and it is always advanced or dropped by a crash.
 */
import type { Entry, InstallSnapshot, Membership, Message, NodeId, Role } from '../../src/protocol/raft-messages.js';
import { RawNode } from '../../src/node/raft/raw-node.js';
import type { ProposeResult, RaftConfig, RaftInitialState, RaftStatus, Ready } from '../../src/node/raft/types.js';
import { Prng } from '../lib/prng.js';
import { DurableStore, StoreError } from './durable-store.js';
import { InvariantChecker, InvariantViolation } from './invariants.js';
import { SimNetwork, type NetworkOptions } from './network.js';
import { membershipAsOf, simBootstrap } from './sim-membership.js';
import { describeEntries, describeMessage } from './trace-format.js';
import { wireCopy } from './wire-copy.js';

/** Where inside one Ready's processing a crash may strike. */
export type CrashPoint = 'after-ready' | 'after-persist' | 'after-send' | 'after-apply' | 'during-snapshot';
export const CRASH_POINTS: readonly CrashPoint[] = ['after-ready', 'after-persist', 'after-send', 'after-apply', 'during-snapshot'];

/**
 * Snapshots and log compaction: a node snapshots its state machine once `every` entries were
 * applied since its last snapshot (only entries durable in its own log), then compacts its log
 * to `trailing` entries before the snapshot.
 */
export interface SnapshotOptions {
  every: number;
  trailing: number;
}

/** On the simulated wire a snapshot travels whole, with the state machine it carries. */
type SimInstallSnapshot = InstallSnapshot & { state: Entry[] };

export interface ClusterOptions {
  /** Number of nodes; ids are 1..nodes. */
  nodes: number;
  seed: number;
  electionTicksMin?: number;
  electionTicksMax?: number;
  heartbeatTicks?: number;
  /** Passed through to every node's RaftConfig. */
  preVote?: boolean;
  checkQuorum?: boolean;
  maxInflight?: number;
  maxEntriesPerMessage?: number;
  /** RaftConfig.readMode of every node (default 'readindex'). */
  readMode?: ReadMode;
  /** RaftConfig.maxClockDrift of every node (default 0.1); the drift the run's clocks stay within. */
  maxClockDrift?: number;
  network?: Partial<NetworkOptions>;
  /**
   * Probability that a node's Ready is processed right after each message it receives, instead
   * of once at the end of the tick: varies how inputs batch into Readies.
   */
  eagerReadyRate?: number;
  /** Receives one line per event (deliveries, drops, crashes, role changes...). */
  trace?: ((line: string) => void) | null;
  /**
   * Drive the cores the way the node process does (src/node/raft-driver.ts): up to two Readies in
   * flight, committed entries applied as soon as a Ready is taken (before its fsync), a leader's
   * messages sent before its fsync, everything else sent when the write completes; writes complete
   * in order. Default false: one Ready at a time, persist -> send -> apply -> advance.
   */
  pipelined?: boolean;
  /**
   * Harness self-test only: break the driver on purpose so tests can show the checker notices.
   * 'send-before-persist' sends a Ready's messages before writing its hard state and entries.
   * 'long-lease' runs in lease mode with a lease of 2 * electionTicksMax (longer than any
   * election timeout: unsafe).
   */
  sabotage?: Sabotage | null;
  /** Take snapshots and compact logs (default: never). */
  snapshots?: SnapshotOptions | null;
  /**
   * Extra nodes beyond `nodes` (ids nodes+1...) that start empty and outside the membership, as
   * `raftkv node --join` does, until a membership change adds them. Default 0.
   */
  spares?: number;
}

export type ReadMode = 'readindex' | 'lease';
export const READ_MODES: readonly ReadMode[] = ['readindex', 'lease'];
export type Sabotage = 'send-before-persist' | 'long-lease';
export const SABOTAGES: readonly Sabotage[] = ['send-before-persist', 'long-lease'];

/** A batch a client handed to propose(), and what the node said. */
export interface ProposalRecord {
  node: NodeId;
  tick: number;
  commands: string[];
  result: ProposeResult;
}

export interface ClusterStats {
  ticks: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  crashes: number;
  restarts: number;
  leaderChanges: number;
  readsIssued: number;
  readsServed: number;
  readsFailed: number;
  /** Reads a leader answered at once from its lease (no heartbeat round). */
  leaseReads: number;
  /** Membership changes a leader appended to its log (whether or not they committed). */
  confChanges: number;
}

export class SimNode {
  raw: RawNode | null = null;
  readonly store = new DurableStore();
  /** Bumped at every restart; seeds the core's PRNG so a restart draws fresh timeouts. */
  incarnation = 0;
  /** Reads answered with an index, waiting for applied >= index. */
  pendingReads: { ctx: string; index: number }[] = [];
  /** Last role/term/leader traced, to log changes only. */
  lastRole: Role | 'down' = 'down';
  lastTerm = 0;
  lastLeader: NodeId = 0;
  /** Role and term as of the last Ready taken (its softState, or the one before): who wrote it. */
  readyRole: Role = 'follower';
  readyTerm = 0;
  /**
   * Paused (a long GC pause, a stopped VM): the process keeps its memory but neither ticks nor
   * handles messages; what arrives meanwhile waits in `held` and is handled, in order, on resume.
   */
  paused = false;
  held: Message[] = [];
  /** Ticks its clock would have counted while paused (caught up on resume in lease mode). */
  missedTicks = 0;
  /** A Ready whose write is still in progress (asynchronous disk); lost if the node crashes. */
  writing: { rd: Ready; doneAt: number } | null = null;
  /** Pipelined driver: Readies taken whose writes have not completed, oldest first. */
  writes: { rd: Ready; doneAt: number }[] = [];
  /** Snapshots received from a leader and handed to the core, by "index/term" (memory only). */
  receivedSnapshots = new Map<string, Entry[]>();

  constructor(readonly id: NodeId) {}

  get up(): boolean {
    return this.raw !== null;
  }
}

export class SimCluster {
  now = 0;
  /** Every node, spares included. */
  readonly ids: NodeId[];
  /** The nodes of the bootstrap membership (1..nodes), and that membership. */
  readonly bootstrapIds: NodeId[];
  readonly bootstrap: Membership;
  readonly nodes = new Map<NodeId, SimNode>();
  /** Nodes a leader was asked to remove: never added back (their disks were not wiped). */
  readonly removedEver = new Set<NodeId>();
  readonly network: SimNetwork;
  readonly checker: InvariantChecker;
  readonly proposals: ProposalRecord[] = [];
  /** Reads answered with an index and served once applied caught up: ctx -> index. */
  readonly servedReads = new Map<string, number>();
  /** Reads answered with -1 (no leader, leadership lost): their clients must retry. */
  readonly failedReads = new Set<string>();
  readonly stats: ClusterStats = {
    ticks: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    crashes: 0,
    restarts: 0,
    leaderChanges: 0,
    readsIssued: 0,
    readsServed: 0,
    readsFailed: 0,
    leaseReads: 0,
    confChanges: 0,
  };
  /** Asked at every crash point of every Ready; return true to crash the node right there. */
  crashHook: ((id: NodeId, point: CrashPoint) => boolean) | null = null;
  /**
   * Ticks a Ready's write takes on node `id` (asked per Ready); 0 or null = synchronous. While a
   * write is in progress the node keeps receiving messages and ticks, as with a real async fsync.
   */
  diskLatency: ((id: NodeId) => number) | null = null;
  /** How many times node `id` ticks this tick (0, 1 or 2: clock drift); default 1. */
  tickMultiplier: ((id: NodeId) => number) | null = null;
  /** Scenarios that forge impossible messages on purpose set this; otherwise a refusal is a bug. */
  allowRefused = false;
  /** Whether restarts keep the state machine (applied > 0) or replay it; default: replay. */
  restartKeepsApplied: (id: NodeId) => boolean = () => false;

  private readonly opts: Required<Omit<ClusterOptions, 'network' | 'trace' | 'sabotage' | 'pipelined' | 'snapshots' | 'spares'>>;
  readonly snapshots: SnapshotOptions | null;
  /** Leader lease length forced by the 'long-lease' sabotage (0: the core's safe default). */
  private readonly unsafeLeaseTicks: number;
  private readonly trace: ((line: string) => void) | null;
  private readonly sabotage: ClusterOptions['sabotage'];
  readonly pipelined: boolean;
  private readonly rootPrng: Prng;
  /** Driver-side choices (eager readies, tick order). */
  private readonly driverPrng: Prng;
  private commandSeq = 0;
  private readSeq = 0;
  /** "id:term" pairs already checked for leader completeness. */
  private readonly completenessChecked = new Set<string>();

  constructor(options: ClusterOptions) {
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 9) {
      throw new RangeError(`SIM_BAD_OPTION: nodes must be an integer in [1, 9], got ${options.nodes}`);
    }
    this.opts = {
      nodes: options.nodes,
      seed: options.seed,
      electionTicksMin: options.electionTicksMin ?? 10,
      electionTicksMax: options.electionTicksMax ?? 20,
      heartbeatTicks: options.heartbeatTicks ?? 2,
      preVote: options.preVote ?? true,
      checkQuorum: options.checkQuorum ?? true,
      maxInflight: options.maxInflight ?? 64,
      maxEntriesPerMessage: options.maxEntriesPerMessage ?? 256,
      readMode: options.sabotage === 'long-lease' ? 'lease' : (options.readMode ?? 'readindex'),
      maxClockDrift: options.maxClockDrift ?? 0.1,
      eagerReadyRate: options.eagerReadyRate ?? 0,
    };
    this.trace = options.trace ?? null;
    this.sabotage = options.sabotage ?? null;
    this.pipelined = options.pipelined ?? false;
    this.snapshots = options.snapshots ?? null;
    this.unsafeLeaseTicks = this.sabotage === 'long-lease' ? 2 * this.opts.electionTicksMax : 0;
    this.rootPrng = new Prng(options.seed);
    this.driverPrng = this.rootPrng.fork('driver');
    const spares = options.spares ?? 0;
    if (!Number.isInteger(spares) || spares < 0 || options.nodes + spares > 9) throw new RangeError(`SIM_BAD_OPTION: spares must be an integer >= 0 with nodes + spares <= 9, got ${spares}`);
    this.bootstrapIds = Array.from({ length: options.nodes }, (_, i) => i + 1);
    this.bootstrap = simBootstrap(this.bootstrapIds);
    this.ids = Array.from({ length: options.nodes + spares }, (_, i) => i + 1);
    for (const id of this.ids) this.nodes.set(id, new SimNode(id));
    const stores = new Map<NodeId, DurableStore>();
    for (const n of this.nodes.values()) stores.set(n.id, n.store);
    this.checker = new InvariantChecker(this.ids, stores, this.bootstrap);
    this.network = new SimNetwork(this.ids, this.rootPrng.fork('network'), options.network ?? {});
    this.network.listener = {
      dropped: (msg, reason) => {
        this.stats.dropped++;
        if (this.trace) this.log(`drop ${describeMessage(msg)} (${reason})`);
      },
      duplicated: (msg) => {
        this.stats.duplicated++;
        if (this.trace) this.log(`dup ${describeMessage(msg)}`);
      },
    };
    for (const id of this.ids) this.start(id, false);
  }

  get config(): Readonly<Required<Omit<ClusterOptions, 'network' | 'trace' | 'sabotage' | 'pipelined' | 'snapshots' | 'spares'>>> {
    return this.opts;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new RangeError(`SIM_NO_SUCH_NODE: ${id}`);
    return n;
  }

  upIds(): NodeId[] {
    return this.ids.filter((id) => this.node(id).up);
  }

  /** Up and not paused: the nodes a client can talk to right now. */
  activeIds(): NodeId[] {
    return this.ids.filter((id) => this.node(id).up && !this.node(id).paused);
  }

  downIds(): NodeId[] {
    return this.ids.filter((id) => !this.node(id).up);
  }

  status(id: NodeId): RaftStatus | null {
    const n = this.node(id);
    return n.raw ? this.guard(id, 'status', () => n.raw!.status()) : null;
  }

  /**
   * The leader an outside observer would talk to: the up node that is leader in the highest term,
   * or 0 when no up node is leader.
   */
  leader(): NodeId {
    let best: NodeId = 0;
    let bestTerm = -1;
    for (const id of this.ids) {
      const st = this.status(id);
      if (st && st.role === 'leader' && st.term > bestTerm) {
        best = id;
        bestTerm = st.term;
      }
    }
    return best;
  }

  /** The entries node `id` has applied, in index order (its state machine). */
  appliedLog(id: NodeId): readonly Entry[] {
    return this.node(id).store.appliedLog;
  }

  // ---- time -------------------------------------------------------------------------------

  /**
   * One tick: deliver every message due now, tick the nodes (all up nodes, or only `only`), then
   * process every node's Ready and check each node's status.
   */
  tick(options: { only?: readonly NodeId[] } = {}): void {
    this.now++;
    this.stats.ticks++;
    this.checker.now = this.now;
    this.completeWrites(false);
    this.deliverAll(this.network.due(this.now));
    const tickable = options.only ?? this.ids;
    for (const id of this.driverPrng.shuffle(tickable)) {
      const n = this.node(id);
      if (!n.raw) continue;
      if (n.paused) {
        // Real time passes for a frozen process too; a lease-mode driver catches up on resume.
        if (this.opts.readMode === 'lease') n.missedTicks += this.tickMultiplier ? this.tickMultiplier(id) : 1;
        continue;
      }
      // Clock drift: a node's timer may fire late (skip) or catch up (twice).
      const k = this.tickMultiplier ? this.tickMultiplier(id) : 1;
      for (let i = 0; i < k; i++) this.guard(id, 'tick', () => n.raw!.tick());
    }
    this.processAllReadies();
    this.checkStatuses();
  }

  /** `n` ticks (scenarios). */
  ticks(n: number, options: { only?: readonly NodeId[] } = {}): void {
    for (let i = 0; i < n; i++) this.tick(options);
  }

  /**
   * Tick until `cond()` holds, at most `maxTicks` ticks; returns whether it held. The condition is
   * checked before the first tick too.
   */
  runUntil(cond: () => boolean, maxTicks: number, options: { only?: readonly NodeId[] } = {}): boolean {
    if (cond()) return true;
    for (let i = 0; i < maxTicks; i++) {
      this.tick(options);
      if (cond()) return true;
    }
    return false;
  }

  /**
   * Deliver everything in flight, ignoring delays, and whatever that provokes, until the wire is
   * quiet (scripted scenarios use this as "let the network settle" without advancing time).
   * Returns the number of rounds it took; throws if it does not settle in `maxRounds`.
   */
  settle(maxRounds = 100): number {
    for (let round = 0; round < maxRounds; round++) {
      this.completeWrites(true);
      this.processAllReadies();
      if (this.network.inFlight === 0 && this.ids.every((id) => !this.node(id).writing && this.node(id).writes.length === 0)) {
        this.checkStatuses();
        return round;
      }
      this.deliverAll(this.network.dueAll());
    }
    throw new Error(`SIM_NOT_SETTLED: messages still in flight after ${maxRounds} rounds`);
  }

  // ---- faults -----------------------------------------------------------------------------

  /** Crash node `id` now: everything not in its store is gone. */
  crash(id: NodeId, why = 'crash'): void {
    const n = this.node(id);
    if (!n.raw) return;
    n.raw = null;
    n.pendingReads = []; // reads waiting to be served die with the process; their clients time out
    n.paused = false;
    n.held = [];
    n.missedTicks = 0;
    n.writing = null;
    n.writes = [];
    n.receivedSnapshots.clear();
    this.stats.crashes++;
    if (this.trace) this.log(`crash ${id} (${why}) store: term=${n.store.hardState.term} vote=${n.store.hardState.vote} commit=${n.store.hardState.commit} last=${n.store.lastIndex}/${n.store.lastTerm}`);
    this.noteRole(n, 'down', n.lastTerm, 0);
  }

  /** Freeze node `id` (see SimNode.paused). A crash while paused ends the pause. */
  pause(id: NodeId): void {
    const n = this.node(id);
    if (!n.raw || n.paused) return;
    n.paused = true;
    if (this.trace) this.log(`pause ${id}`);
  }

  /**
   * Unfreeze node `id`: it handles what it was sent meanwhile, in order, then runs normally.
   * With dropHeld, what arrived during the pause is lost instead (scenarios use this to let a
   * stale leader act before it learns anything).
   *
   * In lease mode the node first ticks once for every tick its clock missed while frozen, as the
   * driver contract requires (src/node/raft/types.ts: tick up to the current time before any
   * input); catchUp: false breaks that contract on purpose (a scenario shows what goes wrong).
   */
  resume(id: NodeId, options: { dropHeld?: boolean; catchUp?: boolean } = {}): void {
    const n = this.node(id);
    if (!n.paused) return;
    n.paused = false;
    const held = n.held;
    n.held = [];
    const missed = n.missedTicks;
    n.missedTicks = 0;
    const catchUp = options.catchUp ?? this.opts.readMode === 'lease';
    if (this.trace) this.log(`resume ${id} (${held.length} messages waiting${options.dropHeld ? ', dropped' : ''}${catchUp ? `, ${missed} ticks to catch up` : ''})`);
    if (catchUp) for (let i = 0; i < missed && n.raw; i++) this.guard(id, 'tick', () => n.raw!.tick());
    if (options.dropHeld) {
      for (const m of held) this.network.listener?.dropped(m, 'filter');
      return;
    }
    this.deliverAll(held);
    this.processReadies(n);
  }

  /** Restart a down node from its store. */
  restart(id: NodeId): void {
    const n = this.node(id);
    if (n.raw) return;
    this.stats.restarts++;
    this.start(id, this.restartKeepsApplied(id));
  }

  // ---- clients ----------------------------------------------------------------------------

  /** A fresh command, unique over the run. */
  nextCommand(): string {
    return `c${++this.commandSeq}`;
  }

  /** A client proposes `count` fresh commands at node `id` (must be up and not paused). */
  propose(id: NodeId, count = 1): ProposalRecord {
    const n = this.node(id);
    if (!n.raw) throw new Error(`SIM_NODE_DOWN: cannot propose at down node ${id}`);
    if (n.paused) throw new Error(`SIM_NODE_PAUSED: cannot propose at paused node ${id} (a frozen process takes no requests)`);
    const commands = Array.from({ length: count }, () => this.nextCommand());
    const result = this.guard(id, 'propose', () => n.raw!.propose(commands.slice()));
    const rec: ProposalRecord = { node: id, tick: this.now, commands, result };
    this.proposals.push(rec);
    if (result.status === 'appended') {
      // Only the leader of result.term could have appended there.
      this.checker.observeLeader(id, result.term, 'propose appended');
    }
    if (this.trace) this.log(`propose ${id} ${commands.join(',')} -> ${result.status}${result.status === 'appended' ? ` @${result.index}/${result.term}` : ` leader=${result.leader}`}`);
    return rec;
  }

  /** A client asks node `id` (must be up and not paused) for a read index; returns the read's context. */
  readIndex(id: NodeId): string {
    const n = this.node(id);
    if (!n.raw) throw new Error(`SIM_NODE_DOWN: cannot read at down node ${id}`);
    // A frozen process takes no requests; its clock also stands still until it resumes and
    // catches up, so a read handed to it now would be judged by a clock that is wrong.
    if (n.paused) throw new Error(`SIM_NODE_PAUSED: cannot read at paused node ${id} (a frozen process takes no requests)`);
    const ctx = `r${++this.readSeq}`;
    this.checker.observeReadIssued(id, ctx);
    this.stats.readsIssued++;
    if (this.trace) this.log(`read ${id} ${ctx} (bound ${this.checker.highestApplied})`);
    this.guard(id, 'readIndex', () => n.raw!.readIndex(ctx));
    if (this.opts.readMode === 'lease' && (this.status(id)?.leaseTicksLeft ?? 0) > 0) {
      // Answered at once from the lease (the read state comes out in this node's next Ready).
      this.stats.leaseReads++;
      if (this.trace) this.log(`lease read ${id} ${ctx} (${this.status(id)!.leaseTicksLeft} ticks of lease left)`);
    }
    return ctx;
  }

  /** Hand a message to a node directly, bypassing the network (scenarios). */
  inject(msg: Message): void {
    this.deliverAll([wireCopy(msg)]);
  }

  // ---- internals --------------------------------------------------------------------------

  private start(id: NodeId, keepAppliedWanted: boolean): void {
    // A state machine that survives a restart (a snapshot, later) may only cover entries that
    // are durable in this node's own log and commit index: the pipelined driver applies before
    // its fsync, so its state machine can be ahead of both. Such a node replays instead (as the
    // node process always does today); a snapshot must wait for the log's fsync (etcd's rule).
    const store = this.node(id).store;
    // And one older than the log's start (a snapshot was installed on disk but the process died
    // before its state machine took it) cannot be caught up from the log: it restores the snapshot.
    const keepApplied = keepAppliedWanted && store.applied <= Math.min(store.hardState.commit, store.lastIndex) && store.applied >= store.firstIndex - 1;
    const n = this.node(id);
    const spare = !this.bootstrapIds.includes(id);
    const config: RaftConfig = {
      id,
      // A spare joins knowing nobody (`raftkv node --join`): it learns the membership from the log.
      peers: spare ? [] : this.bootstrapIds.slice(),
      addresses: spare ? {} : this.bootstrap.addresses,
      electionTicksMin: this.opts.electionTicksMin,
      electionTicksMax: this.opts.electionTicksMax,
      heartbeatTicks: this.opts.heartbeatTicks,
      random: this.rootPrng.fork(`core-${id}-${n.incarnation}`).asFunction(),
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      maxInflight: this.opts.maxInflight,
      maxEntriesPerMessage: this.opts.maxEntriesPerMessage,
      readMode: this.opts.readMode,
      maxClockDrift: this.opts.maxClockDrift,
      unsafeLeaseTicks: this.unsafeLeaseTicks,
    };
    const fresh = n.incarnation === 0;
    const pipeline = { maxPendingReadies: this.pipelined ? 2 : 1 };
    n.readyRole = 'follower';
    n.readyTerm = n.store.hardState.term;
    if (!fresh && !keepApplied) n.store.resetStateMachine();
    n.raw = this.guard(id, 'constructor', () => (fresh ? new RawNode(config, undefined, pipeline) : new RawNode(config, this.initialState(n.store, keepApplied), pipeline)));
    n.incarnation++;
    this.checker.observeRestart(id);
    if (!fresh) {
      if (this.trace) this.log(`restart ${id} (${keepApplied ? `keeping applied=${n.store.applied}` : 'replaying state machine'}) store: term=${n.store.hardState.term} vote=${n.store.hardState.vote} commit=${n.store.hardState.commit} last=${n.store.lastIndex}/${n.store.lastTerm}`);
    }
  }

  /** What a restart reads from disk, with the membership as of the log's start (the snapshot's header). */
  private initialState(store: DurableStore, keepApplied: boolean): RaftInitialState {
    const init = store.initialState(keepApplied);
    if (init.snapshotIndex > 0) init.membership = membershipAsOf((i) => store.entryAt(i), init.snapshotIndex, this.bootstrap);
    return init;
  }

  /** The members (voters and learners) of the newest committed membership. */
  members(): NodeId[] {
    return this.checker.members();
  }

  private deliverAll(msgs: readonly Message[]): void {
    for (const m of msgs) {
      const n = this.nodes.get(m.to);
      if (!n || !n.raw) {
        this.stats.dropped++;
        if (this.trace) this.log(`drop ${describeMessage(m)} (down)`);
        continue;
      }
      if (n.paused) {
        n.held.push(m);
        continue;
      }
      this.stats.delivered++;
      if (this.trace) this.log(`deliver ${describeMessage(m)}`);
      let input: Message = m;
      if (m.type === 'snapshot') {
        // The node received the whole snapshot (the real node assembles and verifies its chunks
        // first); the core sees only which snapshot it is.
        const { state, ...meta } = m as SimInstallSnapshot;
        n.receivedSnapshots.set(`${meta.index}/${meta.snapshotTerm}`, state);
        // Keep the last few only: one being installed, maybe a newer one arriving meanwhile.
        if (n.receivedSnapshots.size > 4) n.receivedSnapshots.delete(n.receivedSnapshots.keys().next().value!);
        // The receiving node reads the membership from the snapshot's header.
        input = { ...meta, membership: membershipAsOf((i) => state[i - 1], meta.index, this.bootstrap) };
      }
      this.guard(n.id, `step ${m.type}`, () => n.raw!.step(input));
      if (this.driverPrng.chance(this.opts.eagerReadyRate)) this.processReadies(n);
    }
  }

  private processAllReadies(): void {
    for (const id of this.ids) this.processReadies(this.node(id));
  }

  /** Process Readies of one node until it has none (bounded: a core that never quiesces is a bug). */
  private processReadies(n: SimNode): void {
    if (n.paused || n.writing) return;
    for (let i = 0; n.raw && this.guard(n.id, 'hasReady', () => n.raw!.hasReady()); i++) {
      if (i >= 100) this.checker.fail('CORE_THREW', `node ${n.id} still has a Ready after 100 rounds`);
      this.processReady(n);
    }
  }

  /** One Ready, in the driver's order; a crash may cut it short anywhere. */
  private processReady(n: SimNode): void {
    if (this.pipelined) {
      this.processReadyPipelined(n);
      return;
    }
    const id = n.id;
    const raw = n.raw!;
    const rd: Ready = this.takeReady(n);
    if (rd.softState) {
      n.readyRole = rd.softState.role;
      n.readyTerm = rd.softState.term;
    }
    if (this.maybeCrash(n, 'after-ready')) return;
    const latency = this.diskLatency ? this.diskLatency(id) : 0;
    if (latency > 0) {
      // Asynchronous disk: the write completes `latency` ticks from now; meanwhile the node keeps
      // ticking and stepping messages (inputs between ready() and advance() are allowed).
      n.writing = { rd, doneAt: this.now + latency };
      if (this.trace) this.log(`disk ${id} writing ${describeEntries(rd.entries)}${rd.hardState ? ` hs=t${rd.hardState.term}/v${rd.hardState.vote}/c${rd.hardState.commit}` : ''} until ${n.writing.doneAt}`);
      return;
    }
    this.completeReady(n, rd);
  }

  /**
   * The node process's pipelined order: take the Ready; a leader sends at once; committed entries
   * are applied at once (they are durable on a majority; the checker verifies exactly that);
   * the write is queued and completes later, in order, with its sends and advance().
   */
  private processReadyPipelined(n: SimNode): void {
    const id = n.id;
    const rd: Ready = this.takeReady(n);
    if (rd.softState) {
      n.readyRole = rd.softState.role;
      n.readyTerm = rd.softState.term;
    }
    if (this.maybeCrash(n, 'after-ready')) return;
    if (rd.sendBeforePersist) {
      this.send(n, rd);
      if (this.maybeCrash(n, 'after-send')) return;
    }
    this.applyAndRead(n, rd, true);
    if (this.maybeCrash(n, 'after-apply')) return;
    const latency = this.diskLatency ? this.diskLatency(id) : 0;
    n.writes.push({ rd, doneAt: this.now + latency });
    if (this.trace) this.log(`disk ${id} queued ${describeEntries(rd.entries)}${rd.hardState ? ` hs=t${rd.hardState.term}/v${rd.hardState.vote}/c${rd.hardState.commit}` : ''} until ${this.now + latency} (${n.writes.length} queued)`);
    if (latency === 0) this.completePipelinedWrites(n, false);
  }

  /** Complete queued writes from the oldest while they are due (all with `all`): in order, like the WAL. */
  private completePipelinedWrites(n: SimNode, all: boolean): void {
    while (n.raw && !n.paused && n.writes.length > 0 && (all || n.writes[0]!.doneAt <= this.now)) {
      const { rd } = n.writes.shift()!;
      this.persist(n, rd);
      if (this.maybeCrash(n, 'after-persist')) return;
      if (!rd.sendBeforePersist) {
        this.send(n, rd);
        if (this.maybeCrash(n, 'after-send')) return;
      }
      this.guard(n.id, 'advance', () => n.raw!.advance(rd));
      this.maybeSnapshot(n);
    }
  }

  /**
   * ready(), checked: the simulated peers are all correct, so a message the core refused as
   * impossible is a core bug (unless a scenario forged it on purpose: allowRefused).
   */
  private takeReady(n: SimNode): Ready {
    const rd: Ready = this.guard(n.id, 'ready', () => n.raw!.ready());
    // A leader's config entries are in force from here on, before any disk or message has them.
    this.checker.observeConfigEntries(rd.entries);
    for (const r of rd.refused) {
      if (this.trace) this.log(`refused ${n.id} ${r.type} from ${r.from}: ${r.reason}`);
      if (!this.allowRefused) this.checker.fail('CORE_REFUSED', `node ${n.id} refused a ${r.type} from node ${r.from}: ${r.reason}`);
    }
    return rd;
  }

  /** Finish every asynchronous write due by now (all of them with `all`), then their follow-ups. */
  private completeWrites(all: boolean): void {
    for (const id of this.ids) {
      const n = this.node(id);
      if (n.writes.length > 0) {
        this.completePipelinedWrites(n, all);
        this.processReadies(n);
        continue;
      }
      if (!n.writing || !n.raw || n.paused || (!all && n.writing.doneAt > this.now)) continue;
      const rd = n.writing.rd;
      n.writing = null;
      this.completeReady(n, rd);
      this.processReadies(n);
    }
  }

  /** The rest of a Ready once it is in hand: persist, send, apply, advance (etcd's order). */
  private completeReady(n: SimNode, rd: Ready): void {
    const id = n.id;
    const raw = n.raw!;

    if (this.sabotage === 'send-before-persist') {
      // Deliberately wrong order (harness self-test): a crash right after sending loses state
      // that peers were already told about (e.g. a vote), which Raft cannot survive.
      this.send(n, rd);
      if (this.maybeCrash(n, 'after-send')) return;
      this.persist(n, rd);
      if (this.maybeCrash(n, 'after-persist')) return;
    } else {
      this.persist(n, rd);
      if (this.maybeCrash(n, 'after-persist')) return;
      this.send(n, rd);
      if (this.maybeCrash(n, 'after-send')) return;
    }

    this.applyAndRead(n, rd, false);
    if (this.maybeCrash(n, 'after-apply')) return;

    this.guard(id, 'advance', () => raw.advance(rd));
    this.maybeSnapshot(n);
  }

  /**
   * Apply a Ready's committed entries and take its read states. `early`: before this node's own
   * write of the Ready completed (pipelined driver), so the checker demands durability on a
   * majority instead of in this node's own store.
   */
  private applyAndRead(n: SimNode, rd: Ready, early: boolean): void {
    const id = n.id;
    if (rd.snapshot) {
      // InstallSnapshot: the state machine becomes the leader's snapshot before anything after it.
      const state = this.receivedState(n, rd.snapshot.index, rd.snapshot.term);
      this.checker.observeSnapshot(id, 'installed', rd.snapshot.index, state);
      n.store.appliedLog = state.map((e) => wireCopy(e));
      n.store.applied = rd.snapshot.index;
      if (this.trace) this.log(`install ${id} snapshot ${rd.snapshot.index}/${rd.snapshot.term} into the state machine`);
    }
    for (const e of rd.committedEntries) {
      this.checker.observeApply(id, n.store, e, n.store.applied, early);
      n.store.recordApplied(e);
    }
    if (this.trace && rd.committedEntries.length > 0) this.log(`apply ${id} ${describeEntries(rd.committedEntries)}${early ? ' (before its fsync)' : ''}`);
    for (const rs of rd.readStates) {
      const outcome = this.checker.observeReadState(id, rs.ctx, rs.index);
      if (this.trace) this.log(`readState ${id} ${rs.ctx} i=${rs.index}`);
      if (outcome.ok) n.pendingReads.push({ ctx: rs.ctx, index: rs.index });
      else {
        this.stats.readsFailed++;
        this.failedReads.add(rs.ctx);
      }
    }
    this.serveReads(n);
  }

  private persist(n: SimNode, rd: Ready): void {
    const id = n.id;
    const store = n.store;
    const commitBefore = store.hardState.commit;
    if (rd.hardState) this.checker.observeHardState(id, store.hardState, rd.hardState);
    if (rd.snapshot) {
      const state = this.receivedState(n, rd.snapshot.index, rd.snapshot.term);
      const dropped = store.installSnapshot(rd.snapshot.index, rd.snapshot.term, state);
      // Entries at or below the old commit index agree with the snapshot; only the rest is news.
      this.checker.observeAppend(id, store, [], dropped.filter((e) => e.index > commitBefore), commitBefore);
      if (this.trace) this.log(`disk ${id} installed snapshot ${rd.snapshot.index}/${rd.snapshot.term} (log of ${dropped.length} entries dropped)`);
    }
    let removed: Entry[] = [];
    try {
      removed = store.append(rd.entries).removed;
    } catch (err) {
      if (err instanceof StoreError) this.checker.fail('STORE_REFUSED', `node ${id}: ${err.message}`);
      throw err;
    }
    if (rd.hardState) store.setHardState(rd.hardState);
    if (removed.length > 0 && n.readyRole === 'leader') {
      this.checker.fail('LEADER_APPEND_ONLY', `node ${id}, leader of term ${n.readyTerm}, replaced its own entries from ${removed[0]!.index}`);
    }
    this.checker.observeAppend(id, store, rd.entries, removed, commitBefore);
    if (this.trace && removed.length > 0) this.log(`truncate ${id} from ${removed[0]!.index} (removed ${describeEntries(removed)})`);
    if (rd.hardState && rd.hardState.commit > commitBefore) {
      this.checker.observeCommit(id, store, commitBefore, rd.hardState.commit, rd.hardState.term);
    }
    if (rd.softState) {
      this.noteRole(n, rd.softState.role, rd.softState.term, rd.softState.leader);
      if (rd.softState.role === 'leader') this.checkNewLeader(id, rd.softState.term);
    }
  }

  private send(n: SimNode, rd: Ready): void {
    for (const m of rd.messages) {
      this.checker.observeSent(n.id, m);
      if (m.type === 'snapshot') {
        // As the node does: send the newest snapshot on disk, which covers at least what the core
        // named (its compaction point).
        const snap = n.store.snapshot;
        if (!snap || snap.index < m.index) this.checker.fail('CORE_THREW', `node ${n.id} asked to send snapshot ${m.index} but holds ${snap ? snap.index : 'none'}`);
        const wire: SimInstallSnapshot = { ...m, index: snap.index, snapshotTerm: snap.term, state: snap.state };
        this.network.send(wire, this.now);
        continue;
      }
      this.network.send(m, this.now);
    }
  }

  /** The state a received snapshot carried (it must have arrived before the core accepted it). */
  private receivedState(n: SimNode, index: number, term: number): Entry[] {
    const state = n.receivedSnapshots.get(`${index}/${term}`);
    if (!state) this.checker.fail('CORE_THREW', `node ${n.id} installs snapshot ${index}/${term}, which it never received`);
    return state;
  }

  /**
   * Snapshot + compaction, as the node does after a Ready: only entries applied AND durable in
   * this node's own log go into a snapshot (the pipelined driver applies before its fsync).
   */
  private maybeSnapshot(n: SimNode): void {
    const opts = this.snapshots;
    if (!opts || !n.raw || n.paused) return;
    const st = this.guard(n.id, 'status', () => n.raw!.status());
    const store = n.store;
    const index = Math.min(st.lastApplied, st.stableIndex, store.applied, store.lastIndex);
    if (index - (store.snapshot?.index ?? 0) < opts.every || index < store.firstIndex) return;
    const term = store.termAt(index);
    if (store.appliedLog[index - 1]?.term !== term) return; // its log no longer holds what it applied
    if (this.maybeCrash(n, 'during-snapshot')) return; // the temp file dies with the process
    const state = store.appliedLog.slice(0, index);
    this.checker.observeSnapshot(n.id, 'taken', index, state);
    store.saveSnapshot(index, term, state);
    const compactTo = Math.max(store.firstIndex - 1, index - opts.trailing);
    store.compactTo(compactTo);
    this.guard(n.id, 'compact', () => n.raw!.compact(compactTo));
    if (this.trace) this.log(`snapshot ${n.id} at ${index}/${term}, log compacted to ${compactTo}`);
  }

  private serveReads(n: SimNode): void {
    if (n.pendingReads.length === 0) return;
    const still: { ctx: string; index: number }[] = [];
    for (const r of n.pendingReads) {
      if (n.store.applied >= r.index) {
        this.servedReads.set(r.ctx, r.index);
        this.stats.readsServed++;
      } else {
        still.push(r);
      }
    }
    n.pendingReads = still;
  }

  private checkNewLeader(id: NodeId, term: number): void {
    this.checker.observeLeader(id, term, 'softState');
    const key = `${id}:${term}`;
    if (this.completenessChecked.has(key)) return;
    this.completenessChecked.add(key);
    this.checker.observeBecameLeader(id, term, this.node(id).store);
  }

  private checkStatuses(): void {
    for (const id of this.ids) {
      const n = this.node(id);
      if (!n.raw) continue;
      const st = this.guard(id, 'status', () => n.raw!.status());
      this.checker.observeStatus(id, st);
      if (st.role === 'leader') this.checkNewLeader(id, st.term);
      this.noteRole(n, st.role, st.term, st.leader);
    }
  }

  private noteRole(n: SimNode, role: Role | 'down', term: number, leader: NodeId): void {
    if (role === n.lastRole && term === n.lastTerm && leader === n.lastLeader) return;
    if (role === 'leader' && n.lastRole !== 'leader') this.stats.leaderChanges++;
    if (this.trace) this.log(`role ${n.id} ${n.lastRole}/t${n.lastTerm} -> ${role}/t${term} leader=${leader}`);
    n.lastRole = role;
    n.lastTerm = term;
    n.lastLeader = leader;
  }

  private maybeCrash(n: SimNode, point: CrashPoint): boolean {
    if (!this.crashHook || !this.crashHook(n.id, point)) return false;
    this.crash(n.id, point);
    return true;
  }

  /** Run a core call; an exception from the core is a violation (it must never throw on valid input). */
  private guard<T>(id: NodeId, what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof InvariantViolation) throw err;
      const e = err as Error;
      const where = (e.stack ?? '').split('\n').slice(1, 3).map((s) => s.trim()).join(' | ');
      this.checker.fail('CORE_THREW', `node ${id} ${what}: ${e.message} (${where})`);
    }
  }

  /** Add a line to the trace (the chaos driver reports its faults through this). */
  traceEvent(line: string): void {
    this.log(line);
  }

  private log(line: string): void {
    if (this.trace) this.trace(`[${this.now}] ${line}`);
  }
}
