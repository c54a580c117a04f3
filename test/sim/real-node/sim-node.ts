/**
 * One simulated node built from the code a real node runs: a RawNode, a RaftDriver (with its
 * ClientWaiters), a KvStateMachine with exactly-once sessions. Only the edges are simulated: the
 * clock (sim-scheduler.ts), the disk (sim-disk.ts) and the network (../network.ts).
 *
 * Client requests enter as ClientServer.run sends them to the driver: writes through
 * `propose` (with the client's session), reads through `readBarrier` and then the local state
 * machine. A crash drops the node's timers and unsynced writes, answers its open client requests
 * with CONNECTION_LOST (the client's socket closes), and a restart rebuilds everything from what
 * the disk kept, replaying the log into a fresh state machine.
 */
import { RaftKvError } from '../../../src/protocol/errors.js';
import type { Message } from '../../../src/protocol/raft-messages.js';
import type { Completion } from '../../../src/node/client-waiters.js';
import type { KvCommand } from '../../../src/node/kv-command.js';
import type { Logger } from '../../../src/node/logger.js';
import { RaftDriver, type RaftDriverOptions } from '../../../src/node/raft-driver.js';
import { RawNode } from '../../../src/node/raft/raw-node.js';
import type { Prng } from '../../lib/prng.js';
import type { SimNetwork } from '../network.js';
import { CountedStateMachine, DoubleApplyStateMachine, type ApplyObserver } from './counted-state-machine.js';
import type { SimDisk } from './sim-disk.js';
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
}

export class SimNode {
  up = false;
  private life = 0;
  private owner = 0;
  driver: RaftDriver | null = null;
  sm: CountedStateMachine | null = null;
  /** Client requests taken and not yet answered, with how to answer them if the node dies. */
  private readonly open = new Set<Completion<unknown>>();
  /** Session writes executed over every life (exactly-once bookkeeping is per life). */
  private executedBefore = 0;

  constructor(
    readonly cfg: SimNodeConfig,
    private readonly sched: SimScheduler,
    private readonly net: SimNetwork,
    readonly disk: SimDisk,
    private readonly prng: Prng,
    private readonly log: (nodeId: number, line: string) => void,
    private readonly observer: ApplyObserver,
    private readonly onFatal: (nodeId: number, err: Error) => void,
  ) {}

  /** Builds a node life from the disk and starts it. */
  start(): void {
    const { cfg } = this;
    this.life++;
    this.owner = cfg.id * 1_000_000 + this.life;
    const life = this.life;
    const initial = this.disk.recovered();
    const raw = new RawNode(
      {
        id: cfg.id,
        peers: cfg.peers,
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
    const logger = lineLogger((line) => this.log(cfg.id, line));
    const opts: RaftDriverOptions = {
      nodeId: cfg.id,
      raw,
      storage: this.disk.storage(() => this.sched.now),
      transport: {
        send: (messages: Message[]) => {
          if (life !== this.life || !this.up) return;
          for (const m of messages) this.net.send(m, this.sched.now);
        },
      },
      sm,
      log: logger,
      tickMs: cfg.tickMs,
      requestTimeoutMs: cfg.requestTimeoutMs,
      pipelineDepth: cfg.pipelineDepth,
      maxCatchUpTicks: 2 * cfg.electionTicksMax,
      onFatal: (err) => this.onFatal(cfg.id, err),
      clock: this.sched.clockFor(this.owner, cfg.clockRate),
      // Unique per node and life, as time + randomness make it in a node process: read contexts
      // (`${boot}.rN`) from two nodes must never look alike to the leader.
      bootId: `n${cfg.id}.life${life}`,
    };
    this.driver = cfg.sabotage === 'stale-read' ? new StaleReadDriver(opts) : new RaftDriver(opts);
    this.sm = sm;
    this.up = true;
    this.driver.start();
  }

  /** kill -9: timers and unsynced writes gone, open client connections closed. */
  crash(tornWrites: boolean): { kept: number; unsynced: number } {
    this.up = false;
    this.sched.dropOwner(this.owner);
    this.executedBefore += this.sm?.sessionWrites ?? 0;
    this.driver = null;
    this.sm = null;
    const lost = this.disk.crash(tornWrites);
    const open = [...this.open];
    this.open.clear();
    for (const done of open) done(new RaftKvError('CONNECTION_LOST', 'the node closed the connection before replying'));
    return lost;
  }

  /** A peer message off the simulated wire. */
  deliver(m: Message): void {
    if (this.up) this.driver!.step(m);
  }

  /** Session writes executed by this node's state machines, every life together. */
  get sessionWrites(): number {
    return this.executedBefore + (this.sm?.sessionWrites ?? 0);
  }

  /** A client request arriving on the client port; `done` is called once (as ClientServer.run). */
  request(req: SimRequest, done: Completion<unknown>): void {
    if (!this.up) return done(new RaftKvError('UNAVAILABLE', `node ${this.cfg.id} refused the connection (down)`));
    const driver = this.driver!;
    const sm = this.sm!;
    let answered = false;
    const once: Completion<unknown> = (err, value) => {
      if (answered) return;
      answered = true;
      this.open.delete(once);
      done(err, value);
    };
    this.open.add(once);
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
