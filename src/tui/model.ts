/**
 * The view model of raft-tui: what the screen shows, as plain data, and the pure rules that turn
 * two successive pictures of the cluster into events ("node 2 became leader (term 5)").
 *
 * Nothing here does I/O or reads a clock: callers pass times in. The real data hooks (polling every
 * node's `status`, asking the supervisor for process states) fill these shapes; tests fill them by
 * hand. Components only ever see these types, never a socket.
 */
import type { NodeId, Role } from '../protocol/raft-messages.js';

/**
 * What the monitor knows about a node's process / reachability:
 * - `up`: answered its last status request;
 * - `starting`: the supervisor started it and it has not answered yet;
 * - `down`: the process is dead (crashed or killed) according to the supervisor;
 * - `stopped`: stopped on purpose (the `s` key, or `raftkv ctl`), not expected to answer;
 * - `unreachable`: the process may be alive but did not answer within the poll deadline.
 */
export type NodeState = 'up' | 'down' | 'stopped' | 'unreachable' | 'starting';

export const NODE_STATES: readonly NodeState[] = ['up', 'starting', 'down', 'stopped', 'unreachable'];

/** Raft role as the node reported it; re-exported so components need not know the protocol module. */
export type NodeRole = Role;

export const NODE_ROLES: readonly NodeRole[] = ['leader', 'follower', 'candidate', 'pre-candidate'];

/**
 * One row of the node table. Identity fields (`id`, `host`, `port`) are always present, so a node
 * that never came up is still shown. The Raft fields are the node's last answer to `status`; they are
 * only meaningful while `state === 'up'` (the table shows them dimmed otherwise).
 */
export interface NodeView {
  id: NodeId;
  /** Client-port address, as in cluster.json. */
  host: string;
  port: number;
  state: NodeState;
  role?: NodeRole;
  term?: number;
  /** Who this node believes leads; 0 (NO_NODE) or absent when it knows no leader. */
  leader?: NodeId;
  lastLogIndex?: number;
  lastLogTerm?: number;
  /** Invariant reported by a healthy node: lastApplied <= commitIndex <= lastLogIndex. */
  commitIndex?: number;
  lastApplied?: number;
  /** The newest snapshot's last index (0: none), and the first index still in the log. */
  snapshotIndex?: number;
  firstLogIndex?: number;
  /** Bytes received so far of a snapshot being installed (a follower catching up), if any. */
  receivingSnapshotBytes?: number;
  /** How long the process has run, in milliseconds (from the supervisor or the node). */
  uptimeMs?: number;
  /** OS process id, when the supervisor knows it. */
  pid?: number;
  /** Per peer id: how this node hears it (from its status; link-view.ts). */
  links?: Readonly<Record<string, LinkView>>;
  /** Delay injected on this node's peer traffic (ms), when any. */
  delayMs?: number;
  /** How often the supervisor restarted the node after it exited on its own. */
  restarts?: number;
  /** Its place in the cluster's membership (the `members` op): a learner gets the log but has no vote. */
  member?: 'voter' | 'learner';
  /** On a leader handing over (Raft thesis §3.10): the node it is handing leadership to. */
  transferringTo?: NodeId;
}

/** One peer as a node sees it. `heardAgoMs` is rounded (link-view.ts) so polls that change nothing visible redraw nothing. */
export interface LinkView {
  heardAgoMs: number | null;
  /** We drop what we send it / what it sends us (an injected fault). */
  cutOut: boolean;
  cutIn: boolean;
}

/** One Raft log entry as shown in the detail pane. `command` is already rendered to text. */
export interface LogEntryView {
  index: number;
  term: number;
  kind: 'cmd' | 'noop' | 'config';
  /** e.g. `SET x 1`, or `add learner 4 127.0.0.1:7004` for a membership change; empty for a no-op. */
  command: string;
}

/** Why an event is shown; decides its colour on the timeline. */
export type ClusterEventKind = 'leader' | 'election' | 'down' | 'up' | 'action' | 'error' | 'info' | 'member';

/** One line of the timeline. */
export interface ClusterEvent {
  /** Wall-clock time in milliseconds since the epoch. */
  atMs: number;
  text: string;
  kind: ClusterEventKind;
}

/** Numbers for the stats bar. Latencies are of requests made from the shell. */
export interface ClusterMetrics {
  /** Shell requests completed since start. */
  shellOps: number;
  /** Median and 99th percentile latency of those requests, in ms; undefined before the first one. */
  p50Ms?: number;
  p99Ms?: number;
  /** Entries committed per second on the leader, over the source's recent window. */
  commitRatePerSec?: number;
}

export const EMPTY_METRICS: ClusterMetrics = Object.freeze({ shellOps: 0 });

/**
 * Everything the screen shows at one moment. A ClusterSource hands out a new object whenever any
 * part changes, and the same object otherwise (React compares snapshots by identity).
 */
export interface ClusterSnapshot {
  /**
   * Every member, by id: the cluster's own membership (cluster.json's nodes until a node says),
   * plus any node the supervisor runs. A node leaves the list when the membership drops it.
   */
  nodes: readonly NodeView[];
  /** Most recent Raft log entries per node id, oldest first. */
  entries: Readonly<Record<number, readonly LogEntryView[]>>;
  /** The last lines of `logs/node-<id>.log` per node id, oldest first. */
  logTails: Readonly<Record<number, readonly string[]>>;
  metrics: ClusterMetrics;
  /**
   * Events only the source can know (supervisor: "node 2 exited with code 137"). Leader changes
   * and nodes going down/up are derived by the UI from successive snapshots (diffNodes), so a
   * source need not report those.
   */
  events?: readonly ClusterEvent[];
  /** `host:port` the shell's client is talking to, for the prompt; absent when not connected. */
  shellTarget?: string;
}

export const EMPTY_SNAPSHOT: ClusterSnapshot = Object.freeze({
  nodes: [],
  entries: {},
  logTails: {},
  metrics: EMPTY_METRICS,
});

/** `host:port` of a node's client port. */
export function addressOf(node: Pick<NodeView, 'host' | 'port'>): string {
  return `${node.host}:${node.port}`;
}

/**
 * The leader as the monitor sees it: among nodes that are up and say they lead, the one with the
 * highest term. (After a partition heals an old leader may still claim a lower term for a moment;
 * the higher term is the real one, §5.1.)
 */
export function leaderOf(nodes: readonly NodeView[]): NodeView | undefined {
  let best: NodeView | undefined;
  for (const n of nodes) {
    if (n.state !== 'up' || n.role !== 'leader') continue;
    if (best === undefined || (n.term ?? 0) > (best.term ?? 0)) best = n;
  }
  return best;
}

/**
 * How many log entries `node` is behind `leader` (by last log index). 0 for the leader itself;
 * undefined when either is not up or did not report its log. Never negative: a follower may hold
 * uncommitted entries beyond the leader's log that the leader will overwrite (§5.3).
 */
export function lagOf(node: NodeView, leader: NodeView | undefined): number | undefined {
  if (leader === undefined || node.state !== 'up' || leader.state !== 'up') return undefined;
  if (node.lastLogIndex === undefined || leader.lastLogIndex === undefined) return undefined;
  return Math.max(0, leader.lastLogIndex - node.lastLogIndex);
}

const STATE_EVENT: Record<NodeState, { text: string; kind: ClusterEventKind }> = {
  up: { text: 'up', kind: 'up' },
  starting: { text: 'starting', kind: 'info' },
  down: { text: 'down', kind: 'down' },
  stopped: { text: 'stopped', kind: 'down' },
  unreachable: { text: 'unreachable', kind: 'down' },
};

/**
 * Events between two successive pictures of the cluster, in this order: membership changes
 * ("node 4 joined as a learner", "node 4 promoted to voter", "node 2 left the cluster"), nodes
 * changing state ("node 3 down"), nodes starting an election ("node 1 started an election (term
 * 6)"), a leader handing over ("node 1 is handing leadership to node 3"), then a change of leader
 * ("node 2 became leader (term 5)" or "no leader"). A node absent from `prev` produces no state
 * event (there is nothing to compare with), and an empty `prev` produces nothing at all, so the
 * first picture the monitor gets is quiet.
 */
export function diffNodes(prev: readonly NodeView[], next: readonly NodeView[], atMs: number): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  if (prev.length === 0) return events;
  const before = new Map(prev.map((n) => [n.id, n]));
  const after = new Set(next.map((n) => n.id));
  for (const n of next) {
    const p = before.get(n.id);
    if (p === undefined) events.push({ atMs, text: `node ${n.id} joined${n.member ? ` as a ${n.member}` : ''} (${addressOf(n)})`, kind: 'member' });
    else if (p.member === 'learner' && n.member === 'voter') events.push({ atMs, text: `node ${n.id} promoted to voter`, kind: 'member' });
    else if (p.member === 'voter' && n.member === 'learner') events.push({ atMs, text: `node ${n.id} is now a learner`, kind: 'member' });
  }
  for (const p of prev) if (!after.has(p.id)) events.push({ atMs, text: `node ${p.id} left the cluster`, kind: 'member' });
  for (const n of next) {
    const p = before.get(n.id);
    if (p === undefined) continue;
    if (p.state !== n.state) {
      const e = STATE_EVENT[n.state];
      events.push({ atMs, text: `node ${n.id} ${e.text}`, kind: e.kind });
    }
  }
  for (const n of next) {
    const p = before.get(n.id);
    if (p === undefined || n.state !== 'up' || n.role !== 'candidate') continue;
    if (p.role !== 'candidate' || p.term !== n.term) {
      events.push({ atMs, text: `node ${n.id} started an election (term ${n.term ?? '?'})`, kind: 'election' });
    }
  }
  for (const n of next) {
    const p = before.get(n.id);
    if (n.transferringTo !== undefined && n.state === 'up' && p?.transferringTo !== n.transferringTo) {
      events.push({ atMs, text: `node ${n.id} is handing leadership to node ${n.transferringTo}`, kind: 'member' });
    }
  }
  const was = leaderOf(prev);
  const is = leaderOf(next);
  if (is !== undefined && (was === undefined || was.id !== is.id || was.term !== is.term)) {
    events.push({ atMs, text: `node ${is.id} became leader (term ${is.term ?? '?'})`, kind: 'leader' });
  } else if (is === undefined && was !== undefined) {
    events.push({ atMs, text: `no leader (node ${was.id} lost it)`, kind: 'election' });
  }
  return events;
}

/**
 * `list` followed by `items`, keeping only the newest `max` (max >= 0). Returns `list` itself when
 * `items` is empty, so React sees no change.
 */
export function appendBounded<T>(list: readonly T[], items: readonly T[], max: number): readonly T[] {
  if (items.length === 0) return list;
  const all = list.concat(items);
  return all.length > max ? all.slice(all.length - max) : all;
}

/**
 * Two event lists merged by time, oldest first; on equal times `a` comes first. Both inputs must
 * already be sorted by `atMs`.
 */
export function mergeEvents(a: readonly ClusterEvent[], b: readonly ClusterEvent[]): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.atMs <= b[j]!.atMs)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
