/**
 * Turns cluster.json's millisecond settings into the core's ticks. The core counts time in ticks
 * (etcd's ElectionTick/HeartbeatTick); the node calls tick() every tickMs.
 */
import type { ClusterConfig } from '../protocol/cluster-config.js';

export interface Timing {
  tickMs: number;
  heartbeatTicks: number;
  electionTicksMin: number;
  electionTicksMax: number;
}

export function timingFromConfig(cfg: Pick<ClusterConfig, 'electionTimeoutMs' | 'heartbeatIntervalMs'>): Timing {
  // A tick of at most 10 ms keeps timeouts precise; a heartbeat is at least 2 ticks.
  const tickMs = Math.max(1, Math.min(10, Math.floor(cfg.heartbeatIntervalMs / 2)));
  const heartbeatTicks = Math.max(1, Math.round(cfg.heartbeatIntervalMs / tickMs));
  const electionTicksMin = Math.max(heartbeatTicks + 1, Math.round(cfg.electionTimeoutMs.min / tickMs));
  const electionTicksMax = Math.max(electionTicksMin, Math.round(cfg.electionTimeoutMs.max / tickMs));
  return { tickMs, heartbeatTicks, electionTicksMin, electionTicksMax };
}

/**
 * How long a member dropped from the membership keeps its peer connections (PeerTransport's
 * removedGraceMs). A configuration is in force once appended, but the removed node must still
 * get the log until its removal commits, then one more append carrying the commit index, to learn
 * that it was removed and stop campaigning. That takes a few heartbeats, or, when the leader fails
 * meanwhile, an election timeout to notice and up to another to elect the next one: four of the
 * longest cover it with room for a busy machine. Tied to the cluster's timing rather than fixed,
 * because a cluster with slow timeouts (WAN) needs longer and a fast one should not keep a
 * departed node's sockets for 10 s. Past it, a removed node that missed the news only sends
 * pre-votes, which members that hear their leader refuse: no safety rests on this number.
 */
export function removedMemberGraceMs(cfg: Pick<ClusterConfig, 'electionTimeoutMs'>): number {
  return 4 * cfg.electionTimeoutMs.max;
}
