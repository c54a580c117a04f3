/**
 * The supervisor: starts each node of a cluster as a child process, and kills, stops and restarts
 * them on request. A node that exits on its own (a crash, or a signal from outside) is restarted
 * with exponential backoff, as systemd's `Restart=on-failure` does; one that a person killed or
 * stopped (ctl, raft-tui) stays down until asked, which is what lets a person watch a failover.
 * The backoff doubles after each exit that follows a short run and resets after a stable one, so
 * a node that crashes at start is retried ever more slowly, never in a hot loop.
 *
 * Usable in-process (the TUI and the tests create one) and behind the control socket
 * (control-server.ts, for `raftkv up` + `raftkv ctl`).
 *
 * Each node runs as `<node> <dist/src/cli/raftkv.js> node --id N --config <file>`, its stdout and
 * stderr appended to `<logDir>/node-<id>.log`; a member added later (`ctl add`, member-changes.ts)
 * is not in that file, so it also gets `--join <a member> --host H --port P --peer-port Q`. Which
 * nodes to run is the cluster file's, minus the removed and plus the added ones of
 * `<dataDir>/members.json` (member-registry.ts), so a restart of the supervisor runs the same set. Children get their own process group (detached), so
 * a Ctrl-C in the terminal reaches only the supervisor, which then stops the nodes in order
 * (SIGTERM, then SIGKILL after a deadline).
 *
 * Per node, invariants:
 *   - state 'up'      <=> a child process exists and has not exited (pid !== null);
 *   - state 'stopped' <=> the last process was ended by stopNode()/stop() (or never started);
 *   - state 'down'    <=> the last process exited any other way (crash, kill(), signal from outside);
 *   - restartAt !== null <=> down on its own, not shut down, and a restart timer is pending.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterConfig, NodeAddress } from '../protocol/cluster-config.js';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import type { ClientClock } from '../client/client-clock.js';
import { clientSecurityFrom } from '../client/client-security.js';
import { RaftKvClient, type NodeStatus } from '../client/raftkv-client.js';
import { isFaultsReady, type FaultSettingsWire } from '../protocol/fault-messages.js';
import { FaultChannel } from './fault-channel.js';
import { FaultPlan, type FaultPlanView } from './fault-plan.js';
import { MemberRegistry, type AddedMember } from './member-registry.js';

export type NodeState = 'up' | 'down' | 'stopped';

/** What the supervisor knows about one node without asking it. */
export interface SupervisedNode extends NodeAddress {
  state: NodeState;
  /** Pid of the running process; null unless up. */
  pid: number | null;
  /** Exit code of the last process, if it exited normally. */
  exitCode: number | null;
  /** Signal that ended the last process, if one did. */
  exitSignal: string | null;
  /** How many times this node was started. */
  starts: number;
  /** How many of those starts were the supervisor's own, after the node exited on its own. */
  restarts: number;
  /** When (ms since the epoch) the supervisor will restart the node; null when none is planned. */
  restartAt: number | null;
  /** Absolute path of the node's log file. */
  logFile: string;
}

/** A row of `ctl status`: the supervisor's view, plus the node's own if it answered. */
export interface NodeStatusRow extends SupervisedNode {
  role: string | null;
  term: number | null;
  /** Leader as this node knows it (0 = none); null if the node did not answer. */
  leader: number | null;
  commitIndex: number | null;
  lastApplied: number | null;
  lastLogIndex: number | null;
  /** Why the node's status is missing (down, or no answer in time). */
  statusError: string | null;
  /**
   * Its place in the cluster's membership, as the leader reports it (or the node itself when no
   * leader answered): 'voter', 'learner', or null when unknown or not a member (yet).
   */
  member: 'voter' | 'learner' | null;
  /** This node's share of the supervisor's fault plan (what it drops and delays). */
  faults: FaultSettingsWire;
}

/** A fault change: what was asked, the whole plan after it, and nodes that did not confirm. */
export interface FaultEvent {
  action: string;
  plan: FaultPlanView;
  /** Nodes up but not confirming within the deadline (the peers' side of each cut still holds). */
  unconfirmed: number[];
}

export interface NodeStartEvent {
  id: number;
  pid: number;
}

export interface NodeExitEvent {
  id: number;
  pid: number;
  code: number | null;
  signal: string | null;
  /** The state the node is in now ('down' or 'stopped'). */
  state: NodeState;
}

export interface SupervisorOptions {
  config: ClusterConfig;
  /** The cluster file the nodes read (must hold `config`). */
  configPath: string;
  /**
   * How to start a node; the default runs the compiled `raftkv node`. Tests pass a stand-in.
   * `join` is given for members added after the bootstrap (absent from the cluster file).
   */
  nodeCommand?: (id: number, configPath: string, join?: NodeJoin) => { command: string; args: string[] };
  /** Extra environment for the children. */
  env?: NodeJS.ProcessEnv;
  /** stopNode() sends SIGKILL when SIGTERM has not ended a node within this. Default 5000. */
  stopTimeoutMs?: number;
  /** Budget of each node's status query in status(). Default 500. */
  statusTimeoutMs?: number;
  /** The clock of that budget (the status client's timeouts); tests pass a fake one. Default: Node's timers. */
  statusClock?: ClientClock;
  /** Backoff of automatic restarts: first delay, cap, and a run long enough to reset it. */
  restartBackoff?: RestartBackoff;
  /**
   * SIGKILL every child still up if this process exits without calling stop() (an uncaught
   * exception), so no orphan keeps its ports. Default true.
   */
  killOnExit?: boolean;
}

export interface RestartBackoff {
  /** Delay before the first automatic restart. Default 1000 ms. */
  initialMs: number;
  /** The delay doubles per quick exit up to this. Default 30000 ms. */
  maxMs: number;
  /** A process that ran this long before exiting counts as stable: the delay starts over. Default 10000 ms. */
  stableMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 1000, maxMs: 30_000, stableMs: 10_000 };

/** Delay before the next automatic restart, after `quickExits` exits in a row that followed short runs. */
export function restartDelayMs(backoff: RestartBackoff, quickExits: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(quickExits, 30));
}

/** The compiled CLI, found relative to this module (dist/src/cluster/ -> dist/src/cli/). */
export const RAFTKV_CLI_PATH = fileURLToPath(new URL('../cli/raftkv.js', import.meta.url));

/** How a member that is not in the cluster file starts: its own address and a member to ask. */
export interface NodeJoin {
  self: AddedMember;
  /** Client address of another member (`--join`); a node with data of its own ignores it. */
  via: { host: string; port: number };
}

/** `raftkv node` arguments after `node` (exported for the tests of added members). */
export function nodeArgs(id: number, configPath: string, join?: NodeJoin): string[] {
  const args = ['--id', String(id), '--config', configPath];
  if (join) {
    args.push('--join', `${join.via.host}:${join.via.port}`, '--host', join.self.host, '--port', String(join.self.port), '--peer-port', String(join.self.peerPort));
  }
  return args;
}

function defaultNodeCommand(id: number, configPath: string, join?: NodeJoin): { command: string; args: string[] } {
  return { command: process.execPath, args: [RAFTKV_CLI_PATH, 'node', ...nodeArgs(id, configPath, join)] };
}

interface NodeSlot {
  info: SupervisedNode;
  /** Added after the bootstrap (in members.json, not in the cluster file): started with --join. */
  added: boolean;
  child: ChildProcess | null;
  /** Resolves when the current child has exited; null when there is none. */
  exited: Promise<void> | null;
  /** Set when we asked the current child to stop, so its exit counts as 'stopped'. */
  stopping: boolean;
  /** Set when a person killed the current child (kill()): its exit is 'down' but not restarted. */
  killedOnRequest: boolean;
  /** When the current child started (ms since the epoch). */
  startedAtMs: number;
  /** Exits on its own in a row, each after a run shorter than restartBackoff.stableMs. */
  quickExits: number;
  restartTimer: NodeJS.Timeout | null;
}

export interface Supervisor {
  on(event: 'node-start', listener: (e: NodeStartEvent) => void): this;
  on(event: 'node-exit', listener: (e: NodeExitEvent) => void): this;
  on(event: 'faults', listener: (e: FaultEvent) => void): this;
  off(event: 'faults', listener: (e: FaultEvent) => void): this;
  once(event: 'node-start', listener: (e: NodeStartEvent) => void): this;
  once(event: 'node-exit', listener: (e: NodeExitEvent) => void): this;
  off(event: 'node-start', listener: (e: NodeStartEvent) => void): this;
  off(event: 'node-exit', listener: (e: NodeExitEvent) => void): this;
}

/** How long a node may take to confirm new fault settings. */
const FAULT_ACK_TIMEOUT_MS = 2000;

export class Supervisor extends EventEmitter {
  readonly config: ClusterConfig;
  readonly configPath: string;
  readonly #nodeCommand: NonNullable<SupervisorOptions['nodeCommand']>;
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #stopTimeoutMs: number;
  readonly #statusTimeoutMs: number;
  readonly #statusClock: ClientClock | undefined;
  readonly #slots = new Map<number, NodeSlot>();
  /** Asks single nodes for status and snapshots; rebuilt when the set of nodes changes. */
  #client: RaftKvClient;
  /** Clients replaced by #replaceClient, closed once the calls they may carry are done. */
  readonly #retiredClients = new Set<RaftKvClient>();
  /** The members this supervisor added and removed, kept in its data directory. */
  readonly registry: MemberRegistry;
  readonly #backoff: RestartBackoff;
  #exitHook: (() => void) | null = null;
  #shutDown = false;
  readonly #plan: FaultPlan;
  readonly #faults = new FaultChannel();

  constructor(options: SupervisorOptions) {
    super();
    this.config = options.config;
    this.configPath = options.configPath;
    this.#nodeCommand = options.nodeCommand ?? defaultNodeCommand;
    this.#env = options.env;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 5000;
    this.#statusTimeoutMs = options.statusTimeoutMs ?? 500;
    this.#statusClock = options.statusClock;
    this.#backoff = options.restartBackoff ?? DEFAULT_RESTART_BACKOFF;
    this.registry = new MemberRegistry(this.config.dataDir);
    const bootstrapIds = new Set(this.config.nodes.map((n) => n.id));
    for (const n of this.registry.nodesToRun(this.config.nodes)) this.#slots.set(n.id, this.#newSlot(n, !bootstrapIds.has(n.id)));
    this.#plan = new FaultPlan([...this.#slots.keys()]);
    this.#client = this.#newClient();
    if (options.killOnExit ?? true) {
      this.#exitHook = () => {
        for (const slot of this.#slots.values()) slot.child?.kill('SIGKILL');
      };
      process.on('exit', this.#exitHook);
    }
  }

  #newSlot(n: NodeAddress, added: boolean): NodeSlot {
    return {
      info: {
        ...n,
        state: 'stopped',
        pid: null,
        exitCode: null,
        exitSignal: null,
        starts: 0,
        restarts: 0,
        restartAt: null,
        logFile: join(this.config.logDir, `node-${n.id}.log`),
      },
      added,
      child: null,
      exited: null,
      stopping: false,
      killedOnRequest: false,
      startedAtMs: 0,
      quickExits: 0,
      restartTimer: null,
    };
  }

  /** A client of every supervised node; `ctl status` asks through it, a secure cluster's files from its config. */
  #newClient(): RaftKvClient {
    const security = clientSecurityFrom(this.config.security);
    const nodes = [...this.#slots.values()].map((s) => s.info);
    const clock = this.#statusClock;
    return new RaftKvClient({ nodes: nodes.length > 0 ? nodes : this.config.nodes, timeoutMs: this.#statusTimeoutMs, ...(security ? { security } : {}), ...(clock ? { clock } : {}) });
  }

  /** After the set of nodes changed: a new client; the old one closes once calls in flight are done. */
  #replaceClient(): void {
    const old = this.#client;
    this.#client = this.#newClient();
    this.#retiredClients.add(old);
    setTimeout(() => {
      old.close();
      this.#retiredClients.delete(old);
    }, this.#statusTimeoutMs * 4).unref();
  }

  /**
   * Supervises and starts a member that was just added to the cluster (member-changes.ts): it is
   * recorded in members.json first, so a supervisor that dies right after still restarts it.
   */
  async addNode(member: AddedMember): Promise<SupervisedNode> {
    if (this.#shutDown) throw new RaftKvError('SHUTTING_DOWN', 'the supervisor is stopping');
    if (this.#slots.has(member.id)) throw new RaftKvError('BAD_REQUEST', `node ${member.id} is already supervised`);
    this.registry.add(member);
    this.#slots.set(member.id, this.#newSlot(member, true));
    this.#plan.addMember(member.id);
    this.#replaceClient();
    return this.startNode(member.id);
  }

  /**
   * Stops a member that was removed from the cluster and forgets it: recorded in members.json, so
   * it is never started again (nor its id reused). An id this supervisor does not run is only recorded.
   */
  async forgetNode(id: number): Promise<void> {
    if (this.#slots.has(id)) {
      await this.stopNode(id);
      this.#slots.delete(id);
      this.#plan.removeMember(id);
      this.#replaceClient();
    }
    this.registry.remove(id);
  }

  /** A snapshot of every node, in config order. */
  list(): SupervisedNode[] {
    return [...this.#slots.values()].map((s) => ({ ...s.info }));
  }

  /** One node's snapshot; throws BAD_REQUEST for an unknown id. */
  node(id: number): SupervisedNode {
    return { ...this.#slot(id).info };
  }

  /** Starts every node that is not up. Resolves once each has a pid. */
  async start(): Promise<void> {
    mkdirSync(this.config.dataDir, { recursive: true });
    mkdirSync(this.config.logDir, { recursive: true });
    for (const slot of this.#slots.values()) {
      if (slot.info.state !== 'up') await this.startNode(slot.info.id);
    }
  }

  /** Starts one node; throws BAD_REQUEST if it is already up. Resolves once it has a pid. */
  async startNode(id: number): Promise<SupervisedNode> {
    const slot = this.#slot(id);
    if (this.#shutDown) throw new RaftKvError('SHUTTING_DOWN', 'the supervisor is stopping');
    if (slot.info.state === 'up') throw new RaftKvError('BAD_REQUEST', `node ${id} is already up (pid ${slot.info.pid})`);
    this.#cancelRestart(slot);
    mkdirSync(this.config.logDir, { recursive: true });
    const logFd = openSync(slot.info.logFile, 'a');
    const { command, args } = slot.added ? this.#nodeCommand(id, this.configPath, this.#joinOf(slot)) : this.#nodeCommand(id, this.configPath);
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        // 'ipc': the channel on which only we can order partitions (fault-messages.ts).
        stdio: ['ignore', logFd, logFd, 'ipc'],
        detached: true,
        env: this.#env ? { ...process.env, ...this.#env } : process.env,
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(logFd);
    }
    child.on('message', (msg) => {
      // A (re)started node gets its share of the plan, so a partition survives a restart.
      if (isFaultsReady(msg)) void this.#faults.send(child, this.#plan.faultsFor(id), FAULT_ACK_TIMEOUT_MS);
      else this.#faults.onMessage(msg);
    });
    // Listen for the exit before anything can await, so a child that dies at once is not missed.
    slot.child = child;
    slot.stopping = false;
    slot.killedOnRequest = false;
    slot.startedAtMs = Date.now();
    slot.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const pid = child.pid ?? 0;
        const state: NodeState = slot.stopping ? 'stopped' : 'down';
        const onItsOwn = state === 'down' && !slot.killedOnRequest;
        slot.info = { ...slot.info, state, pid: null, exitCode: code, exitSignal: signal };
        slot.child = null;
        slot.exited = null;
        slot.stopping = false;
        this.#note(slot.info.logFile, `supervisor: node ${id} (pid ${pid}) exited, ${signal ? `signal ${signal}` : `code ${code}`}`);
        if (onItsOwn && !this.#shutDown) this.#scheduleRestart(slot);
        this.emit('node-exit', { id, pid, code, signal, state } satisfies NodeExitEvent);
        resolve();
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        // Kept for the child's life: an 'error' without a listener would throw in this process.
        child.on('error', (err) => {
          reject(err);
          this.#note(slot.info.logFile, `supervisor: node ${id}: ${err.message}`);
        });
      });
    } catch (err) {
      slot.child = null;
      slot.exited = null;
      throw new RaftKvError('UNAVAILABLE', `cannot start node ${id}: ${(err as Error).message}`);
    }
    const pid = child.pid as number;
    // The exit handler may already have run (it replaces info wholesale); only mark up if not.
    if (slot.child === child) {
      slot.info = { ...slot.info, state: 'up', pid, exitCode: null, exitSignal: null, starts: slot.info.starts + 1 };
    }
    this.#note(slot.info.logFile, `supervisor: started node ${id}, pid ${pid}: ${command} ${args.join(' ')}`);
    this.emit('node-start', { id, pid } satisfies NodeStartEvent);
    return { ...slot.info };
  }

  /**
   * SIGKILL, as a crash would: no flush, no goodbye. `'leader'` picks the node that reports itself
   * leader (NO_LEADER if none does). Resolves with the node's state once the process is gone.
   */
  async kill(target: number | 'leader'): Promise<SupervisedNode> {
    const id = target === 'leader' ? await this.#requireLeader() : target;
    const slot = this.#slot(id);
    if (slot.info.state !== 'up' || !slot.child) throw new RaftKvError('BAD_REQUEST', `node ${id} is not running (${slot.info.state})`);
    const exited = slot.exited;
    slot.killedOnRequest = true;
    slot.child.kill('SIGKILL');
    await exited;
    return { ...slot.info };
  }

  /** Clean stop: SIGTERM, then SIGKILL if it has not exited after stopTimeoutMs. No-op if not up. */
  async stopNode(id: number): Promise<SupervisedNode> {
    const slot = this.#slot(id);
    const child = slot.child;
    const exited = slot.exited;
    if (!child || !exited) {
      // A node waiting for its automatic restart is stopped for good now, as asked.
      if (slot.restartTimer !== null) {
        this.#cancelRestart(slot);
        slot.info = { ...slot.info, state: 'stopped' };
      }
      return { ...slot.info };
    }
    slot.stopping = true;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#stopTimeoutMs);
    });
    const late = await Promise.race([exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.#note(slot.info.logFile, `supervisor: node ${id} ignored SIGTERM for ${this.#stopTimeoutMs} ms, sending SIGKILL`);
      child.kill('SIGKILL');
      await exited;
    }
    return { ...slot.info };
  }

  /** Starts a node that is down or stopped; one that is up is killed (SIGKILL) first. */
  async restart(id: number): Promise<SupervisedNode> {
    const slot = this.#slot(id);
    if (slot.info.state === 'up') await this.kill(id);
    return this.startNode(id);
  }

  /**
   * Snapshots on the given nodes (every node that is up for 'all'), in parallel; each waits for its
   * snapshot to be on disk. A node that fails says why in its row instead of failing the rest.
   */
  async snapshot(target: number | 'all'): Promise<Array<{ id: number; index?: number; term?: number; error?: string }>> {
    const ids = target === 'all' ? [...this.#slots.values()].filter((s) => s.info.state === 'up').map((s) => s.info.id) : [this.#slot(target).info.id];
    return Promise.all(
      ids.map(async (id) => {
        try {
          const snap = await this.#client.snapshot(id, { timeoutMs: 60_000 });
          return snap ? { id, ...snap } : { id, index: 0, term: 0 };
        } catch (err) {
          if (target !== 'all') throw err;
          const e = toRaftKvError(err);
          return { id, error: `${e.code}: ${e.message}` };
        }
      }),
    );
  }

  /**
   * Every node's row: the supervisor's view plus the node's own status, asked in parallel with a
   * short budget each, so a dead or hung node shows as such instead of stalling the whole table.
   */
  async status(): Promise<NodeStatusRow[]> {
    const client = this.#client;
    const views = new Map<number, NodeStatus>();
    const rows = await Promise.all(
      [...this.#slots.values()].map(async (slot): Promise<NodeStatusRow> => {
        const base = { ...slot.info };
        const empty = { role: null, term: null, leader: null, commitIndex: null, lastApplied: null, lastLogIndex: null, member: null, faults: this.#plan.faultsFor(base.id) };
        if (base.state !== 'up') return { ...base, ...empty, statusError: base.state };
        try {
          const s: NodeStatus = await client.status(base.id, { timeoutMs: this.#statusTimeoutMs });
          views.set(base.id, s);
          return {
            member: null,
            ...base,
            role: s.role,
            term: s.term,
            leader: s.leader,
            commitIndex: s.commitIndex,
            lastApplied: s.lastApplied,
            lastLogIndex: s.lastLogIndex,
            statusError: null,
            faults: this.#plan.faultsFor(base.id),
          };
        } catch (err) {
          const e = toRaftKvError(err);
          return { ...base, ...empty, statusError: `${e.code}: ${e.message}` };
        }
      }),
    );
    return rows.map((row) => ({ ...row, member: memberRole(row.id, views) }));
  }

  /** The id of the node that reports itself leader (highest term wins), or null. */
  async findLeader(): Promise<number | null> {
    let best: NodeStatusRow | null = null;
    for (const row of await this.status()) {
      if (row.role === 'leader' && (best === null || (row.term ?? 0) > (best.term ?? 0))) best = row;
    }
    return best?.id ?? null;
  }

  /** Cut a node (or the current leader) off from every other member, both ways. */
  async isolate(target: number | 'leader'): Promise<FaultEvent> {
    const id = target === 'leader' ? await this.#requireLeader() : target;
    this.#plan.isolate(id);
    return this.#applyFaults(`isolate ${id}`);
  }

  /** Lose the messages between a and b (only a -> b with `oneWay`). */
  async cut(a: number, b: number, oneWay = false): Promise<FaultEvent> {
    this.#plan.cut(a, b, oneWay);
    return this.#applyFaults(`cut ${a} ${oneWay ? '->' : '<->'} ${b}`);
  }

  /** Delay node `id`'s peer traffic, both ways, by `ms` (0 removes the delay). */
  async slow(id: number, ms: number): Promise<FaultEvent> {
    this.#plan.setSlow(id, ms);
    return this.#applyFaults(`slow ${id} ${ms} ms`);
  }

  /** Remove every fault, or those involving node `id`. */
  async heal(id?: number): Promise<FaultEvent> {
    this.#plan.heal(id);
    return this.#applyFaults(id === undefined ? 'heal all' : `heal ${id}`);
  }

  faults(): FaultPlanView {
    return this.#plan.view();
  }

  /** Sends every running node its share of the plan and waits for them to confirm. */
  async #applyFaults(action: string): Promise<FaultEvent> {
    const unconfirmed: number[] = [];
    await Promise.all(
      [...this.#slots.values()].map(async (slot) => {
        if (!slot.child || slot.info.state !== 'up') return;
        const ok = await this.#faults.send(slot.child, this.#plan.faultsFor(slot.info.id), FAULT_ACK_TIMEOUT_MS);
        if (!ok) unconfirmed.push(slot.info.id);
      }),
    );
    const event: FaultEvent = { action, plan: this.#plan.view(), unconfirmed: unconfirmed.sort((a, b) => a - b) };
    for (const slot of this.#slots.values()) this.#note(slot.info.logFile, `supervisor: ${action}; faults now: ${JSON.stringify(event.plan)}`);
    this.emit('faults', event);
    return event;
  }

  /** Stops every node (in parallel, SIGTERM then SIGKILL) and releases everything. Final. */
  async stop(): Promise<void> {
    this.#shutDown = true;
    for (const slot of this.#slots.values()) this.#cancelRestart(slot);
    await Promise.all([...this.#slots.keys()].map((id) => this.stopNode(id)));
    this.#client.close();
    for (const c of this.#retiredClients) c.close();
    if (this.#exitHook) process.off('exit', this.#exitHook);
    this.#exitHook = null;
  }

  /** The --join of an added member: itself, and another member to ask (preferably one that is up). */
  #joinOf(slot: NodeSlot): NodeJoin {
    const others = [...this.#slots.values()].filter((s) => s !== slot);
    const via = others.find((s) => s.info.state === 'up') ?? others[0] ?? slot;
    const { id, host, port, peerPort } = slot.info;
    return { self: { id, host, port, peerPort }, via: { host: via.info.host, port: via.info.port } };
  }

  /** Plans the restart of a node that exited on its own, after the backoff delay. */
  #scheduleRestart(slot: NodeSlot): void {
    const ranMs = Date.now() - slot.startedAtMs;
    if (ranMs >= this.#backoff.stableMs) slot.quickExits = 0;
    const delayMs = restartDelayMs(this.#backoff, slot.quickExits);
    slot.quickExits += 1;
    const id = slot.info.id;
    slot.info = { ...slot.info, restartAt: Date.now() + delayMs };
    this.#note(slot.info.logFile, `supervisor: node ${id} exited on its own after ${ranMs} ms; restarting it in ${delayMs} ms`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      slot.info = { ...slot.info, restartAt: null };
      if (this.#shutDown || slot.info.state !== 'down') return;
      slot.info = { ...slot.info, restarts: slot.info.restarts + 1 };
      this.startNode(id).catch((err: Error) => this.#note(slot.info.logFile, `supervisor: automatic restart of node ${id} failed: ${err.message}`));
    }, delayMs);
    // The timer alone must not keep a process alive (tests, a TUI that quits).
    slot.restartTimer.unref();
  }

  #cancelRestart(slot: NodeSlot): void {
    if (slot.restartTimer === null) return;
    clearTimeout(slot.restartTimer);
    slot.restartTimer = null;
    slot.info = { ...slot.info, restartAt: null };
  }

  async #requireLeader(): Promise<number> {
    const leader = await this.findLeader();
    if (leader === null) throw new RaftKvError('NO_LEADER', 'no node reports itself leader');
    return leader;
  }

  #slot(id: number): NodeSlot {
    const slot = this.#slots.get(id);
    if (!slot) {
      const ids = [...this.#slots.keys()].join(', ');
      throw new RaftKvError('BAD_REQUEST', `no node with id ${JSON.stringify(id)} (nodes: ${ids})`);
    }
    return slot;
  }

  /** One line in the node's log file, so its log shows what the supervisor did to it. */
  #note(logFile: string, line: string): void {
    try {
      const fd = openSync(logFile, 'a');
      try {
        writeSync(fd, `${new Date().toISOString()} ${line}\n`);
      } finally {
        closeSync(fd);
      }
    } catch {
      // The log is a courtesy; a full disk must not break supervision.
    }
  }
}

/**
 * Node `id`'s place in the membership: from the status of the leader with the highest term that
 * answered, else from its own (a node that does not report voters/learners gives null).
 */
export function memberRole(id: number, views: ReadonlyMap<number, NodeStatus>): 'voter' | 'learner' | null {
  let source: NodeStatus | undefined;
  for (const s of views.values()) if (s.role === 'leader' && (source === undefined || s.term > source.term)) source = s;
  source ??= views.get(id);
  const has = (list: unknown): boolean => Array.isArray(list) && list.includes(id);
  if (source === undefined) return null;
  if (has(source.voters)) return 'voter';
  if (has(source.learners)) return 'learner';
  return null;
}
