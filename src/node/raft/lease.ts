/**
 * Leader leases (Raft thesis §6.4.1; etcd's ReadOnlyLeaseBased): a leader that a majority heard
 * from recently serves linearizable reads from its commit index at once, with no heartbeat round.
 *
 * How a lease is earned. Every AppendEntries and heartbeat of a leader in lease mode carries
 * `sentTick`, the leader's clock (its own ticks) when it created the message; the follower echoes
 * it back. Per follower the leader keeps the highest tick echoed in its current term. Counting its
 * own clock, the quorum-th highest of these ticks is `start`: a majority heard from this leader at
 * or after its tick `start`. The lease is valid while `now < start + leaseTicks` (leader's clock),
 * and only once the leader's no-op of its term is committed (before that it does not know the
 * commit index, §8 / thesis §6.4).
 *
 * Why no other leader can commit while the lease is valid. A follower f that echoed `start`
 * handled that message - and reset its election timer, naming this leader - at some real time
 * r >= the leader's tick `start`. From then on f refuses (pre-)votes from any later term until it
 * has counted electionTicksMin ticks of ITS clock without hearing from a leader (check-quorum's
 * "leader lease" vote rejection in raft.ts inLease(); a follower also ignores timeoutNow in lease
 * mode, and a restarted node refuses votes for electionTicksMin ticks after it boots, since it may
 * have acked just before it crashed). A new leader needs votes from a majority, which includes
 * some such f; so it cannot exist before f counted electionTicksMin ticks after r.
 * Let the clocks tick with periods P_L (leader) and P_f (follower), and let every clock's rate be
 * within ±d = maxClockDrift of true time, so P_f >= P_L * (1 - d) / (1 + d). f votes no earlier
 * than r + (electionTicksMin - 1) * P_f (its first tick may come right after r). A read served
 * with the leader's clock below start + leaseTicks happens before real time
 * t(start) + leaseTicks * P_L. So the read precedes every vote of f, hence every later leader and
 * every write it commits, as long as
 *     leaseTicks * P_L <= (electionTicksMin - 1) * P_f,
 * which holds for leaseTicks = floor((electionTicksMin - 1) * (1 - d) / (1 + d)).
 *
 * What the driver must guarantee (src/node/raft/types.ts repeats it): every node's tick count
 * tracks real time - before handing the core any input, tick it for every tickMs elapsed on a
 * monotonic clock (a stalled event loop or a GC pause must not leave the leader's clock behind:
 * a slow leader clock stretches its lease in real time) - and every node of the cluster uses the
 * same electionTicksMin, readMode and maxClockDrift.
 */
import { assert } from './log.js';
import { quorumIndex } from './progress.js';

/** The longest safe lease, in the leader's ticks (see the argument above). */
export function leaseTicksFor(electionTicksMin: number, maxClockDrift: number): number {
  assert(maxClockDrift >= 0 && maxClockDrift < 1, `maxClockDrift must be in [0, 1), got ${maxClockDrift}`);
  return Math.floor(((electionTicksMin - 1) * (1 - maxClockDrift)) / (1 + maxClockDrift));
}

/**
 * Ticks of lease left at leader tick `now`, given each voter's latest echoed tick (the leader's
 * own entry is `now`): 0 when there is no lease.
 */
export function leaseTicksLeft(ackTicks: number[], now: number, leaseTicks: number): number {
  // The quorum-th highest tick: a majority (the leader included) heard from us at or after it.
  const start = quorumIndex(ackTicks);
  return Math.max(0, start + leaseTicks - now);
}
