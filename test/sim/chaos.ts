/**
 * One randomized simulation run per seed: a chaos phase (crashes, restarts, partitions, drops,
 * duplicates, delays, crashes in the middle of a Ready, clients proposing and reading throughout),
 * then a heal phase in which the cluster must recover within a bound (liveness).
 *
 * Everything a run does is a function of (seed, nodes, chaosTicks): the fault profile, the fault
 * schedule, the network, each core's election timeouts. Safety is checked after every step by the
 * cluster's InvariantChecker; liveness at the end here.
 */
import type { ConfChange, NodeId } from '../../src/protocol/raft-messages.js';
import { Prng } from '../lib/prng.js';
import { DriftClocks } from './clock-drift.js';
import { SimCluster, type ClusterOptions, type ClusterStats, type ReadMode } from './cluster.js';
import { InvariantViolation, entryKey } from './invariants.js';
import { injectPartition } from './partitions.js';
import { simAddress } from './sim-membership.js';

export interface SeedOptions {
  seed: number;
  nodes: number;
  /** Length of the chaos phase in ticks. */
  chaosTicks?: number;
  trace?: ((line: string) => void) | null;
  sabotage?: ClusterOptions['sabotage'];
  /** How leaders confirm reads (default 'readindex'); the 'long-lease' sabotage implies 'lease'. */
  readMode?: ReadMode;
  /** false: keep the bootstrap membership (no spares, no changes). Default: churn on half the seeds. */
  membership?: boolean;
}

export interface ProposalOutcomes {
  /** Batches the leader appended, per command: applied everywhere at the index it was given. */
  committed: number;
  /** Appended, but the index ended up holding another term's entry (or past the end): failed. */
  dropped: number;
  /** Forwarded to a leader (outcome unknown to the client); how many of them were applied. */
  forwarded: number;
  forwardedApplied: number;
  /** Refused (no leader known). */
  refused: number;
}

export interface SeedResult {
  seed: number;
  nodes: number;
  readMode: ReadMode;
  violation: InvariantViolation | null;
  ticks: number;
  /** Ticks the heal phase needed to converge (or its bound, on a liveness failure). */
  healTicks: number;
  maxTerm: number;
  committedIndex: number;
  stats: ClusterStats;
  proposals: ProposalOutcomes;
  /** A short description of the fault profile drawn for this seed. */
  profile: string;
}

export const DEFAULT_CHAOS_TICKS = 400;

/** Per-seed fault intensities; each seed draws one, so runs differ in kind, not only in detail. */
interface FaultProfile {
  crashRate: number;
  midReadyCrashRate: number;
  restartRate: number;
  partitionRate: number;
  healRate: number;
  proposeRate: number;
  readRate: number;
  keepAppliedRate: number;
  /** Per tick: freeze a node (leader favoured) for a while; per tick per paused node: resume. */
  pauseRate: number;
  resumeRate: number;
  /** Per tick: the leader tells a random follower to campaign now (leadership transfer, §3.10). */
  timeoutNowRate: number;
  /** Per node per tick: probability its clock skips a tick / ticks twice (drift). */
  skipTickRate: number;
  doubleTickRate: number;
  /** Each Ready's write takes [0, diskLatencyTicksMax] ticks (0: synchronous disk). */
  diskLatencyTicksMax: number;
}

function drawCluster(seed: number, nodes: number, prng: Prng): ClusterOptions {
  // 5 ticks is barely above a slow round trip: elections are frequent, split votes common.
  const electionTicksMin = prng.pick([5, 8, 10, 15]);
  return {
    nodes,
    seed,
    electionTicksMin,
    electionTicksMax: electionTicksMin * 2,
    heartbeatTicks: prng.pick([1, 2, 3]),
    maxInflight: prng.pick([1, 4, 64]),
    maxEntriesPerMessage: prng.pick([1, 3, 256]),
    eagerReadyRate: prng.pick([0, 0.3, 1]),
    network: drawNetwork(prng),
  };
}

function drawNetwork(prng: Prng): ClusterOptions['network'] {
  const delayTicksMax = prng.int(1, 4);
  return {
    delayTicksMin: 1,
    delayTicksMax,
    dropRate: prng.pick([0, 0.01, 0.05, 0.15]),
    duplicateRate: prng.pick([0, 0.02, 0.1]),
    reorderRate: prng.pick([0, 0.05, 0.2]),
    reorderExtraTicksMax: 12,
  };
}

function drawFaults(prng: Prng): FaultProfile {
  return {
    crashRate: prng.pick([0, 0.003, 0.01, 0.02]),
    midReadyCrashRate: prng.pick([0, 0.0005, 0.003]),
    restartRate: prng.pick([0.02, 0.05, 0.2]),
    partitionRate: prng.pick([0, 0.005, 0.02]),
    healRate: prng.pick([0.01, 0.03, 0.1]),
    proposeRate: prng.pick([0.1, 0.3, 0.8]),
    readRate: prng.pick([0, 0.05, 0.2]),
    keepAppliedRate: 0.5,
    pauseRate: prng.pick([0, 0, 0.005, 0.02]),
    resumeRate: prng.pick([0.03, 0.1]),
    timeoutNowRate: prng.pick([0, 0, 0.005, 0.02]),
    skipTickRate: prng.pick([0, 0, 0.05, 0.2]),
    doubleTickRate: prng.pick([0, 0, 0.05]),
    diskLatencyTicksMax: prng.pick([0, 0, 1, 3]),
  };
}

/**
 * Lease mode only, drawn from its own stream so readindex runs stay as they were: how far clocks
 * drift (each node at a fixed rate within ±maxClockDrift, clock-drift.ts; the core is configured
 * with the same bound) and how often a client reads at a node that believes it leads - the reads
 * a lease answers, and the ones a stale leader's lease must not.
 */
interface LeaseProfile {
  maxClockDrift: number;
  leaderReadRate: number;
  /**
   * Per tick, when there is a leader and no episode under way: start a lease episode (see
   * leaseEpisode). A stale leader's lease is what this mode must get right, so lease runs provoke
   * stale leaders often, including in runs whose other faults keep the network split.
   */
  leaderIsolationRate: number;
  /**
   * Replaces the drawn election timeout (max = 2 * min): long timeouts against the 1-4 tick
   * network make the window between a new leader's first commit and the old leader's check-quorum
   * step-down wide, which is where a too-long lease shows.
   */
  electionTicksMin: number;
}

function drawLease(prng: Prng): LeaseProfile {
  return {
    maxClockDrift: prng.pick([0, 0.05, 0.1, 0.2]),
    leaderReadRate: prng.pick([0.05, 0.2, 0.5]),
    leaderIsolationRate: prng.pick([0.01, 0.03, 0.05]),
    electionTicksMin: prng.pick([5, 10, 20, 30, 40]),
  };
}

/**
 * A lease episode: heal the network, then cut the leader off from everyone, or from everyone but
 * one follower (a minority in 5), or only from a minority of followers (it keeps its quorum and
 * its lease while the cut-off followers campaign: the followers that still hear it must not vote
 * for them). Returns the leader (0 if there was none): its clients keep reading there.
 */
function leaseEpisode(c: SimCluster, prng: Prng): NodeId {
  // A leader its clients can reach: a frozen process takes no requests (and its clock is stopped
  // until it resumes and catches up, so a read there would be judged by a clock that is wrong).
  const leaders = c.activeIds().filter((id) => c.status(id)?.role === 'leader');
  if (leaders.length === 0) return 0;
  const leader = prng.pick(leaders);
  c.network.heal();
  const others = prng.shuffle(c.ids.filter((id) => id !== leader));
  const kind = prng.pick(['alone', 'with-one', 'cut-from-minority'] as const);
  if (kind === 'cut-from-minority') {
    c.network.partition([leader], others.slice(0, Math.floor(others.length / 2)));
  } else {
    c.network.partition(kind === 'with-one' && c.ids.length >= 5 ? [leader, others[0]!] : [leader]);
  }
  traceLine(c, `partition lease-episode ${kind} of leader ${leader}: cut ${c.network.cuts().join(' ')}`);
  return leader;
}

/**
 * Membership churn: how many spare nodes wait to be added and how often the leader is asked for a
 * change. Drawn from a stream of its own, so seeds without churn run as they did before it.
 */
interface MembershipProfile {
  spares: number;
  changeRate: number;
}

function drawMembership(prng: Prng): MembershipProfile | null {
  if (!prng.chance(0.5)) return null;
  return { spares: prng.int(1, 2), changeRate: prng.pick([0.005, 0.02, 0.05]) };
}

/**
 * Ask the leader for one random membership change: add a spare (mostly as a learner), promote a
 * learner, or remove any member, the leader included. A removed node is never added back (a
 * wiped node rejoins under a new id). The core refuses what is not allowed now (one change at a
 * time, its own term's entry first); that is traced and is fine.
 */
function changeMembership(c: SimCluster, prng: Prng): void {
  const leader = c.leader();
  const raw = leader ? c.node(leader).raw : null;
  if (!leader || !raw || c.node(leader).paused) return;
  const m = raw.membership();
  const inM = (id: NodeId) => m.voters.includes(id) || m.learners.includes(id);
  const addable = c.ids.filter((id) => !inM(id) && !c.removedEver.has(id));
  const ops: ConfChange[] = [];
  if (addable.length > 0) {
    const id = prng.pick(addable);
    ops.push(prng.chance(0.75) ? { type: 'addLearner', id, address: simAddress(id) } : { type: 'addVoter', id, address: simAddress(id) });
  }
  if (m.learners.length > 0) ops.push({ type: 'promote', id: prng.pick(m.learners) });
  const members = [...m.voters, ...m.learners];
  if (members.length > 1) ops.push({ type: 'remove', id: prng.pick(members) });
  if (ops.length === 0) return;
  const cc = prng.pick(ops);
  const r = raw.proposeConfChange(cc);
  if (r.status === 'appended') {
    c.stats.confChanges++;
    if (cc.type === 'remove') c.removedEver.add(cc.id);
  }
  traceLine(c, `membership ${leader}: ${cc.type} ${cc.id} -> ${r.status === 'refused' ? `${r.code} ${r.reason}` : r.status}`);
}

function traceLine(c: SimCluster, line: string): void {
  c.traceEvent(line);
}

/** A client read at a node that believes it leads (possibly a stale leader), if there is one. */
function readAtSomeLeader(c: SimCluster, prng: Prng): void {
  const leaders = c.activeIds().filter((id) => c.status(id)?.role === 'leader');
  if (leaders.length > 0) c.readIndex(prng.pick(leaders));
}

/**
 * One chaos tick's worth of faults and client traffic. `holdCuts`: leave the partitions as they
 * are (a lease episode is under way; the network heals when it is over).
 */
function chaosStep(c: SimCluster, f: FaultProfile, prng: Prng, holdCuts: boolean): void {
  const up = c.upIds();
  if (up.length > 0 && prng.chance(f.crashRate)) {
    const leader = c.leader();
    const victim = leader && prng.chance(0.5) ? leader : prng.pick(up);
    c.crash(victim, 'chaos');
  }
  for (const id of c.downIds()) if (prng.chance(f.restartRate)) c.restart(id);
  if (prng.chance(f.partitionRate)) traceLine(c, injectPartition(c.network, c.ids, c.leader() ?? 0, prng));
  if (c.network.cuts().length > 0 && !holdCuts && prng.chance(f.healRate)) {
    c.network.heal();
    traceLine(c, 'heal network');
  }
  if (prng.chance(f.pauseRate)) {
    const active = c.activeIds();
    const leader = c.leader();
    if (active.length > 0) c.pause(leader && !c.node(leader).paused && prng.chance(0.5) ? leader : prng.pick(active));
  }
  for (const id of c.ids) if (c.node(id).paused && prng.chance(f.resumeRate)) c.resume(id);
  if (prng.chance(f.timeoutNowRate)) {
    const leader = c.leader();
    const raw = leader ? c.node(leader).raw : null;
    if (leader && raw && !c.node(leader).paused) {
      const to = prng.pick(c.ids.filter((x) => x !== leader));
      // Through the leader's own API (thesis §3.10): it gives up its lease, catches the target up
      // and sends timeoutNow through the simulated network (drops, partitions, delays).
      const r = raw.transferLeader(to);
      c.traceEvent(`transfer leadership ${leader} -> ${to}: ${r.ok ? 'started' : r.reason}`);
    }
  }
  const active = c.activeIds();
  if (active.length > 0 && prng.chance(f.proposeRate)) c.propose(prng.pick(active), prng.int(1, 3));
  if (active.length > 0 && prng.chance(f.readRate)) c.readIndex(prng.pick(active));
}

/** Run one seed to the end (or to its first violation). Never throws for a core bug. */
export function runSeed(options: SeedOptions): SeedResult {
  const root = new Prng(options.seed);
  const setup = root.fork('setup');
  const clusterOptions = drawCluster(options.seed, options.nodes, setup);
  const faults = drawFaults(setup);
  const readMode: ReadMode = options.sabotage === 'long-lease' ? 'lease' : (options.readMode ?? 'readindex');
  const leasePrng = root.fork('lease');
  const lease = readMode === 'lease' ? drawLease(leasePrng) : null;
  const chaosTicks = options.chaosTicks ?? DEFAULT_CHAOS_TICKS;
  if (lease) {
    clusterOptions.electionTicksMin = lease.electionTicksMin;
    clusterOptions.electionTicksMax = 2 * lease.electionTicksMin;
  }
  // Half the seeds drive the cores as the node process does (pipelined Readies, apply before
  // fsync); drawn from a stream of its own so the other draws of a seed stay as they were.
  const pipelined = root.fork('driver-style').chance(0.5);
  // Snapshots and compaction at small thresholds on most seeds, also from a stream of its own.
  const snapPrng = root.fork('snapshots');
  const snapshotEvery = snapPrng.pick([0, 2, 3, 5, 10, 25]);
  const snapshots = snapshotEvery > 0 ? { every: snapshotEvery, trailing: snapPrng.pick([0, 0, 2, 10]) } : null;
  const memberPrng = root.fork('membership');
  const membership = options.membership === false ? null : drawMembership(memberPrng);
  const c = new SimCluster({
    ...clusterOptions,
    pipelined,
    snapshots,
    spares: membership?.spares ?? 0,
    readMode,
    ...(lease ? { maxClockDrift: lease.maxClockDrift } : {}),
    trace: options.trace ?? null,
    sabotage: options.sabotage ?? null,
  });
  const faultPrng = root.fork('faults');
  const crashPrng = root.fork('mid-ready-crashes');
  const profile =
    `driver=${pipelined ? 'pipelined' : 'classic'} read=${readMode} snapshots=${snapshots ? `${snapshots.every}/${snapshots.trailing}` : 'off'} ` +
    `membership=${membership ? `${membership.spares} spares/${membership.changeRate}` : 'fixed'} election=${clusterOptions.electionTicksMin}-${clusterOptions.electionTicksMax} hb=${clusterOptions.heartbeatTicks} ` +
    `inflight=${clusterOptions.maxInflight} batch=${clusterOptions.maxEntriesPerMessage} eager=${clusterOptions.eagerReadyRate} ` +
    `net=${JSON.stringify(clusterOptions.network)} faults=${JSON.stringify(faults)}${lease ? ` lease=${JSON.stringify(lease)}` : ''}`;
  c.traceEvent(`seed ${options.seed} nodes=${options.nodes} ${profile}`);
  c.restartKeepsApplied = () => faultPrng.chance(faults.keepAppliedRate);
  const diskPrng = root.fork('disk');
  if (faults.diskLatencyTicksMax > 0) c.diskLatency = () => diskPrng.int(0, faults.diskLatencyTicksMax);
  if (lease) {
    // Leases are safe only while clocks drift within the configured bound: here they always do
    // (the readindex runs below drift without bound, which ReadIndex must survive).
    const drift = new DriftClocks(c.ids, lease.maxClockDrift, leasePrng.fork('clocks'));
    c.traceEvent(`clock rates: ${c.ids.map((id) => `${id}:${drift.rate(id).toFixed(3)}`).join(' ')}`);
    c.tickMultiplier = (id) => drift.ticksAt(id, c.now);
  } else {
    const clockPrng = root.fork('clocks');
    if (faults.skipTickRate > 0 || faults.doubleTickRate > 0) {
      c.tickMultiplier = () => (clockPrng.chance(faults.skipTickRate) ? 0 : clockPrng.chance(faults.doubleTickRate) ? 2 : 1);
    }
  }
  const leaseReadPrng = leasePrng.fork('reads');
  let stuckAt: NodeId = 0;
  let episodeEnd = 0;

  let violation: InvariantViolation | null = null;
  let healTicks = 0;
  let proposals: ProposalOutcomes | null = null;
  try {
    c.crashHook = (_id, _point) => crashPrng.chance(faults.midReadyCrashRate);
    for (let t = 0; t < chaosTicks; t++) {
      chaosStep(c, faults, faultPrng, stuckAt !== 0);
      if (membership && memberPrng.chance(membership.changeRate)) changeMembership(c, memberPrng);
      if (lease) {
        // A lease episode: the leader is cut off and its clients keep asking it while it believes
        // it leads; the partition holds until it knows better (or crashes, or freezes), or for at
        // most a few election timeouts (a leader cut off from a minority may lead on).
        if (stuckAt && (!(c.activeIds().includes(stuckAt) && c.status(stuckAt)?.role === 'leader') || c.now >= episodeEnd)) {
          c.traceEvent(`lease episode of ${stuckAt} over`);
          stuckAt = 0;
        }
        if (!stuckAt && leaseReadPrng.chance(lease.leaderIsolationRate)) {
          stuckAt = leaseEpisode(c, leaseReadPrng);
          episodeEnd = c.now + 5 * c.config.electionTicksMax;
        } else if (stuckAt && c.ids.some((x) => x !== stuckAt && c.network.canSend(stuckAt, x)) && leaseReadPrng.chance(0.05)) {
          // Escalate: the followers that still had the leader lose it too, some while the
          // cut-off ones are already campaigning (only the lease vote rejection holds them).
          c.network.isolate(stuckAt);
          traceLine(c, `partition lease-episode escalates: leader ${stuckAt} alone: cut ${c.network.cuts().join(' ')}`);
        }
        if (stuckAt && leaseReadPrng.chance(0.5)) c.readIndex(stuckAt);
        if (leaseReadPrng.chance(lease.leaderReadRate)) readAtSomeLeader(c, leaseReadPrng);
      }
      c.tick();
    }
    healTicks = heal(c);
    proposals = classifyProposals(c, true);
  } catch (err) {
    if (!(err instanceof InvariantViolation)) throw err;
    violation = err;
    c.traceEvent(`VIOLATION ${err.message}`);
  }
  const maxTerm = Math.max(0, ...c.ids.map((id) => c.node(id).store.hardState.term));
  return {
    seed: options.seed,
    nodes: options.nodes,
    readMode,
    violation,
    ticks: c.now,
    healTicks,
    maxTerm,
    committedIndex: c.checker.highestCommitted,
    stats: c.stats,
    proposals: proposals ?? classifyProposals(c, false),
    profile,
  };
}

/**
 * The liveness bound of the heal phase, in ticks: a few election rounds, plus time to ship the
 * longest log one entry per round trip (the slowest configuration: one entry per message, one
 * message in flight; a calm round trip is at most 4 ticks).
 */
export function healBound(c: SimCluster): number {
  let backlog = 0;
  for (const id of c.ids) backlog = Math.max(backlog, c.node(id).store.lastIndex);
  return 20 * c.config.electionTicksMax + 200 + 5 * backlog;
}

/**
 * Heal everything and require recovery within healBound ticks: a stable leader all nodes follow;
 * a fresh proposal at that leader applied on every node (re-proposed, as a client would, if a
 * legitimate leadership change - say, check-quorum firing right after the heal - loses it); a
 * read at the leader and at a follower served (retried if answered -1); identical applied logs.
 * Returns the ticks it took.
 */
function heal(c: SimCluster): number {
  const start = c.now;
  c.crashHook = null;
  c.tickMultiplier = null;
  for (const id of c.ids) c.resume(id);
  c.network.heal();
  c.network.setOptions({ delayTicksMin: 1, delayTicksMax: 2, dropRate: 0, duplicateRate: 0, reorderRate: 0 });
  for (const id of c.downIds()) c.restart(id);
  const bound = healBound(c);
  c.traceEvent(`heal: all nodes up, network healed and calm; liveness bound ${bound} ticks`);

  /** The leader every node agrees on (same term), or 0. */
  const stableLeader = (): NodeId => {
    const l = c.leader();
    if (!l) return 0;
    const term = c.status(l)!.term;
    for (const id of c.members()) {
      const st = c.status(id);
      if (!st || st.term !== term || st.leader !== l) return 0;
    }
    return l;
  };

  let pending: { node: NodeId; index: number; term: number; key: string } | null = null;
  let finalApplied = false;
  const reads = new Map<NodeId, string>();

  /** Drive the final proposal and reads one step; returns why we are not done, or null. */
  const step = (): string | null => {
    if (!finalApplied && pending) {
      const a = c.checker.appliedAt(pending.index);
      const st = c.status(pending.node);
      if (a && a.term === pending.term) {
        if (a.key !== pending.key) c.checker.fail('LOG_MATCHING', `final proposal at ${pending.index}/${pending.term} applied as ${a.key}`);
        finalApplied = true;
      } else if (a || !st || st.role !== 'leader' || st.term !== pending.term) {
        c.traceEvent(`heal: final proposal at ${pending.index}/${pending.term} lost to a leadership change; re-proposing`);
        pending = null;
      }
    }
    const leader = stableLeader();
    if (!leader) return 'no stable leader';
    if (!finalApplied && !pending) {
      const p = c.propose(leader, 2);
      if (p.result.status !== 'appended') return `stable leader ${leader} did not append (${p.result.status})`;
      pending = { node: leader, index: p.result.index, term: p.result.term, key: entryKey({ term: 0, index: 0, kind: 'cmd', data: p.commands[0] }) };
    }
    if (reads.size === 0) {
      reads.set(leader, c.readIndex(leader));
      const follower = c.members().find((id) => id !== leader);
      if (follower !== undefined) reads.set(follower, c.readIndex(follower));
    }
    // A pending membership change may commit during the heal: reads at a node no longer a member
    // are dropped (it has no leader to ask) and asked again at a member.
    for (const id of reads.keys()) {
      if (c.members().includes(id)) continue;
      reads.delete(id);
      const instead = c.members().find((m) => !reads.has(m));
      if (instead !== undefined) reads.set(instead, c.readIndex(instead));
    }
    for (const [id, ctx] of reads) if (c.failedReads.has(ctx) && c.node(id).up) reads.set(id, c.readIndex(id));
    if (!finalApplied) return `final proposal at ${pending!.index}/${pending!.term} not applied yet`;
    const last = c.status(leader)!.lastLogIndex;
    // Removed nodes and spares never added are no longer (or not yet) fed by the leader.
    for (const id of c.members()) if (c.node(id).store.applied !== last) return `node ${id} applied ${c.node(id).store.applied} of ${last}`;
    for (const ctx of reads.values()) if (!c.servedReads.has(ctx)) return `read ${ctx} not served`;
    return null;
  };

  for (;;) {
    const why = step();
    if (why === null) break;
    if (c.now - start >= bound) failLiveness(c, `cluster did not converge ${bound} ticks after healing: ${why}`);
    c.tick();
  }
  // Identical state machines (per-index agreement is already a safety check; lengths here).
  const members = c.members();
  const len = c.appliedLog(members[0]!).length;
  for (const id of members) {
    if (c.appliedLog(id).length !== len) failLiveness(c, `node ${id} applied ${c.appliedLog(id).length} entries, node ${members[0]} ${len}`);
  }
  return c.now - start;
}

function failLiveness(c: SimCluster, why: string): never {
  const statuses = c.ids
    .map((id) => {
      const st = c.status(id);
      return st ? `${id}:${st.role}/t${st.term} lead=${st.leader} commit=${st.commitIndex} applied=${st.lastApplied} last=${st.lastLogIndex}/${st.lastLogTerm}` : `${id}:down`;
    })
    .join('; ');
  c.checker.fail('LIVENESS', `${why} [${statuses}] members ${c.members().join(',')}`);
}

/**
 * What became of every client batch. A command appended by a leader at (index, term) was
 * committed iff the entry applied at index has that term (log matching then makes it ours), and
 * dropped otherwise. Meaningful once the heal phase converged; before that it under-counts.
 */
function classifyProposals(c: SimCluster, strict: boolean): ProposalOutcomes {
  const out: ProposalOutcomes = { committed: 0, dropped: 0, forwarded: 0, forwardedApplied: 0, refused: 0 };
  const appliedCommands = new Set<string>();
  for (const e of c.appliedLog(c.members()[0]!)) if (e.kind === 'cmd') appliedCommands.add(String(e.data));
  for (const p of c.proposals) {
    const r = p.result;
    if (r.status === 'appended') {
      p.commands.forEach((cmd, k) => {
        const a = c.checker.appliedAt(r.index + k);
        const key = entryKey({ term: 0, index: 0, kind: 'cmd', data: cmd });
        if (a && a.term === r.term && a.key !== key && !c.checker.everStored(r.index + k, r.term, key)) {
          // The leader crashed before its term and this entry reached any disk or peer (a single
          // voter elects itself without a message), came back and won the same term again: the
          // entry never existed outside its memory, so (index, term) was free to be reused.
          out.dropped++;
        } else if (a && a.term === r.term) {
          if (strict && a.key !== key) {
            c.checker.fail('LOG_MATCHING', `leader ${p.node} appended ${cmd} at ${r.index + k}/${r.term} but ${a.key} was applied there`);
          }
          out.committed++;
        } else {
          out.dropped++;
        }
      });
    } else if (r.status === 'forwarded') {
      for (const cmd of p.commands) {
        out.forwarded++;
        if (appliedCommands.has(cmd)) out.forwardedApplied++;
      }
    } else {
      out.refused += p.commands.length;
    }
  }
  return out;
}
