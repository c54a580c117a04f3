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
  /** Snapshots (our RDB files) and the WAL (our AOF). */
  persistence?: {
    changesSinceLastSave: number;
    inProgress: boolean;
    /** ms since the epoch; 0 = none since start. */
    lastSaveTime: number;
    lastStatus: 'ok' | 'err';
    lastDurationMs: number;
    snapshotIndex: number;
    snapshotTerm: number;
    snapshotBytes: number;
    walBytes: number;
  };
  /** More sections or fields: `{raft: {pre_vote: 'yes'}, stats: {...}}`; names lower case. */
  extra?: Record<string, Record<string, string | number>>;
}

type InfoFields = Array<[string, string | number | undefined]>;

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
    ['uptime_in_seconds', f.uptimeSeconds],
  ]);
  sections.set('clients', [['connected_clients', f.connectedClients]]);
  const p = f.persistence;
  if (p) {
    // Redis's RDB fields where they mean something here: a snapshot is our RDB file.
    sections.set('persistence', [
      ['loading', 0],
      ['rdb_changes_since_last_save', p.changesSinceLastSave],
      ['rdb_bgsave_in_progress', p.inProgress ? 1 : 0],
      ['rdb_last_save_time', Math.floor(p.lastSaveTime / 1000)],
      ['rdb_last_bgsave_status', p.lastStatus],
      ['rdb_last_bgsave_time_sec', p.lastSaveTime ? Math.round(p.lastDurationMs / 1000) : -1],
      ['rdb_last_cow_size', 0],
      ['aof_enabled', 1],
      ['raftkv_snapshot_index', p.snapshotIndex],
      ['raftkv_snapshot_term', p.snapshotTerm],
      ['raftkv_snapshot_bytes', p.snapshotBytes],
      ['raftkv_wal_bytes', p.walBytes],
    ]);
  }
  sections.set('replication', replicationFields(f));
  sections.set('raft', [
    ['raft_node_id', f.nodeId],
    ['raft_role', f.role],
    ['raft_term', f.term],
    ['raft_leader', f.leader],
    ['raft_commit_index', f.commitIndex],
    ['raft_last_applied', f.lastApplied],
    ['raft_last_log_index', f.lastLogIndex],
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
  const parts: string[] = [];
  for (const name of chosen) {
    let text = `# ${name[0]!.toUpperCase()}${name.slice(1)}\r\n`;
    for (const [field, value] of sections.get(name)!) {
      // Values are one-line by contract; strip CR/LF so a stray one cannot break the format.
      if (value !== undefined) text += `${field}:${String(value).replace(/[\r\n]/g, ' ')}\r\n`;
    }
    parts.push(text);
  }
  return parts.join('\r\n');
}
