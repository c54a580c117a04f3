/**
 * One run of the real-node simulator per seed (`npm run sim -- --mode real`): N nodes built from
 * the shipped RawNode + RaftDriver + ClientWaiters + KvStateMachine + snapshot code (sim-node.ts)
 * on simulated time, disks, snapshot files and network, with clients that behave like the client
 * library (sim-client.ts) and, on half the seeds, spare nodes and an operator changing the
 * membership (real-membership.ts).
 *
 * A run is a chaos phase (crashes with torn unsynced writes, also mid-snapshot, restarts, pauses,
 * partitions of every kind partitions.ts makes, loss, duplication, reordering, slow disks and
 * files, drifting clocks) and then a heal phase (every node up and running, the network whole) in
 * which every client must get an operation through (liveness). Throughout, the core mode's
 * InvariantChecker sees every message sent, durable hard state and node status. Then:
 *  - exactly-once: no state machine executed a session write (client, seq) twice;
 *  - state machine safety: every machine applied the same entry at each index;
 *  - linearizability of everything the clients saw, value level (test/lib/linearizability.ts);
 *  - no client got an error a well-formed request never deserves, no node hit a fatal error.
 *
 * Everything is a function of the seed (and the options): the same seed gives the same trace.
 */
import { checkLinearizability, type HistoryOp } from '../../lib/linearizability.js';
import { Prng } from '../../lib/prng.js';
import { SimNetwork } from '../network.js';
import { injectPartition } from '../partitions.js';
import { InvariantChecker, InvariantViolation } from '../invariants.js';
import { simBootstrap } from '../sim-membership.js';
import { drawMembershipProfile, MembershipChurn, type MembershipCounts } from './real-membership.js';
import { SimClient, type ClientLink } from './sim-client.js';
import { SimDisk } from './sim-disk.js';
import { SimSnapshotFs } from './sim-snapshot-fs.js';
import { SimNode, type RealSabotage } from './sim-node.js';
import { settle, SimScheduler } from './sim-scheduler.js';

export interface RealSeedOptions {
  seed: number;
  /** Node count; default drawn from the seed (3 or 5). */
  nodes?: number;
  /** Default drawn from the seed. */
  readMode?: 'readindex' | 'lease';
  /** Length of the chaos phase in simulated ms. */
  chaosMs?: number;
  sabotage?: RealSabotage | null;
  /** false: the bootstrap membership throughout (no spares, no changes). Default: churn on half the seeds. */
  membership?: boolean;
  trace?: ((line: string) => void) | null;
}

export interface RealViolation {
  kind: 'invariant' | 'linearizability' | 'exactly-once' | 'state-machine-safety' | 'liveness' | 'unexpected-error' | 'fatal' | 'crash';
  message: string;
}

export interface RealSeedResult {
  seed: number;
  nodes: number;
  readMode: 'readindex' | 'lease';
  violation: RealViolation | null;
  /** Client operations recorded and checked, by outcome. */
  ops: { total: number; ok: number; failed: number; unknown: number };
  /** The linearizability search ran out of steps on some key (neither pass nor fail). */
  inconclusive: boolean;
  crashes: number;
  pauses: number;
  /** Spare nodes, and membership requests sent / changes and transfers answered OK. */
  spares: number;
  membership: MembershipCounts;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  sessionWrites: number;
  /** Client sessions started afresh after SESSION_EXPIRED (a first write that never took effect). */
  sessionsRenewed: number;
  simMs: number;
  profile: string;
}

export const DEFAULT_CHAOS_MS = 2000;
const HEAL_MS = 1500;
/**
 * With membership churn clients may spend the first heal second on removed and not-yet-added
 * nodes (NO_LEADER, then backoff of up to most of a second each), as a real client configured
 * with every address would: they get longer to reach a member.
 */
const CHURN_HEAL_MS = 3000;
/** Faults are drawn every this many ms. */
const FAULT_STEP_MS = 10;
const LINEARIZABILITY_STEPS_PER_KEY = 300_000;

/** Node, network, disk and fault settings drawn per seed, so seeds differ in kind. */
function drawProfile(prng: Prng) {
  const tickMs = prng.pick([5, 10]);
  const electionTicksMin = prng.pick([10, 15, 20]);
  return {
    tickMs,
    electionTicksMin,
    electionTicksMax: electionTicksMin * 2,
    heartbeatTicks: prng.pick([2, 3]),
    pipelineDepth: prng.pick([1, 2]),
    network: {
      delayTicksMin: 1,
      delayTicksMax: prng.pick([2, 5, 10]),
      dropRate: prng.pick([0, 0.01, 0.05]),
      duplicateRate: prng.pick([0, 0.02, 0.1]),
      reorderRate: prng.pick([0, 0.05, 0.2]),
      reorderExtraTicksMax: 30,
    },
    diskLatencyMsMax: prng.pick([0, 1, 3, 8]),
    tornWriteRate: prng.pick([0, 0.5, 1]),
    crashRate: prng.pick([0, 0.002, 0.005, 0.01]),
    /** Per ms, for a node with an fsync under way: crash it (a torn tail, if torn writes are on). */
    midFsyncCrashRate: prng.pick([0, 0.002, 0.01]),
    restartRate: prng.pick([0.01, 0.05]),
    partitionRate: prng.pick([0, 0.002, 0.01]),
    healRate: prng.pick([0.01, 0.05]),
    /** Per fault step: stop a running node (the leader half the time); per step per paused node: resume it. */
    pauseRate: prng.pick([0, 0, 0.005, 0.02]),
    resumeRate: prng.pick([0.05, 0.2]),
    clients: prng.pick([2, 3, 5]),
    keys: prng.pick([1, 2, 3]),
    thinkMsMax: prng.pick([2, 10, 30]),
    // Low, so that most seeds compact their logs and lagging or restarted followers need InstallSnapshot.
    snapshotEvery: prng.pick([2, 4, 8, 30]),
    snapshotTrailing: prng.pick([0, 2, 10]),
    snapshotChunkBytes: prng.pick([64, 512, 1024 * 1024]),
    /** Each snapshot file operation takes [0, this] ms: crashes land in the middle of writes and installs. */
    fileLatencyMsMax: prng.pick([0, 1, 3]),
  };
}

export async function runRealSeed(o: RealSeedOptions): Promise<RealSeedResult> {
  const root = new Prng(o.seed);
  const prng = root.fork('real-node');
  const p = drawProfile(prng.fork('profile'));
  const nodes = o.nodes ?? prng.fork('nodes').pick([3, 5]);
  const readMode = o.readMode ?? prng.fork('read-mode').pick(['readindex', 'lease'] as const);
  const chaosMs = o.chaosMs ?? DEFAULT_CHAOS_MS;
  const churnProfile = o.membership === false ? null : drawMembershipProfile(root.fork('membership'));
  const healMs = churnProfile ? CHURN_HEAL_MS : HEAL_MS;
  const endMs = chaosMs + healMs;
  const faults = prng.fork('faults');
  const sched = new SimScheduler();
  const trace = o.trace ?? null;
  const say = (line: string): void => trace?.(`${String(sched.now).padStart(6)} ${line}`);
  const spares = churnProfile?.spares ?? 0;
  /** The bootstrap members, then the spares. */
  const members = Array.from({ length: nodes }, (_, i) => i + 1);
  const ids = Array.from({ length: nodes + spares }, (_, i) => i + 1);
  const net = new SimNetwork(ids, prng.fork('net'), p.network);
  if (trace) {
    net.listener = {
      dropped: (m, why) => say(`net drop ${m.type} ${m.from}->${m.to} (${why})`),
      duplicated: (m) => say(`net dup ${m.type} ${m.from}->${m.to}`),
    };
  }
  let violation: RealViolation | null = null;
  const fail = (v: RealViolation): void => {
    if (!violation) violation = v;
  };
  const maxClockDrift = 0.1;
  /** The entry first applied at each index, by any machine: every other must apply the same. */
  const appliedAt = new Map<number, { node: number; entry: string }>();
  const simNodes = ids.map(
    (id) =>
      new SimNode(
        {
          id,
          peers: id <= nodes ? members : [],
          tickMs: p.tickMs,
          electionTicksMin: p.electionTicksMin,
          electionTicksMax: p.electionTicksMax,
          heartbeatTicks: p.heartbeatTicks,
          readMode,
          maxClockDrift,
          // Within the bound the core is configured with, as the lease's safety assumes.
          clockRate: 1 + (prng.fork(`clock-${id}`).next() * 2 - 1) * maxClockDrift * 0.9,
          pipelineDepth: p.pipelineDepth,
          requestTimeoutMs: 1000,
          sabotage: o.sabotage ?? null,
          snapshotEvery: p.snapshotEvery,
          snapshotTrailing: p.snapshotTrailing,
          snapshotChunkBytes: p.snapshotChunkBytes,
          fileLatencyMsMax: p.fileLatencyMsMax,
        },
        sched,
        net,
        new SimDisk(prng.fork(`disk-${id}`), p.diskLatencyMsMax),
        new SimSnapshotFs(prng.fork(`files-${id}`)),
        prng.fork(`node-${id}`),
        (nodeId, line) => say(`n${nodeId} ${line}`),
        {
          doubleExecution: (client, seq, times, index) =>
            fail({ kind: 'exactly-once', message: `node ${id} executed write #${seq} of client ${client} ${times} times (the last at index ${index})` }),
          applying: (e) => {
            const seen = appliedAt.get(e.index);
            const mine = JSON.stringify(e);
            if (seen === undefined) appliedAt.set(e.index, { node: id, entry: mine });
            else if (seen.entry !== mine) fail({ kind: 'state-machine-safety', message: `index ${e.index}: node ${id} applied ${mine}, node ${seen.node} applied ${seen.entry}` });
          },
        },
        (nodeId, err) => fail({ kind: 'fatal', message: `node ${nodeId}: fatal storage error: ${err.message}` }),
      ),
  );
  // The core mode's checker, on what it can see of real nodes: every message sent (one leader per
  // term, well-formed messages), durable hard states (term and commit never back, one vote per
  // term), and each node's status (commit <= last log index, applied <= commit, one leader per term).
  const checker = new InvariantChecker(ids, new Map(), simBootstrap(members));
  const check = (observe: () => void): void => {
    try {
      observe();
    } catch (err) {
      if (!(err instanceof InvariantViolation)) throw err;
      fail({ kind: 'invariant', message: err.message });
    }
  };
  for (const n of simNodes) {
    n.onSent = (m) => check(() => checker.observeSent(n.cfg.id, m));
    n.disk.onDurableHardState = (prev, next) => check(() => checker.observeHardState(n.cfg.id, prev, next));
  }
  for (const n of simNodes) n.reachable = (to) => net.canSend(n.cfg.id, to) && simNodes[to - 1]!.up;
  const linkPrng = prng.fork('client-link');
  const linkDelay = (): number => linkPrng.int(1, 3);
  const link: ClientLink = (i, req, reply) => {
    sched.after(linkDelay(), () => simNodes[i]!.request(req, (err, value) => sched.after(linkDelay(), () => reply(err, value))));
  };
  const history: HistoryOp[] = [];
  const clients = Array.from(
    { length: p.clients },
    (_, i) =>
      new SimClient(i + 1, ids.length, Array.from({ length: p.keys }, (_, k) => `k${k}`), prng.fork(`client-${i + 1}`), { timeoutMs: 2000, attemptTimeoutMs: 600, thinkMsMax: p.thinkMsMax }, sched, link, history, {
        trace: say,
        unexpected: (message) => fail({ kind: 'unexpected-error', message }),
      }),
  );
  const profile = `tick=${p.tickMs}ms election=${p.electionTicksMin}-${p.electionTicksMax} hb=${p.heartbeatTicks} depth=${p.pipelineDepth} delay<=${p.network.delayTicksMax} drop=${p.network.dropRate} dup=${p.network.duplicateRate} reorder=${p.network.reorderRate} disk<=${p.diskLatencyMsMax}ms torn=${p.tornWriteRate} crash=${p.crashRate}+${p.midFsyncCrashRate} part=${p.partitionRate} pause=${p.pauseRate} clients=${p.clients} keys=${p.keys} snap=${p.snapshotEvery}/${p.snapshotTrailing}/${p.snapshotChunkBytes}B files<=${p.fileLatencyMsMax}ms`;
  const churn = churnProfile ? new MembershipChurn(simNodes, root.fork('operator'), sched, linkDelay, say) : null;
  say(`seed ${o.seed}: ${nodes} nodes${spares ? ` + ${spares} spares` : ''}, reads by ${readMode}${o.sabotage ? `, sabotage ${o.sabotage}` : ''}; ${profile}`);

  let crashes = 0;
  let pauses = 0;
  const crash = (n: SimNode): void => {
    crashes++;
    const lost = n.crash(faults.chance(p.tornWriteRate));
    say(`CRASH node ${n.cfg.id} (${lost.unsynced} unsynced records, ${lost.kept} kept)`);
  };
  const restart = (n: SimNode): void => {
    checker.observeRestart(n.cfg.id);
    n.start();
    say(`RESTART node ${n.cfg.id} (log of ${n.disk.lastIndex} entries)`);
  };
  const chaos = (): void => {
    const up = simNodes.filter((n) => n.up);
    if (up.length > 0 && faults.chance(p.crashRate)) {
      // The interesting cases first: a node with writes not yet synced (torn tails), the leader.
      const syncing = up.filter((n) => n.disk.unsynced > 0 || n.snapshotBusy);
      const leader = up.find((n) => n.driver?.soft.role === 'leader');
      const r = faults.next();
      crash(syncing.length > 0 && r < 0.4 ? faults.pick(syncing) : leader && r < 0.7 ? leader : faults.pick(up));
    }
    for (const n of simNodes) if (!n.up && faults.chance(p.restartRate)) restart(n);
    if (faults.chance(p.partitionRate)) {
      const leader = up.find((n) => n.driver?.soft.role === 'leader')?.cfg.id ?? 0;
      say(injectPartition(net, ids, leader, faults));
    }
    if (faults.chance(p.pauseRate)) {
      const running = simNodes.filter((n) => n.driver && !n.paused);
      const leader = running.find((n) => n.driver!.soft.role === 'leader');
      if (running.length > 0) {
        const victim = leader && faults.chance(0.5) ? leader : faults.pick(running);
        victim.pause();
        pauses++;
        say(`PAUSE node ${victim.cfg.id}`);
      }
    }
    for (const n of simNodes) {
      if (n.paused && faults.chance(p.resumeRate)) {
        n.resume();
        say(`RESUME node ${n.cfg.id}`);
      }
    }
    if (churn && faults.chance(churnProfile!.changeRate)) churn.step();
    if (net.cuts().length > 0 && faults.chance(p.healRate)) {
      net.heal();
      say('HEAL network');
    }
  };

  const onUnhandled = (err: unknown): void => fail({ kind: 'crash', message: `unhandled rejection: ${(err as Error)?.stack ?? String(err)}` });
  process.on('unhandledRejection', onUnhandled);
  try {
    for (const n of simNodes) n.start();
    for (const c of clients) c.start();
    for (let t = 1; t <= endMs && !violation; t++) {
      sched.now = t;
      checker.now = t;
      let busy = sched.fireDue();
      for (const m of net.due(t)) {
        const to = simNodes[m.to - 1];
        if (to?.up) {
          to.deliver(m);
          busy++;
        }
      }
      // Faults before this step's fsyncs complete: a crash then finds the writes of the step
      // before unsynced (what the WAL's torn-tail recovery exists for).
      if (t % FAULT_STEP_MS === 0) for (const n of simNodes) if (n.driver) check(() => checker.observeStatus(n.cfg.id, n.driver!.status()));
      if (t < chaosMs && t % FAULT_STEP_MS === 0) chaos();
      if (t < chaosMs) for (const n of simNodes) if (n.up && (n.disk.unsynced > 0 || n.snapshotBusy) && faults.chance(p.midFsyncCrashRate)) crash(n);
      // A paused process learns of its completed fsyncs when it runs again.
      for (const n of simNodes) if (!n.paused) busy += n.disk.syncDue(t);
      if (t === chaosMs) {
        net.heal();
        net.setOptions({ dropRate: 0, duplicateRate: 0, reorderRate: 0 });
        say('HEAL PHASE: network whole, every node up');
        for (const n of simNodes) if (!n.up) restart(n);
        for (const n of simNodes) if (n.paused) n.resume();
      }
      if (busy > 0 || sched.pendingDeferred > 0) await settle(sched);
    }
    for (const c of clients) c.stop();
  } catch (err) {
    fail({ kind: 'crash', message: `the node code threw: ${(err as Error)?.stack ?? String(err)}` });
  } finally {
    // Let a rejection from the last turn surface before the listener goes.
    await new Promise<void>((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
  }

  const ops = { total: history.length, ok: 0, failed: 0, unknown: 0 };
  for (const op of history) {
    if (op.ok === false) ops.failed++;
    else if (op.return === null) ops.unknown++;
    else ops.ok++;
  }
  if (!violation) {
    const stuck = clients.filter((c) => c.lastOkCallAt < chaosMs);
    if (stuck.length > 0) fail({ kind: 'liveness', message: `no operation of client ${stuck.map((c) => c.clientId).join(', ')} succeeded in the ${healMs} ms after healing` });
  }
  let inconclusive = false;
  if (!violation) {
    const r = checkLinearizability(history, { maxStepsPerKey: LINEARIZABILITY_STEPS_PER_KEY });
    if (r.ok === false) fail({ kind: 'linearizability', message: `the clients' history is not linearizable on key ${r.key}:\n${r.explanation}` });
    inconclusive = r.ok === undefined;
  }
  return {
    seed: o.seed,
    nodes,
    readMode,
    violation,
    ops,
    inconclusive,
    crashes,
    pauses,
    spares,
    membership: churn?.counts ?? { requests: 0, changes: 0, transfers: 0 },
    snapshotsTaken: simNodes.reduce((s, n) => s + n.snapshotsTaken, 0),
    snapshotsInstalled: simNodes.reduce((s, n) => s + n.snapshotsInstalled, 0),
    sessionWrites: simNodes.reduce((s, n) => s + n.sessionWrites, 0),
    sessionsRenewed: clients.reduce((s, c) => s + c.sessionsRenewed, 0),
    simMs: sched.now,
    profile,
  };
}

