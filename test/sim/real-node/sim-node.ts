/**
 * One simulated node built from the code a real node runs: a RawNode, a RaftDriver (with its
 * ClientWaiters), a KvStateMachine with exactly-once sessions, and the snapshot code (Snapshotter,
 * SnapshotSender, SnapshotReceiver, start-up recovery from snapshot + WAL). Only the edges are
 * simulated: the clock (sim-scheduler.ts), the WAL (sim-disk.ts), the snapshot files
 * (sim-snapshot-fs.ts) and the network (../network.ts).
 *
 * Client requests enter as ClientServer.run sends them to the driver: writes through
 * `propose` (with the client's session), reads through `readBarrier` and then the local state
 * machine. A crash drops the node's timers and unsynced writes, answers its open client requests
 * with CONNECTION_LOST (the client's socket closes), and a restart rebuilds everything from what
 * the disks kept, as node-main.ts does: the newest valid snapshot, then the log after it.
 */
import { RaftKvError } from '../../../src/protocol/errors.js';
import type { Message } from '../../../src/protocol/raft-messages.js';
import type { Completion } from '../../../src/node/client-waiters.js';
import type { KvCommand } from '../../../src/node/kv-command.js';
import type { Logger } from '../../../src/node/logger.js';
import { RaftDriver, type RaftDriverOptions } from '../../../src/node/raft-driver.js';
import { RawNode } from '../../../src/node/raft/raw-node.js';
import { combineSnapshotAndLog } from '../../../src/node/recover-state.js';
import { SnapshotReceiver } from '../../../src/node/snapshot-receiver.js';
import { SnapshotSender } from '../../../src/node/snapshot-sender.js';
import { Snapshotter } from '../../../src/node/snapshotter.js';
import type { Membership } from '../../../src/protocol/raft-messages.js';
import type { JsonReply, MembershipRequest } from '../../../src/protocol/client-requests.js';
import { MembershipRequests, type MembershipRequestsOptions } from '../../../src/node/membership-requests.js';
import { simBootstrap } from '../sim-membership.js';
import type { Clock } from '../../../src/node/clock.js';
import type { RaftInitialState } from '../../../src/node/raft/types.js';
import type { SimSnapshotFs } from './sim-snapshot-fs.js';
import type { Prng } from '../../lib/prng.js';
import type { SimNetwork } from '../network.js';
import { CountedStateMachine, DoubleApplyStateMachine, type ApplyObserver } from './counted-state-machine.js';
import type { SimDisk, SimLifeStorage } from './sim-disk.js';
import type { KvStateMachine } from '../../../src/node/kv-state-machine.js';
import type { SnapshotFs } from '../../../src/node/storage/snapshot-fs.js';
import type { SnapshotFileInfo } from '../../../src/node/storage/snapshot-store.js';
import type { SimScheduler } from './sim-scheduler.js';
import { StaleReadDriver } from './stale-read-driver.js';

/** Self-tests of the checker: a node that reads without confirming leadership, a machine that applies retries again. */
export const REAL_SABOTAGES = ['stale-read', 'double-apply'] as const;
export type RealSabotage = (typeof REAL_SABOTAGES)[number];

/** A client request as the client port parses it (the JSON dialect's fields). */
export type SimRequest =
  | { op: 'get'; key: string }
  | { op: 'set'; key: string; value: string; clientId: string; seq: number }
  | { op: 'del'; key: string; clientId: string; seq: number }
  | { op: 'cas'; key: string; expected: string | null; value: string; clientId: string; seq: number };

export interface SimNodeConfig {
  id: number;
  peers: number[];
  tickMs: number;
  electionTicksMin: number;
  electionTicksMax: number;
  heartbeatTicks: number;
  readMode: 'readindex' | 'lease';
  maxClockDrift: number;
  /** This node's clock rate (1 = true time); within ±maxClockDrift. */
  clockRate: number;
  pipelineDepth: number;
  requestTimeoutMs: number;
  sabotage: RealSabotage | null;
  /** Applied entries between automatic snapshots (0: never), and the entries kept after one. */
  snapshotEvery: number;
  snapshotTrailing: number;
  /** Bytes of snapshot file per InstallSnapshot chunk. */
  snapshotChunkBytes: number;
  /** Each snapshot file operation completes [0, this] ms after it starts. */
  fileLatencyMsMax: number;
}

export class SimNode {
  /** The process runs (it may still be recovering: then `driver` is null). */
  up = false;
  /** Stopped (SIGSTOP, a long GC pause): what arrives meanwhile waits in `inbox`. */
  paused = false;
  private inbox: (() => void)[] = [];
  private life = 0;
  private owner = 0;
  driver: RaftDriver | null = null;
  sm: CountedStateMachine | null = null;
  /** Client requests taken and not yet answered, with how to answer them if the node dies. */
  private readonly open = new Set<Completion<unknown>>();
  /** Session writes executed over every life (exactly-once bookkeeping is per life). */
  private executedBefore = 0;
  /** Told of every message this node sends (the invariant checker; set by the run). */
  onSent: (m: Message) => void = () => {};
  /** Whether a connection to `to` would be up now (set by the run: links and peers it owns). */
  reachable: (to: number) => boolean = () => true;
  /** How this node reaches another node's client port to relay a membership request (set by the run). */
  relay: NonNullable<MembershipRequestsOptions['relay']> = () => Promise.reject(new RaftKvError('UNAVAILABLE', 'no relay'));
  private membershipRequests: MembershipRequests | null = null;
  private snapshotter: Snapshotter | null = null;
  private receiver: SnapshotReceiver | null = null;
  /** Snapshots taken and installed over every life. */
  private takenBefore = 0;
  snapshotsInstalled = 0;

  constructor(
    readonly cfg: SimNodeConfig,
    private readonly sched: SimScheduler,
    private readonly net: SimNetwork,
    readonly disk: SimDisk,
    readonly files: SimSnapshotFs,
    private readonly prng: Prng,
    private readonly log: (nodeId: number, line: string) => void,
    private readonly observer: ApplyObserver,
    private readonly onFatal: (nodeId: number, err: Error) => void,
  ) {}

  /** Starts a node life: recovery from the disks (asynchronous, as in node-main.ts), then the driver. */
  start(): void {
    const { cfg } = this;
    this.life++;
    this.owner = cfg.id * 1_000_000 + this.life;
    const life = this.life;
    const clock = this.sched.clockFor(this.owner, cfg.clockRate);
    const fileDelay = this.prng.fork(`files-${life}`);
    const owner = this.owner;
    const files = this.files.forLife((fn) => {
      const ms = fileDelay.int(0, cfg.fileLatencyMsMax);
      if (ms === 0) clock.defer(fn);
      else this.sched.after(ms, fn, owner);
    });
    const storage = this.disk.storage(() => this.sched.now);
    const logger = lineLogger((line) => this.log(cfg.id, line));
    this.up = true;
    const bootstrap = this.bootstrap();
    void combineSnapshotAndLog(this.dir, this.disk.recovered(), logger, {
      addresses: bootstrap.addresses,
      markSnapshot: (index, term) => storage.markSnapshot(index, term, { replacesLog: true }),
      files,
    }).then(
      (r) => {
        if (life !== this.life) return;
        logger.info(r.summary);
        this.build(life, clock, files, storage, logger, bootstrap, r.initial, r.sm, r.snapshots);
      },
      (err: Error) => {
        if (life === this.life) this.onFatal(cfg.id, new Error(`cannot recover: ${err.message}`));
      },
    );
  }

  private get dir(): string {
    return `/sim/node-${this.cfg.id}`;
  }

  /** cluster.json's members; none for a spare, which starts empty as `raftkv node --join` does. */
  private bootstrap(): Membership {
    return simBootstrap(this.cfg.peers);
  }

  private build(
    life: number,
    clock: Clock,
    files: SnapshotFs,
    storage: SimLifeStorage,
    logger: Logger,
    bootstrap: Membership,
    initial: RaftInitialState,
    recoveredSm: KvStateMachine,
    snapshots: SnapshotFileInfo[],
  ): void {
    const { cfg } = this;
    const raw = new RawNode(
      {
        id: cfg.id,
        peers: bootstrap.voters,
        learners: bootstrap.learners,
        addresses: bootstrap.addresses,
        electionTicksMin: cfg.electionTicksMin,
        electionTicksMax: cfg.electionTicksMax,
        heartbeatTicks: cfg.heartbeatTicks,
        readMode: cfg.readMode,
        maxClockDrift: cfg.maxClockDrift,
        random: this.prng.fork(`raft-${life}`).asFunction(),
      },
      initial,
      { maxPendingReadies: cfg.pipelineDepth },
    );
    const sm = cfg.sabotage === 'double-apply' ? new DoubleApplyStateMachine(this.observer) : new CountedStateMachine(this.observer);
    sm.replaceWith(recoveredSm);
    const send = (messages: Message[]): void => {
      if (life !== this.life || !this.up) return;
      for (const m of messages) {
        this.onSent(m);
        this.net.send(m, this.sched.now);
      }
    };
    const tmpTag = `life${life}`;
    const snapshotter = new Snapshotter({
      dir: this.dir,
      sm,
      raw,
      wal: storage,
      log: logger,
      bootstrap,
      every: cfg.snapshotEvery,
      trailing: cfg.snapshotTrailing,
      existing: snapshots,
      files,
      clock,
      tmpTag,
    });
    const sender = new SnapshotSender({
      self: cfg.id,
      log: logger,
      newest: () => snapshotter.newest,
      term: () => raw.status().term,
      // Chunks go as on the node's one TCP connection per peer: in order and whole, or the
      // connection is gone (a cut link, a peer down), which the sender sees and reports.
      send: (messages) => {
        if (life !== this.life || !this.up) return;
        for (const m of messages) {
          this.onSent(m);
          this.net.sendReliable(m, this.sched.now);
        }
      },
      backlog: (to) => (this.reachable(to) ? 0 : null),
      onDone: (to, ok) => driver.snapshotSent(to, ok),
      chunkBytes: cfg.snapshotChunkBytes,
      files,
      clock,
    });
    const receiver = new SnapshotReceiver({
      self: cfg.id,
      dir: this.dir,
      log: logger,
      term: () => raw.status().term,
      deliver: (m, received) => driver.deliverSnapshot(m, received),
      knownAddresses: () => ({ ...bootstrap.addresses, ...raw.membership().addresses }),
      files,
      clock,
      tmpTag,
    });
    const opts: RaftDriverOptions = {
      nodeId: cfg.id,
      raw,
      storage: {
        append: (hardState, entries) => storage.append(hardState, entries),
        markSnapshot: (index, term, o) => {
          // Only the driver's install of a received snapshot replaces the log.
          if (o.replacesLog) this.snapshotsInstalled++;
          return storage.markSnapshot(index, term, o);
        },
      },
      transport: { send },
      sm,
      log: logger,
      tickMs: cfg.tickMs,
      requestTimeoutMs: cfg.requestTimeoutMs,
      pipelineDepth: cfg.pipelineDepth,
      maxCatchUpTicks: 2 * cfg.electionTicksMax,
      onFatal: (err) => this.onFatal(cfg.id, err),
      snapshots: { dir: this.dir, snapshotter, sender, receiver, files },
      clock,
      // Unique per node and life, as time + randomness make it in a node process: read contexts
      // (`${boot}.rN`) from two nodes must never look alike to the leader.
      bootId: `n${cfg.id}.life${life}`,
    };
    const driver = cfg.sabotage === 'stale-read' ? new StaleReadDriver(opts) : new RaftDriver(opts);
    this.driver = driver;
    this.sm = sm;
    this.snapshotter = snapshotter;
    this.receiver = receiver;
    this.membershipRequests = new MembershipRequests({
      self: cfg.id,
      driver,
      log: logger,
      credentials: { tls: null, password: null },
      timeoutMs: cfg.requestTimeoutMs,
      relay: (to, body, creds, ms) => this.relay(to, body, creds, ms),
    });
    driver.start();
  }

  /** A snapshot is being taken or received (a crash now is one in the middle of it). */
  get snapshotBusy(): boolean {
    return (this.snapshotter?.stats.inProgress ?? false) || this.receiver?.receiving != null;
  }

  /** Snapshots this node took, every life together. */
  get snapshotsTaken(): number {
    return this.takenBefore + (this.snapshotter?.taken ?? 0);
  }

  /** The process stops running; peer messages and client requests wait for it in the socket buffers. */
  pause(): void {
    this.paused = true;
    this.sched.pause(this.owner);
  }

  resume(): void {
    this.paused = false;
    this.sched.resume(this.owner);
    const inbox = this.inbox;
    this.inbox = [];
    for (const arrive of inbox) arrive();
  }

  /** kill -9: timers and unsynced writes gone, open client connections closed. */
  crash(tornWrites: boolean): { kept: number; unsynced: number } {
    this.up = false;
    this.paused = false;
    this.inbox = [];
    this.sched.dropOwner(this.owner);
    this.executedBefore += this.sm?.sessionWrites ?? 0;
    this.takenBefore += this.snapshotter?.taken ?? 0;
    this.driver = null;
    this.sm = null;
    this.snapshotter = null;
    this.receiver = null;
    this.membershipRequests = null;
    const lost = this.disk.crash(tornWrites);
    this.files.crash(tornWrites);
    const open = [...this.open];
    this.open.clear();
    for (const done of open) done(new RaftKvError('CONNECTION_LOST', 'the node closed the connection before replying'));
    return lost;
  }

  /** A peer message off the simulated wire. */
  deliver(m: Message): void {
    if (this.paused) this.inbox.push(() => this.deliver(m));
    else this.driver?.step(m);
  }

  /** Session writes executed by this node's state machines, every life together. */
  get sessionWrites(): number {
    return this.executedBefore + (this.sm?.sessionWrites ?? 0);
  }

  /** A membership request on the client port (ClientServer hands these to MembershipRequests). */
  membershipRequest(req: MembershipRequest, done: (reply: JsonReply) => void): void {
    if (this.paused) return void this.inbox.push(() => this.membershipRequest(req, done));
    const requests = this.membershipRequests;
    const answer: Completion<unknown> = (err, value) => done(err ? { id: 1, ok: false, error: err } : { id: 1, ok: true, value });
    if (!requests) return answer(new RaftKvError('UNAVAILABLE', `node ${this.cfg.id} refused the connection (down)`));
    const once = this.track(answer);
    requests.run(req, once);
  }

  /** `done` wrapped to be called once, and with CONNECTION_LOST if this life ends first. */
  private track(done: Completion<unknown>): Completion<unknown> {
    let answered = false;
    const once: Completion<unknown> = (err, value) => {
      if (answered) return;
      answered = true;
      this.open.delete(once);
      done(err, value);
    };
    this.open.add(once);
    return once;
  }

  /** A client request arriving on the client port; `done` is called once (as ClientServer.run). */
  request(req: SimRequest, done: Completion<unknown>): void {
    if (this.paused) return void this.inbox.push(() => this.request(req, done));
    const driver = this.driver;
    const sm = this.sm;
    // Down, or still recovering (the client port opens after recovery).
    if (!driver || !sm) return done(new RaftKvError('UNAVAILABLE', `node ${this.cfg.id} refused the connection (down)`));
    const once = this.track(done);
    switch (req.op) {
      case 'get':
        return driver.readBarrier((err) => (err ? once(err) : once(null, sm.get(req.key))));
      case 'set':
        return driver.propose(session({ op: 'set', key: req.key, value: req.value }, req), once);
      case 'del':
        return driver.propose(session({ op: 'del', keys: [req.key] }, req), once);
      case 'cas':
        return driver.propose(session({ op: 'cas', key: req.key, expected: req.expected, value: req.value }, req), once);
    }
  }
}

function session<C extends KvCommand>(cmd: C, req: { clientId: string; seq: number }): C {
  cmd.clientId = req.clientId;
  cmd.seq = req.seq;
  return cmd;
}

function lineLogger(write: (line: string) => void): Logger {
  return {
    debug: () => {},
    info: (m) => write(m),
    warn: (m) => write(`WARN ${m}`),
    error: (m) => write(`ERROR ${m}`),
  };
}
