/**
 * INFO: the node's facts as Redis's INFO text, `# Section` headers and `field:value` lines ending
 * in CRLF, which redis-cli and client libraries parse (redis-cli looks for "\r\nredis_version:").
 */
import type { Role } from './raft-messages.js';
import { RAFTKV_VERSION, REDIS_VERSION } from './server-version.js';

/** Where a node takes client requests, as cluster.json says. */
export interface NodeClientAddress {
  id: number;
  host: string;
  port: number;
  peerPort?: number;
}

/** What INFO reports; the node fills it from its raft status and state machine. */
export interface InfoFacts {
  nodeId: number;
  role: Role;
  term: number;
  /** 0 when unknown. */
  leader: number;
  commitIndex: number;
  lastApplied: number;
  lastLogIndex: number;
  /** Number of keys in the state machine (Keyspace section; omitted when absent or 0, as Redis does). */
  keys?: number;
  tcpPort?: number;
  uptimeSeconds?: number;
  connectedClients?: number;
  processId?: number;
  /** Every node's client address (cluster.json): how the Replication section names the leader and followers. */
  nodes?: readonly NodeClientAddress[];
  /** Per peer id: whether this node's connection to that peer is up (the peer transport's stats). */
  peerLinks?: Readonly<Record<string, { connected: boolean }>>;
  /** Leader only: replication progress per node id, its own included (the core's status). */
  progress?: Readonly<Record<string, { state: 'probe' | 'replicate' | 'snapshot'; match: number }>>;
  peerPort?: number;
  vote?: number;
  firstIndex?: number;
  lastLogTerm?: number;
  /** Per peer: replication match (leader only), last contact and link state (raft section). */
  raftPeers?: readonly RaftPeerFacts[];
  /** The membership in force: voting members and learners (raft section, RAFT.INFO). */
  voters?: readonly number[];
  learners?: readonly number[];
  stats?: StatsFacts;
  persistence?: PersistenceFacts;
  /** More sections or fields: `{raft: {pre_vote: 'yes'}, stats: {...}}`; names lower case. */
  extra?: Record<string, Record<string, string | number>>;
}

export interface RaftPeerFacts {
  id: number;
  /** Absent: voter (facts from before learners existed). */
  role?: 'voter' | 'learner';
  /** Leader only: the peer's matched log index. */
  match?: number;
  /** Milliseconds since a message from the peer reached the core; null = never. */
  lastContactMs: number | null;
  /** 'up' (connected), 'down' (no connection), 'cut' (a fault injected by the supervisor). */
  link: 'up' | 'down' | 'cut';
}

export interface StatsFacts {
  totalConnectionsReceived: number;
  totalCommandsProcessed: number;
  instantaneousOpsPerSec: number;
  rejectedConnections: number;
  totalErrorReplies: number;
}

export interface PersistenceFacts {
  walSizeBytes: number;
  walAppends: number;
  walFsyncs: number;
  walBytesWritten: number;
  /** Write+fdatasync of a group commit, over the most recent samples, in ms; null before any. */
  fsyncP50Ms: number | null;
  fsyncP99Ms: number | null;
  fsyncP999Ms: number | null;
  fsyncMaxMs: number | null;
  fsyncSamples: number;
  /** Snapshots, our RDB files (absent on a node without them). */
  snapshots?: SnapshotFacts;
}

export interface SnapshotFacts {
  /** Entries applied since the newest snapshot. */
  changesSinceLastSave: number;
  inProgress: boolean;
  /** ms since the epoch of the last snapshot taken this run; 0 = none. */
  lastSaveTime: number;
  lastStatus: 'ok' | 'err';
  lastDurationMs: number;
  /** The newest snapshot on disk (0/0: none) and its size when this run took it (0: unknown). */
  index: number;
  term: number;
  bytes: number;
}

/** Redis's RDB fields where they mean something here: a snapshot is our RDB file. */
function snapshotFields(s: SnapshotFacts | undefined): InfoFields {
  if (!s) return [];
  return [
    ['rdb_changes_since_last_save', s.changesSinceLastSave],
    ['rdb_bgsave_in_progress', s.inProgress ? 1 : 0],
    ['rdb_last_save_time', Math.floor(s.lastSaveTime / 1000)],
    ['rdb_last_bgsave_status', s.lastStatus],
    ['rdb_last_bgsave_time_sec', s.lastSaveTime ? Math.round(s.lastDurationMs / 1000) : -1],
    ['raftkv_snapshot_index', s.index],
    ['raftkv_snapshot_term', s.term],
    ['raftkv_snapshot_bytes', s.bytes],
  ];
}

export type InfoFields = Array<[string, string | number | undefined]>;

const ms3 = (x: number | null) => (x === null ? undefined : x.toFixed(3));

/** The write-ahead log plays Redis's AOF with `appendfsync always`; RDB fields come with snapshots. */
function persistenceFields(p: PersistenceFacts | undefined): InfoFields {
  if (!p) return [];
  return [
    ['loading', 0],
    ['aof_enabled', 1],
    ['wal_size_bytes', p.walSizeBytes],
    ['wal_appends', p.walAppends],
    ['wal_fsyncs', p.walFsyncs],
    ['wal_bytes_written', p.walBytesWritten],
    ['wal_fsync_samples', p.fsyncSamples],
    ['wal_fsync_p50_ms', ms3(p.fsyncP50Ms)],
    ['wal_fsync_p99_ms', ms3(p.fsyncP99Ms)],
    ['wal_fsync_p999_ms', ms3(p.fsyncP999Ms)],
    ['wal_fsync_max_ms', ms3(p.fsyncMaxMs)],
    ...snapshotFields(p.snapshots),
  ];
}

function statsFields(s: StatsFacts | undefined): InfoFields {
  if (!s) return [];
  return [
    ['total_connections_received', s.totalConnectionsReceived],
    ['total_commands_processed', s.totalCommandsProcessed],
    ['instantaneous_ops_per_sec', s.instantaneousOpsPerSec],
    ['rejected_connections', s.rejectedConnections],
    ['total_error_replies', s.totalErrorReplies],
  ];
}

/** `raft_peerK:id=2,match=41,last_contact_ms=12,link=up`, one per peer in id order. */
function raftPeerFields(peers: readonly RaftPeerFacts[] | undefined): InfoFields {
  return (peers ?? []).map((p, k): [string, string] => [
    `raft_peer${k}`,
    `id=${p.id},role=${p.role ?? 'voter'}${p.match !== undefined ? `,match=${p.match}` : ''},last_contact_ms=${p.lastContactMs ?? -1},link=${p.link}`,
  ]);
}

/**
 * Redis's Replication section with the leader as master and followers as its replicas.
 * Leader: `connected_slaves:N` and a `slaveK:ip=..,port=..,state=..,offset=..` line per follower
 * whose peer link is up, `state=online` once the leader knows where its log matches (replicate),
 * `state=probe` while it is still searching, `state=send_bulk` while a snapshot streams to it (as Redis's
 * full sync); offset is the follower's matched log index. (Raft's
 * "heard from recently" flag is cleared every election timeout, so counting by it would flicker.)
 * Follower (or candidate): the leader's client address and `master_link_status:up` while a leader
 * is known and the link to it is up; no master_host/master_port while no leader is known.
 */
function replicationFields(f: InfoFacts): InfoFields {
  const address = (id: number) => f.nodes?.find((n) => n.id === id);
  const linkUp = (id: number) => f.peerLinks?.[String(id)]?.connected === true;
  if (f.role === 'leader') {
    const replicas = Object.entries(f.progress ?? {})
      .flatMap(([id, pr]) => {
        const node = address(Number(id));
        return node !== undefined && node.id !== f.nodeId && linkUp(node.id) ? [{ node, pr }] : [];
      })
      .sort((a, b) => a.node.id - b.node.id);
    return [
      ['role', 'master'],
      ['connected_slaves', replicas.length],
      ...replicas.map(({ node, pr }, k): [string, string] => [
        `slave${k}`,
        `ip=${node.host},port=${node.port},state=${pr.state === 'replicate' ? 'online' : pr.state === 'snapshot' ? 'send_bulk' : 'probe'},offset=${pr.match}`,
      ]),
    ];
  }
  const leader = f.leader !== 0 ? address(f.leader) : undefined;
  return [
    ['role', 'slave'],
    ['master_host', leader?.host],
    ['master_port', leader?.port],
    ['master_link_status', leader !== undefined && linkUp(leader.id) ? 'up' : 'down'],
    ['connected_slaves', 0],
  ];
}

function infoSections(f: InfoFacts): Map<string, InfoFields> {
  const sections = new Map<string, InfoFields>();
  sections.set('server', [
    ['redis_version', REDIS_VERSION],
    ['raftkv_version', RAFTKV_VERSION],
    ['redis_mode', 'standalone'],
    ['arch_bits', 64],
    ['process_id', f.processId],
    ['tcp_port', f.tcpPort],
    ['raft_peer_port', f.peerPort],
    ['uptime_in_seconds', f.uptimeSeconds],
    ['uptime_in_days', f.uptimeSeconds === undefined ? undefined : Math.floor(f.uptimeSeconds / 86400)],
  ]);
  sections.set('clients', [
    ['connected_clients', f.connectedClients],
    ['blocked_clients', f.connectedClients === undefined ? undefined : 0],
  ]);
  sections.set('persistence', persistenceFields(f.persistence));
  sections.set('stats', statsFields(f.stats));
  sections.set('replication', replicationFields(f));
  sections.set('raft', [
    ['raft_node_id', f.nodeId],
    ['raft_role', f.role],
    ['raft_term', f.term],
    ['raft_voted_for', f.vote],
    ['raft_leader', f.leader],
    ['raft_commit_index', f.commitIndex],
    ['raft_last_applied', f.lastApplied],
    ['raft_first_index', f.firstIndex],
    ['raft_snapshot_index', f.persistence?.snapshots?.index],
    ['raft_last_log_index', f.lastLogIndex],
    ['raft_last_log_term', f.lastLogTerm],
    ['raft_num_peers', f.raftPeers?.length],
    ['raft_voters', f.voters?.join(',')],
    ['raft_learners', f.learners === undefined ? undefined : f.learners.join(',')],
    ...raftPeerFields(f.raftPeers),
  ]);
  sections.set('keyspace', f.keys ? [['db0', `keys=${f.keys},expires=0,avg_ttl=0`]] : []);
  for (const [name, fields] of Object.entries(f.extra ?? {})) {
    const key = name.toLowerCase();
    const list = sections.get(key) ?? [];
    list.push(...Object.entries(fields));
    sections.set(key, list);
  }
  return sections;
}

/**
 * Redis INFO text: `# Server\r\nredis_version:7.0.0\r\n...`, sections separated by an empty line.
 * `section`: blank-separated names, case-insensitive; absent, `default`, `all` or `everything`
 * means every section. Unknown names contribute nothing (Redis replies an empty bulk for them).
 */
export function renderInfo(section: string | undefined, facts: InfoFacts): string {
  const sections = infoSections(facts);
  const asked = (section ?? '').toLowerCase().split(/\s+/).filter((s) => s.length > 0);
  const everything = asked.length === 0 || asked.some((s) => s === 'default' || s === 'all' || s === 'everything');
  const chosen = everything ? [...sections.keys()] : [...sections.keys()].filter((s) => asked.includes(s));
  return renderSections(chosen.map((name) => [name, sections.get(name)!]));
}

/** Sections in Redis's INFO layout; fields whose value is undefined are left out. */
export function renderSections(sections: ReadonlyArray<readonly [string, InfoFields]>): string {
  const parts: string[] = [];
  for (const [name, fields] of sections) {
    let text = `# ${name[0]!.toUpperCase()}${name.slice(1)}\r\n`;
    for (const [field, value] of fields) {
      // Values are one-line by contract; strip CR/LF so a stray one cannot break the format.
      if (value !== undefined) text += `${field}:${String(value).replace(/[\r\n]/g, ' ')}\r\n`;
    }
    parts.push(text);
  }
  return parts.join('\r\n');
}
