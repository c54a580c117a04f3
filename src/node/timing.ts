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
