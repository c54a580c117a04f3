/**
 * One table row from what the monitor knows about a node: the supervisor's word on its process
 * (up / down / stopped, pid) and the node's own answers to `status`. Pure, so the rules for "is
 * this node up?" can be tested from a table.
 *
 * The rules, in order:
 *   1. the supervisor says the process is down or stopped: that is the state (it saw the exit);
 *   2. the node answered its last poll: `up`;
 *   3. the supervisor runs it but the poll failed:
 *      - this process (same pid) has never answered: `starting` (it is still opening its ports);
 *      - a timeout (connection open, no answer: hung or paused): `unreachable` at once;
 *      - a refused or dropped connection: one such miss keeps the node `up` (a kill -9 the
 *        supervisor is about to report as `down` should not flash `unreachable` first); two in a
 *        row make it `unreachable`;
 *   4. no supervisor to ask: a refused connection means nothing listens (`down`), a timeout or a
 *      dropped connection `unreachable`; before the first poll, `starting`.
 * A node that is not up keeps its last Raft fields (the table dims them), never its uptime.
 */
import type { NodeAddress } from '../protocol/cluster-config.js';
import type { NodeStatusValue } from '../protocol/client-requests.js';
import { linksFromStatus, sameLinks } from './link-view.js';
import type { NodeState, NodeView } from './model.js';

/** The part of the supervisor's status row the view needs. */
export interface ProcessInfo {
  state: 'up' | 'down' | 'stopped';
  pid: number | null;
  /** Automatic restarts after the node exited on its own (absent from an older supervisor). */
  restarts?: number;
}

/** What the poller learnt from a node. */
export interface ProbeInfo {
  /** The last successful `status` reply, if any ever came. */
  status?: NodeStatusValue;
  /** True if the most recent poll was answered. */
  ok: boolean;
  /** Polls failed in a row (0 after a success). */
  failures: number;
  /** Error code of the last failed poll (TIMEOUT, UNAVAILABLE, CONNECTION_LOST, …). */
  failureCode?: string;
  /**
   * When the answering process started (wall clock ms), from its first answer's `uptimeMs`; kept
   * for as long as the same pid answers, so the uptime shown does not jitter with poll latency.
   */
  startedAtMs?: number;
}

export const NO_PROBE: ProbeInfo = Object.freeze({ ok: false, failures: 0 });

function numberField(status: NodeStatusValue | undefined, field: string): number | undefined {
  const v = status?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function nodeState(proc: ProcessInfo | undefined, probe: ProbeInfo): NodeState {
  if (proc !== undefined && proc.state !== 'up') return proc.state;
  if (probe.ok) return 'up';
  if (proc !== undefined) {
    const answeredThisProcess = proc.pid !== null && numberField(probe.status, 'pid') === proc.pid;
    if (!answeredThisProcess) return 'starting';
    if (probe.failureCode === 'TIMEOUT') return 'unreachable';
    return probe.failures >= 2 ? 'unreachable' : 'up';
  }
  if (probe.failures === 0) return 'starting';
  return probe.failureCode === 'UNAVAILABLE' ? 'down' : 'unreachable';
}

/**
 * Uptime at `nowMs` of a process started at `startedAtMs`, in whole seconds (within a second of
 * the truth) that all turn over together when the wall clock does: the table shows no finer, and uptimes ticking at each node's
 * own phase would make three new snapshots (three redraws) a second instead of one.
 */
export function uptimeAt(startedAtMs: number, nowMs: number): number {
  return Math.max(0, Math.round((Math.floor(nowMs / 1000) * 1000 - startedAtMs) / 1000) * 1000);
}

/**
 * The row for `address` at wall-clock time `nowMs`; `member` is its place in the membership when
 * known (the `members` op).
 */
export function buildNodeView(address: Pick<NodeAddress, 'id' | 'host' | 'port'>, proc: ProcessInfo | undefined, probe: ProbeInfo, nowMs: number, member?: 'voter' | 'learner'): NodeView {
  const s = probe.status;
  const state = nodeState(proc, probe);
  const view: NodeView = { id: address.id, host: address.host, port: address.port, state };
  if (member !== undefined) view.member = member;
  if (s !== undefined) {
    view.role = s.role;
    view.term = s.term;
    view.leader = s.leader;
    view.lastLogIndex = s.lastLogIndex;
    view.lastLogTerm = numberField(s, 'lastLogTerm');
    view.commitIndex = s.commitIndex;
    view.lastApplied = s.lastApplied;
    view.snapshotIndex = numberField(s, 'snapshotIndex');
    view.firstLogIndex = numberField(s, 'firstLogIndex');
    const receiving = (s as Record<string, unknown>).receivingSnapshot as { bytes?: unknown } | undefined;
    if (receiving && typeof receiving.bytes === 'number') view.receivingSnapshotBytes = receiving.bytes;
    if (state === 'up' && probe.startedAtMs !== undefined) view.uptimeMs = uptimeAt(probe.startedAtMs, nowMs);
    const links = linksFromStatus(s);
    if (links !== undefined && state === 'up') view.links = links;
    const transferee = numberField(s, 'leadTransferee');
    if (transferee !== undefined && transferee > 0 && s.role === 'leader') view.transferringTo = transferee;
    const delay = (s.faults as { delayMs?: unknown } | undefined)?.delayMs;
    if (typeof delay === 'number' && delay > 0) view.delayMs = delay;
  }
  const pid = proc !== undefined ? proc.pid : state === 'up' ? numberField(s, 'pid') : undefined;
  if (pid !== undefined && pid !== null) view.pid = pid;
  if (proc?.restarts !== undefined) view.restarts = proc.restarts;
  return view;
}

const FIELDS: readonly (keyof NodeView)[] = [
  'id', 'host', 'port', 'state', 'role', 'term', 'leader', 'lastLogIndex', 'lastLogTerm', 'commitIndex', 'lastApplied',
  'snapshotIndex', 'firstLogIndex', 'receivingSnapshotBytes', 'uptimeMs', 'pid', 'delayMs', 'restarts', 'member', 'transferringTo',
];

export function sameNodeView(a: NodeView, b: NodeView): boolean {
  return FIELDS.every((f) => a[f] === b[f]) && sameLinks(a.links, b.links);
}

/**
 * `next`, but reusing the objects of `prev` that did not change, and `prev` itself if nothing did:
 * React and Ink then see no change and draw nothing.
 */
export function reuseNodeViews(prev: readonly NodeView[], next: readonly NodeView[]): readonly NodeView[] {
  let changed = prev.length !== next.length;
  const out = next.map((n, i) => {
    const p = prev[i];
    if (p !== undefined && sameNodeView(p, n)) return p;
    changed = true;
    return n;
  });
  return changed ? out : prev;
}
