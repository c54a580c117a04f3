/**
 * Gathers what INFO, RAFT.INFO and the metrics report about a running node, from the driver, the
 * peer transport, the fault layer, the WAL and the request counters, into the protocol layer's
 * InfoFacts (rendering lives in src/protocol/redis-info.ts and redis-raft-info.ts).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeAddress } from '../protocol/cluster-config.js';
import type { Membership } from '../protocol/raft-messages.js';
import type { InfoFacts, RaftPeerFacts, SnapshotFacts } from '../protocol/redis-info.js';
import type { NodeStats } from './node-stats.js';
import type { PeerFaults } from './peer-faults.js';
import type { PeerStats } from './peer-transport.js';
import type { RaftDriver } from './raft-driver.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { WalCounters } from './storage/wal.js';

export interface NodeFactsSources {
  me: NodeAddress;
  /** The members in force, with addresses. */
  nodes: readonly NodeAddress[];
  /** The membership in force: who votes and who learns. */
  membership: Membership;
  startedAt: number;
  walDir: string;
  driver: RaftDriver;
  sm: KvStateMachine;
  stats: NodeStats;
  faults: PeerFaults;
  peerStats: () => Record<string, PeerStats>;
  walCounters: () => WalCounters;
  connectedClients: () => number;
}

/** Bytes of the WAL segments on disk (read on demand: INFO is rare, appends are not). */
export function walSizeBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) if (/^wal-\d+\.log$/.test(name)) total += statSync(join(dir, name)).size;
  } catch {
    // The directory is the WAL's; if it cannot be read the size is simply unknown (0).
  }
  return total;
}

function snapshotFacts(driver: RaftDriver, lastApplied: number): { snapshots?: SnapshotFacts } {
  const st = driver.snapshotStats();
  if (!st) return {};
  return {
    snapshots: {
      changesSinceLastSave: lastApplied - (st.newest?.index ?? 0),
      inProgress: st.inProgress,
      lastSaveTime: st.lastSaveTime,
      lastStatus: st.lastStatus,
      lastDurationMs: st.lastDurationMs,
      index: st.newest?.index ?? 0,
      term: st.newest?.term ?? 0,
      bytes: st.lastBytes,
    },
  };
}

export function nodeFacts(src: NodeFactsSources): InfoFacts {
  const s = src.driver.status();
  const links = src.faults.links();
  const conn = src.peerStats();
  const raftPeers: RaftPeerFacts[] = src.nodes
    .filter((n) => n.id !== src.me.id)
    .map((n) => {
      const l = links[String(n.id)];
      const cut = l !== undefined && (l.dropTo || l.dropFrom);
      return {
        id: n.id,
        role: src.membership.learners.includes(n.id) ? 'learner' : 'voter',
        ...(s.progress?.[String(n.id)] ? { match: s.progress[String(n.id)]!.match } : {}),
        lastContactMs: l?.lastHeardMsAgo ?? null,
        link: cut ? 'cut' : conn[String(n.id)]?.connected ? 'up' : 'down',
      };
    });
  const wal = src.walCounters();
  const [p50, p99, p999, max] = src.stats.fsyncMs.percentiles([50, 99, 99.9, 100]);
  return {
    nodeId: s.id,
    role: s.role,
    term: s.term,
    vote: s.vote,
    leader: s.leader,
    commitIndex: s.commitIndex,
    lastApplied: s.lastApplied,
    firstIndex: s.firstIndex,
    lastLogIndex: s.lastLogIndex,
    lastLogTerm: s.lastLogTerm,
    keys: src.sm.size,
    tcpPort: src.me.port,
    peerPort: src.me.peerPort,
    uptimeSeconds: Math.floor((Date.now() - src.startedAt) / 1000),
    connectedClients: src.connectedClients(),
    processId: process.pid,
    nodes: src.nodes,
    voters: src.membership.voters,
    learners: src.membership.learners,
    peerLinks: conn,
    progress: s.progress,
    raftPeers,
    stats: {
      totalConnectionsReceived: src.stats.connectionsReceived,
      totalCommandsProcessed: src.stats.commandsProcessed,
      instantaneousOpsPerSec: src.stats.opsPerSecond,
      rejectedConnections: src.stats.rejectedConnections,
      totalErrorReplies: src.stats.errorReplies,
    },
    persistence: {
      walSizeBytes: walSizeBytes(src.walDir),
      walAppends: wal.appends,
      walFsyncs: wal.fsyncs,
      walBytesWritten: wal.bytes,
      fsyncP50Ms: p50!,
      fsyncP99Ms: p99!,
      fsyncP999Ms: p999!,
      fsyncMaxMs: max!,
      fsyncSamples: src.stats.fsyncMs.count,
      ...snapshotFacts(src.driver, s.lastApplied),
    },
  };
}
