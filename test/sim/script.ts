/**
 * Helpers for scripted scenarios: a calm, fixed-seed cluster and a few verbs ("make node 3 the
 * leader", "commit n commands") that fail with a clear message and the cluster's state when they
 * cannot be done within their tick budget. Nothing here sleeps: every wait is a bounded number of
 * simulated ticks.
 */
import type { NodeId } from '../../src/protocol/raft-messages.js';
import { SimCluster, type ClusterOptions, type ProposalRecord } from './cluster.js';
import { entryKey } from './invariants.js';

export const SCRIPT_ELECTION_MIN = 10;
export const SCRIPT_ELECTION_MAX = 20;

/** A cluster on a calm network (every message takes exactly one tick, nothing lost). */
export function scriptedCluster(nodes: number, overrides: Partial<ClusterOptions> = {}): SimCluster {
  return new SimCluster({
    nodes,
    seed: 1,
    electionTicksMin: SCRIPT_ELECTION_MIN,
    electionTicksMax: SCRIPT_ELECTION_MAX,
    heartbeatTicks: 2,
    network: { delayTicksMin: 1, delayTicksMax: 1 },
    ...overrides,
  });
}

/** One line per node: role, term, leader, commit, applied, last index/term (for failure messages). */
export function describeCluster(c: SimCluster): string {
  return c.ids
    .map((id) => {
      const st = c.status(id);
      const s = c.node(id).store;
      if (!st) return `${id}: down (disk term=${s.hardState.term} last=${s.lastIndex}/${s.lastTerm})`;
      return `${id}: ${st.role}${c.node(id).paused ? ' (paused)' : ''} t${st.term} leader=${st.leader} commit=${st.commitIndex} applied=${st.lastApplied} last=${st.lastLogIndex}/${st.lastLogTerm}`;
    })
    .join('\n');
}

/** Tick until `cond` holds or throw, naming `what` and showing the cluster. */
export function waitFor(c: SimCluster, what: string, cond: () => boolean, maxTicks: number, options: { only?: readonly NodeId[] } = {}): void {
  if (!c.runUntil(cond, maxTicks, options)) {
    throw new Error(`SCENARIO_TIMEOUT: ${what} did not happen within ${maxTicks} ticks (now ${c.now})\n${describeCluster(c)}`);
  }
}

/**
 * Make `id` the leader: only `id` ticks, so only its election timer can fire; the others answer
 * its (pre-)votes. Returns its term. Not for lease mode: there the others' clocks must run too
 * (stopping them breaks the drift bound leases rely on, and a node that has not yet counted an
 * election timeout since it booted does not vote); use awaitLeader.
 */
export function electLeader(c: SimCluster, id: NodeId, maxTicks = 20 * SCRIPT_ELECTION_MAX): number {
  waitFor(c, `node ${id} becoming leader`, () => c.status(id)?.role === 'leader', maxTicks, { only: [id] });
  return c.status(id)!.term;
}

/** Any leader at all (everyone ticks); returns its id. */
export function awaitLeader(c: SimCluster, among: readonly NodeId[] = c.ids, maxTicks = 20 * SCRIPT_ELECTION_MAX): NodeId {
  let leader: NodeId = 0;
  waitFor(
    c,
    `a leader among ${among.join(',')}`,
    () => {
      leader = among.find((id) => c.status(id)?.role === 'leader' && !c.node(id).paused) ?? 0;
      return leader !== 0;
    },
    maxTicks,
  );
  return leader;
}

/** Whether node `id` has applied `command` (at any index). */
export function hasApplied(c: SimCluster, id: NodeId, command: string): boolean {
  const key = entryKey({ term: 0, index: 0, kind: 'cmd', data: command });
  return c.appliedLog(id).some((e) => entryKey(e) === key);
}

/** Whether any node, up or down, ever applied `command`. */
export function appliedAnywhere(c: SimCluster, command: string): boolean {
  return c.ids.some((id) => hasApplied(c, id, command));
}

/**
 * Propose `count` commands at `leader` and tick until every node in `on` applied them all.
 * Returns the proposal record.
 */
export function commitAt(c: SimCluster, leader: NodeId, count: number, on: readonly NodeId[], maxTicks = 400): ProposalRecord {
  const rec = c.propose(leader, count);
  if (rec.result.status !== 'appended') throw new Error(`SCENARIO_NOT_LEADER: node ${leader} answered ${JSON.stringify(rec.result)}\n${describeCluster(c)}`);
  waitFor(c, `commands ${rec.commands.join(',')} applied on ${on.join(',')}`, () => on.every((id) => rec.commands.every((cmd) => hasApplied(c, id, cmd))), maxTicks);
  return rec;
}

/** Tick until every member has applied everything its leader has (same applied index everywhere). */
export function awaitConverged(c: SimCluster, maxTicks = 1000): void {
  waitFor(
    c,
    'convergence',
    () => {
      const l = c.leader();
      if (!l) return false;
      const last = c.status(l)!.lastLogIndex;
      return c.members().every((id) => c.node(id).up && c.node(id).store.applied === last && c.status(id)!.leader === l);
    },
    maxTicks,
  );
}
