/**
 * One randomized simulation run per seed: a chaos phase (crashes, restarts, partitions, drops,
 * duplicates, delays, crashes in the middle of a Ready, clients proposing and reading throughout),
 * then a heal phase in which the cluster must recover within a bound (liveness).
 *
 * Everything a run does is a function of (seed, nodes, chaosTicks): the fault profile, the fault
 * schedule, the network, each core's election timeouts. Safety is checked after every step by the
 * cluster's InvariantChecker; liveness at the end here.
 */
import type { NodeId } from '../../src/protocol/raft-messages.js';
import { Prng } from '../lib/prng.js';
import { SimCluster, type ClusterOptions, type ClusterStats } from './cluster.js';
import { InvariantViolation, entryKey } from './invariants.js';

export interface SeedOptions {
  seed: number;
  nodes: number;
  /** Length of the chaos phase in ticks. */
  chaosTicks?: number;
  trace?: ((line: string) => void) | null;
  sabotage?: ClusterOptions['sabotage'];
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

/** A random network fault: symmetric split, isolation, or one-way cuts around the leader. */
function injectPartition(c: SimCluster, prng: Prng): void {
  const leader = c.leader();
  const ids = c.ids;
  const kind = prng.pick(['split', 'isolate', 'isolate-leader', 'one-way', 'leader-deaf', 'leader-mute'] as const);
  switch (kind) {
    case 'split': {
      const shuffled = prng.shuffle(ids);
      const size = prng.int(1, ids.length - 1);
      c.network.partition(shuffled.slice(0, size), shuffled.slice(size));
      break;
    }
    case 'isolate':
      c.network.isolate(prng.pick(ids));
      break;
    case 'isolate-leader':
      c.network.isolate(leader || prng.pick(ids));
      break;
    case 'one-way': {
      const a = prng.pick(ids);
      const b = prng.pick(ids.filter((x) => x !== a));
      c.network.cut(a, b);
      break;
    }
    case 'leader-deaf': {
      // The leader can still send but hears nobody: check-quorum must make it step down.
      const l = leader || prng.pick(ids);
      for (const x of ids) if (x !== l) c.network.cut(x, l);
      break;
    }
    case 'leader-mute': {
      const l = leader || prng.pick(ids);
      for (const x of ids) if (x !== l) c.network.cut(l, x);
      break;
    }
  }
  traceLine(c, `partition ${kind}: cut ${c.network.cuts().join(' ') || '(none)'}`);
}

function traceLine(c: SimCluster, line: string): void {
  c.traceEvent(line);
}

/** One chaos tick's worth of faults and client traffic. */
function chaosStep(c: SimCluster, f: FaultProfile, prng: Prng): void {
  const up = c.upIds();
  if (up.length > 0 && prng.chance(f.crashRate)) {
    const leader = c.leader();
    const victim = leader && prng.chance(0.5) ? leader : prng.pick(up);
    c.crash(victim, 'chaos');
  }
  for (const id of c.downIds()) if (prng.chance(f.restartRate)) c.restart(id);
  if (prng.chance(f.partitionRate)) injectPartition(c, prng);
  if (c.network.cuts().length > 0 && prng.chance(f.healRate)) {
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
    if (leader) {
      const to = prng.pick(c.ids.filter((x) => x !== leader));
      const term = c.status(leader)!.term;
      c.traceEvent(`transfer leadership ${leader} -> ${to} (timeoutNow)`);
      // As the leader's transport would: subject to partitions, drops and delays.
      c.network.send({ type: 'timeoutNow', from: leader, to, term }, c.now);
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
  const chaosTicks = options.chaosTicks ?? DEFAULT_CHAOS_TICKS;
  const c = new SimCluster({ ...clusterOptions, trace: options.trace ?? null, sabotage: options.sabotage ?? null });
  const faultPrng = root.fork('faults');
  const crashPrng = root.fork('mid-ready-crashes');
  const profile =
    `election=${clusterOptions.electionTicksMin}-${clusterOptions.electionTicksMax} hb=${clusterOptions.heartbeatTicks} ` +
    `inflight=${clusterOptions.maxInflight} batch=${clusterOptions.maxEntriesPerMessage} eager=${clusterOptions.eagerReadyRate} ` +
    `net=${JSON.stringify(clusterOptions.network)} faults=${JSON.stringify(faults)}`;
  c.traceEvent(`seed ${options.seed} nodes=${options.nodes} ${profile}`);
  c.restartKeepsApplied = () => faultPrng.chance(faults.keepAppliedRate);
  const diskPrng = root.fork('disk');
  if (faults.diskLatencyTicksMax > 0) c.diskLatency = () => diskPrng.int(0, faults.diskLatencyTicksMax);
  const clockPrng = root.fork('clocks');
  if (faults.skipTickRate > 0 || faults.doubleTickRate > 0) {
    c.tickMultiplier = () => (clockPrng.chance(faults.skipTickRate) ? 0 : clockPrng.chance(faults.doubleTickRate) ? 2 : 1);
  }

  let violation: InvariantViolation | null = null;
  let healTicks = 0;
  let proposals: ProposalOutcomes | null = null;
  try {
    c.crashHook = (_id, _point) => crashPrng.chance(faults.midReadyCrashRate);
    for (let t = 0; t < chaosTicks; t++) {
      chaosStep(c, faults, faultPrng);
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
    for (const id of c.ids) {
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
      const follower = c.ids.find((id) => id !== leader);
      if (follower !== undefined) reads.set(follower, c.readIndex(follower));
    }
    for (const [id, ctx] of reads) if (c.failedReads.has(ctx) && c.node(id).up) reads.set(id, c.readIndex(id));
    if (!finalApplied) return `final proposal at ${pending!.index}/${pending!.term} not applied yet`;
    const last = c.status(leader)!.lastLogIndex;
    for (const id of c.ids) if (c.node(id).store.applied !== last) return `node ${id} applied ${c.node(id).store.applied} of ${last}`;
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
  const len = c.appliedLog(c.ids[0]!).length;
  for (const id of c.ids) {
    if (c.appliedLog(id).length !== len) failLiveness(c, `node ${id} applied ${c.appliedLog(id).length} entries, node ${c.ids[0]} ${len}`);
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
  c.checker.fail('LIVENESS', `${why} [${statuses}]`);
}

/**
 * What became of every client batch. A command appended by a leader at (index, term) was
 * committed iff the entry applied at index has that term (log matching then makes it ours), and
 * dropped otherwise. Meaningful once the heal phase converged; before that it under-counts.
 */
function classifyProposals(c: SimCluster, strict: boolean): ProposalOutcomes {
  const out: ProposalOutcomes = { committed: 0, dropped: 0, forwarded: 0, forwardedApplied: 0, refused: 0 };
  const appliedCommands = new Set<string>();
  for (const e of c.appliedLog(c.ids[0]!)) if (e.kind === 'cmd') appliedCommands.add(String(e.data));
  for (const p of c.proposals) {
    const r = p.result;
    if (r.status === 'appended') {
      p.commands.forEach((cmd, k) => {
        const a = c.checker.appliedAt(r.index + k);
        if (a && a.term === r.term) {
          if (strict && a.key !== entryKey({ term: 0, index: 0, kind: 'cmd', data: cmd })) {
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
