/**
 * The real ClusterSource behind raft-tui: it watches a running cluster and acts on it.
 *
 *   - every node is polled directly over its client port (NodePoller: `status`, and `entries` when
 *     the log moved), ~4 times a second, with short deadlines, so a dead or hung node shows as such
 *     and never stalls the others;
 *   - which nodes there are comes from the cluster's own membership (the `members` op, asked of
 *     the leader every second) and the supervisor's rows, not only cluster.json (member-list.ts);
 *   - the supervisor (SupervisorLink, control socket) says which processes run and carries out
 *     kill / kill leader / restart / stop;
 *   - the tail of each node's `logs/node-<id>.log` is re-read when the file changes (LogTailer);
 *   - the shell's commands go through their own RaftKvClient (leader following, retries), timed
 *     for the stats bar, with the client's events in `logs/client.log`.
 *
 * Everything lands in a SnapshotStore, which keeps unchanged parts identical and coalesces
 * notifications, so Ink redraws only when something on screen changed. Leader changes and nodes
 * going down / up are derived by the UI from successive node lists (model.ts diffNodes); the
 * events this source adds are the ones only it knows (process exits with their signal, starts,
 * losing the supervisor).
 */
import { join } from 'node:path';
import { openClientLogFile, type ClientLogFile } from '../client/client-log.js';
import { clientSecurityFrom } from '../client/client-security.js';
import { RaftKvClient } from '../client/raftkv-client.js';
import type { ControlClient } from '../cluster/control-client.js';
import { controlSocketPath } from '../cluster/control-protocol.js';
import { MembershipCaller } from '../cluster/membership-caller.js';
import type { MemberInfo } from '../protocol/client-requests.js';
import type { ClusterConfig } from '../protocol/cluster-config.js';
import type { NodeId } from '../protocol/raft-messages.js';
import type { ClusterSource } from './hooks/cluster-source.js';
import { LogTails } from './log-tail.js';
import {
  addressOf,
  appendBounded,
  leaderOf,
  type ClusterEvent,
  type ClusterEventKind,
  type ClusterSnapshot,
  type LogEntryView,
  type NodeView,
} from './model.js';
import { listedNodes, MemberPollers } from './member-list.js';
import { membersReplyError } from '../protocol/membership-validate.js';
import { buildNodeView, NO_PROBE, reuseNodeViews } from './node-view.js';
import { executeShellCommand } from './shell-executor.js';
import { CommitRate, currentMetrics, LatencyWindow } from './shell-stats.js';
import type { ShellReply } from './shell/reply.js';
import { SnapshotStore } from './snapshot-store.js';
import { SupervisorLink } from './supervisor-link.js';
import { describePlan } from '../cluster/fault-plan.js';

/** Longest the table stays empty at start waiting for the first answers. */
const FIRST_ROUND_MAX_MS = 1500;

export interface LiveClusterSourceOptions {
  config: ClusterConfig;
  /** An already connected control client; without one the source connects (and reconnects) itself. */
  control?: ControlClient;
  /** Default: `<dataDir>/supervisor.sock`. */
  socketPath?: string;
  /** Node poll period. Default 250 ms. */
  pollIntervalMs?: number;
  /** Deadline of each poll request. Default 700 ms. */
  requestTimeoutMs?: number;
  /** Supervisor poll period. Default 500 ms. */
  supervisorPollMs?: number;
  /** Membership poll period. Default 1000 ms. */
  membersPollMs?: number;
  /** Log file poll period. Default 500 ms. */
  logPollMs?: number;
  /** Overall deadline of one shell command, retries included. Default 5000 ms. */
  shellTimeoutMs?: number;
  /** Entries fetched per node. Default 40. */
  entriesLimit?: number;
  /** Events kept. Default 50. */
  maxEvents?: number;
  /** Wall clock for event times. Default Date.now. */
  now?: () => number;
}

export class LiveClusterSource implements ClusterSource {
  readonly config: ClusterConfig;
  readonly #store: SnapshotStore;
  /** The shell's client; replaced when the members change. */
  #shell: RaftKvClient;
  readonly #shellTimeoutMs: number;
  readonly #security: ReturnType<typeof clientSecurityFrom>;
  readonly #clientLog: ClientLogFile | undefined;
  readonly #members: MemberPollers;
  /** The cluster's membership as a node last told it; undefined until one did. */
  #membership: MemberInfo[] | undefined;
  /** True once the first `members` request ended (either way): the first picture waits for it. */
  #membersAsked = false;
  /** Which node the next `members` request goes to when no leader is known (rotates on failure). */
  #membersTurn = 0;
  #membersBusy = false;
  /** Set when a node answered UNKNOWN_OP (a build without membership): cluster.json's nodes it is. */
  #membersUnknown = false;
  readonly #requestTimeoutMs: number;
  readonly #logTails: LogTails;
  readonly #link: SupervisorLink;
  readonly #latency = new LatencyWindow();
  readonly #commitRate = new CommitRate();
  readonly #now: () => number;
  readonly #maxEvents: number;
  readonly #timers: NodeJS.Timeout[] = [];
  #closed = false;
  readonly #startedMs: number;
  #published = false;
  /** The node picked with `:node`; null until then (the shell follows its client). */
  #shellNodeId: NodeId | null = null;

  constructor(options: LiveClusterSourceOptions) {
    const cfg = options.config;
    this.config = cfg;
    this.#now = options.now ?? Date.now;
    this.#maxEvents = options.maxEvents ?? 50;
    const requestTimeoutMs = options.requestTimeoutMs ?? 700;
    this.#requestTimeoutMs = requestTimeoutMs;
    // A secure cluster's certificates and password come from its cluster file, as for every tool.
    const security = clientSecurityFrom(cfg.security);
    this.#security = security;
    this.#clientLog = openLogQuietly(join(cfg.logDir, 'client.log'));
    this.#shellTimeoutMs = options.shellTimeoutMs ?? 5000;
    this.#shell = this.#newShellClient(cfg.nodes);
    this.#members = new MemberPollers({ requestTimeoutMs, entriesLimit: options.entriesLimit }, security);
    this.#members.set(listedNodes(cfg.nodes, undefined, []));
    this.#logTails = new LogTails(this.#logFiles());
    this.#link = new SupervisorLink({
      socketPath: options.socketPath ?? controlSocketPath(cfg.dataDir),
      control: options.control,
      onChange: () => {
        this.#followMembers();
        this.#rebuildNodes();
      },
      onEvent: (text, kind) => this.note(text, kind),
    });
    // No rows until the first poll round is in (see #firstRoundIn): the UI derives events from
    // changes between node lists, and placeholder rows turning `up` would read as news.
    this.#store = new SnapshotStore({ nodes: [], events: [], shellTarget: this.#shellTarget() });
    this.#startedMs = Date.now();

    const every = (ms: number, fn: () => void): void => {
      this.#timers.push(setInterval(fn, ms));
      fn();
    };
    every(options.pollIntervalMs ?? 250, () => this.#pollNodes());
    every(options.supervisorPollMs ?? 500, () => this.#link.tick());
    every(options.membersPollMs ?? 1000, () => void this.#pollMembers());
    every(options.logPollMs ?? 500, () => void this.#pollLogs());
  }

  subscribe(listener: () => void): () => void {
    return this.#store.subscribe(listener);
  }

  getSnapshot(): ClusterSnapshot {
    return this.#store.snapshot;
  }

  /** True while a supervisor answers on the control socket. */
  get supervised(): boolean {
    return this.#link.connected;
  }

  async kill(id: NodeId): Promise<void> {
    await this.#link.kill(id);
  }

  async killLeader(): Promise<NodeId> {
    return (await this.#link.killLeader()).id;
  }

  async restart(id: NodeId): Promise<void> {
    await this.#link.restart(id);
    // Look at the new process right away instead of after the dead one's backoff.
    this.#members.poller(id)?.wake();
  }

  async stop(id: NodeId): Promise<void> {
    await this.#link.stop(id);
  }

  async isolate(target: NodeId | 'leader'): Promise<string> {
    const ev = await this.#link.isolate(target);
    this.#wakeAll();
    return describePlan(ev.plan);
  }

  async heal(): Promise<string> {
    const ev = await this.#link.heal();
    this.#wakeAll();
    return describePlan(ev.plan);
  }

  /** Through the supervisor: it starts the process (nothing else can). */
  async addNode(): Promise<NodeId> {
    const id = await this.#link.add();
    await this.#pollMembers();
    return id;
  }

  /** Through the supervisor when one runs (it also stops the process), else through the cluster's own op. */
  async removeNode(id: NodeId): Promise<void> {
    if (this.#link.connected) await this.#link.remove(id);
    else await this.#direct((caller) => caller.change((c, ms) => c.removeMember(id, { timeoutMs: ms }), { timeoutMs: 15_000, done: (ms) => !ms.some((m) => m.id === id) }));
    await this.#pollMembers();
  }

  async transferLeader(id: NodeId): Promise<void> {
    if (this.#link.connected) await this.#link.transfer(id);
    else await this.#direct((caller) => caller.change((c, ms) => c.transferLeader(id, { timeoutMs: ms }), { timeoutMs: 15_000 }));
    this.#wakeAll();
  }

  /** A membership op straight to the cluster (no supervisor), any listed node forwarding to the leader. */
  async #direct<T>(run: (caller: MembershipCaller) => Promise<T>): Promise<T> {
    const caller = new MembershipCaller(this.#members.list, this.#security);
    try {
      return await run(caller);
    } finally {
      caller.close();
    }
  }

  /**
   * Asks one node (the leader when known: it has the newest membership) for the members. A node
   * that does not know the op (an older build) is asked no more.
   */
  async #pollMembers(): Promise<void> {
    if (this.#membersBusy || this.#closed || this.#membersUnknown) return;
    this.#membersBusy = true;
    const list = this.#members.list;
    const leader = leaderOf(this.#store.snapshot.nodes);
    const target = leader !== undefined && list.some((n) => n.id === leader.id) ? leader.id : list[this.#membersTurn % Math.max(1, list.length)]?.id;
    try {
      const client = target === undefined ? undefined : this.#members.client(target);
      if (client === undefined || target === undefined) return;
      const reply = await client.request(target, { op: 'members' }, { timeoutMs: this.#requestTimeoutMs });
      if (reply.ok && Array.isArray(reply.value) && membersReplyError(reply.value) === null && reply.value.length > 0) {
        this.#membership = reply.value;
        this.#followMembers();
      } else if (!reply.ok && reply.error.code === 'UNKNOWN_OP') this.#membersUnknown = true;
      else this.#membersTurn++;
    } catch {
      this.#membersTurn++;
    } finally {
      this.#membersBusy = false;
      this.#membersAsked = true;
      if (!this.#closed) this.#rebuildNodes();
    }
  }

  /** Rows, pollers, log tails and the shell's client follow the membership and the supervisor's nodes. */
  #followMembers(): void {
    if (this.#closed) return;
    const supervised = [...(this.#link.rows?.values() ?? [])];
    if (!this.#members.set(listedNodes(this.config.nodes, this.#membership, supervised))) return;
    this.#logTails.setFiles(this.#logFiles());
    const old = this.#shell;
    this.#shell = this.#newShellClient(this.#members.list);
    old.close();
    this.#rebuildEntries();
  }

  #newShellClient(nodes: readonly { id: number; host: string; port: number }[]): RaftKvClient {
    return new RaftKvClient({ nodes, timeoutMs: this.#shellTimeoutMs, logger: this.#clientLog?.logger, ...(this.#security ? { security: this.#security } : {}) });
  }

  #logFiles(): Map<number, string> {
    return new Map(this.#members.list.map((n) => [n.id, join(this.config.logDir, `node-${n.id}.log`)]));
  }

  /** Poll every node now: a partition changes what each of them says. */
  #wakeAll(): void {
    for (const p of this.#members.pollers) p.wake();
  }

  async execute(argv: readonly string[]): Promise<ShellReply> {
    const { reply, latencyMs } = await executeShellCommand(this.#shell, argv, this.#shellNode());
    this.#latency.add(latencyMs);
    this.#updateMetrics();
    this.#store.update({ shellTarget: this.#shellTarget() });
    return reply;
  }

  selectShellNode(id: NodeId): string | null {
    const nodes = this.#members.list;
    if (!nodes.some((n) => n.id === id)) return `no node ${id} (nodes: ${nodes.map((n) => n.id).join(', ')})`;
    this.#shellNodeId = id;
    this.#store.update({ shellTarget: this.#shellTarget() });
    return null;
  }

  /** The node picked with `:node`, else the one the shell's client last used. */
  #shellNode(): { id: number; host: string; port: number } {
    return this.#members.list.find((n) => n.id === this.#shellNodeId) ?? this.#shell.preferredNode;
  }

  #shellTarget(): string {
    const node = this.#shellNode();
    return `node ${node.id} ${addressOf(node)}`;
  }

  /** Adds a line to the timeline (the bin says whether it started or attached to the cluster). */
  note(text: string, kind: ClusterEventKind): void {
    const event: ClusterEvent = { atMs: this.#now(), text, kind };
    this.#store.update({ events: appendBounded(this.#store.snapshot.events ?? [], [event], this.#maxEvents) });
  }

  /**
   * Asks the supervisor to stop every node and exit (the bin's "Stop the cluster? y"). Polling
   * stops first: the supervisor is about to close the connection, and nothing should be pending.
   */
  async shutdownCluster(): Promise<void> {
    this.#stopTimers();
    await this.#link.quiesce();
    await this.#link.shutdown();
  }

  /** Stops polling and closes every connection, so the process can exit. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    this.#store.close();
    this.#members.close();
    this.#shell.close();
    this.#clientLog?.close();
    await this.#link.close();
  }

  #stopTimers(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
  }

  #pollNodes(): void {
    for (const p of this.#members.pollers) {
      const before = p.probe;
      void p.poll().then(() => {
        if (this.#closed) return;
        // A node that stopped answering may have died: ask the supervisor now rather than later.
        if (!p.probe.ok && before.ok) void this.#link.refresh();
        this.#rebuildNodes();
        this.#rebuildEntries();
      });
    }
  }

  async #pollLogs(): Promise<void> {
    const tails = await this.#logTails.poll();
    if (tails !== undefined && !this.#closed) this.#store.update({ logTails: tails });
  }

  #buildNodes(): NodeView[] {
    const rows = this.#link.rows;
    const now = Date.now();
    return this.#members.list.map((n) => buildNodeView(n, rows?.get(n.id), this.#members.poller(n.id)?.probe ?? NO_PROBE, now, n.member));
  }

  /**
   * True once every node was polled once and the supervisor (if any) answered once, or after
   * FIRST_ROUND_MAX_MS whatever happened (a hung node must not keep the table empty).
   */
  #firstRoundIn(): boolean {
    if (this.#published) return true;
    const polled = this.#members.pollers.every((p) => p.probe !== NO_PROBE);
    const supervisorIn = !this.#link.connected || this.#link.rows !== undefined;
    this.#published = (polled && supervisorIn && this.#membersAsked) || Date.now() - this.#startedMs > FIRST_ROUND_MAX_MS;
    return this.#published;
  }

  #rebuildNodes(): void {
    if (this.#closed || !this.#firstRoundIn()) return;
    const nodes = reuseNodeViews(this.#store.snapshot.nodes, this.#buildNodes());
    this.#commitRate.observe(leaderOf(nodes), this.#now());
    this.#store.update({ nodes });
    this.#updateMetrics();
  }

  #rebuildEntries(): void {
    const current = this.#store.snapshot.entries;
    let next: Record<number, readonly LogEntryView[]> | undefined;
    for (const p of this.#members.pollers) {
      if (current[p.id] === p.entries) continue;
      next ??= { ...current };
      next[p.id] = p.entries;
    }
    if (next !== undefined) this.#store.update({ entries: next });
  }

  #updateMetrics(): void {
    this.#store.update({ metrics: currentMetrics(this.#store.snapshot.metrics, this.#latency, this.#commitRate) });
  }
}

/** The client log is a courtesy: an unwritable log directory must not stop the monitor. */
function openLogQuietly(path: string): ClientLogFile | undefined {
  try {
    return openClientLogFile(path, 'raft-tui');
  } catch {
    return undefined;
  }
}
