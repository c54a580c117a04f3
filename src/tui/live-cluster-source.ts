/**
 * The real ClusterSource behind raft-tui: it watches a running cluster and acts on it.
 *
 *   - every node is polled directly over its client port (NodePoller: `status`, and `entries` when
 *     the log moved), ~4 times a second, with short deadlines, so a dead or hung node shows as such
 *     and never stalls the others;
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
import { NodePoller } from './node-poller.js';
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
  readonly #monitor: RaftKvClient;
  readonly #shell: RaftKvClient;
  readonly #clientLog: ClientLogFile | undefined;
  readonly #pollers: NodePoller[];
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
    // A secure cluster's certificates and password come from its cluster file, as for every tool.
    const security = clientSecurityFrom(cfg.security);
    this.#monitor = new RaftKvClient({ nodes: cfg.nodes, timeoutMs: requestTimeoutMs, connectTimeoutMs: Math.min(500, requestTimeoutMs), ...(security ? { security } : {}) });
    this.#clientLog = openLogQuietly(join(cfg.logDir, 'client.log'));
    this.#shell = new RaftKvClient({ nodes: cfg.nodes, timeoutMs: options.shellTimeoutMs ?? 5000, logger: this.#clientLog?.logger, ...(security ? { security } : {}) });
    this.#pollers = cfg.nodes.map((n) => new NodePoller(n.id, this.#monitor, { requestTimeoutMs, entriesLimit: options.entriesLimit }));
    this.#logTails = new LogTails(new Map(cfg.nodes.map((n) => [n.id, join(cfg.logDir, `node-${n.id}.log`)])));
    this.#link = new SupervisorLink({
      socketPath: options.socketPath ?? controlSocketPath(cfg.dataDir),
      control: options.control,
      onChange: () => this.#rebuildNodes(),
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
    this.#pollers.find((p) => p.id === id)?.wake();
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

  /** Poll every node now: a partition changes what each of them says. */
  #wakeAll(): void {
    for (const p of this.#pollers) p.wake();
  }

  async execute(argv: readonly string[]): Promise<ShellReply> {
    const { reply, latencyMs } = await executeShellCommand(this.#shell, argv, this.#shellNode());
    this.#latency.add(latencyMs);
    this.#updateMetrics();
    this.#store.update({ shellTarget: this.#shellTarget() });
    return reply;
  }

  selectShellNode(id: NodeId): string | null {
    if (!this.config.nodes.some((n) => n.id === id)) return `no node ${id} (nodes: ${this.config.nodes.map((n) => n.id).join(', ')})`;
    this.#shellNodeId = id;
    this.#store.update({ shellTarget: this.#shellTarget() });
    return null;
  }

  /** The node picked with `:node`, else the one the shell's client last used. */
  #shellNode(): { id: number; host: string; port: number } {
    return this.config.nodes.find((n) => n.id === this.#shellNodeId) ?? this.#shell.preferredNode;
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
    this.#monitor.close();
    this.#shell.close();
    this.#clientLog?.close();
    await this.#link.close();
  }

  #stopTimers(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
  }

  #pollNodes(): void {
    for (const p of this.#pollers) {
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
    return this.config.nodes.map((n, i) => buildNodeView(n, rows?.get(n.id), this.#pollers[i]!.probe, now));
  }

  /**
   * True once every node was polled once and the supervisor (if any) answered once, or after
   * FIRST_ROUND_MAX_MS whatever happened (a hung node must not keep the table empty).
   */
  #firstRoundIn(): boolean {
    if (this.#published) return true;
    const polled = this.#pollers.every((p) => p.probe !== NO_PROBE);
    const supervisorIn = !this.#link.connected || this.#link.rows !== undefined;
    this.#published = (polled && supervisorIn) || Date.now() - this.#startedMs > FIRST_ROUND_MAX_MS;
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
    for (const p of this.#pollers) {
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
