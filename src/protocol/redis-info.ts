/**
 * INFO: the node's facts as Redis's INFO text, `# Section` headers and `field:value` lines ending
 * in CRLF, which redis-cli and client libraries parse (redis-cli looks for "\r\nredis_version:").
 */
import type { Role } from './raft-messages.js';
import { RAFTKV_VERSION, REDIS_VERSION } from './server-version.js';

/** What INFO reports; the node fills it from its raft status and state machine. */
export interface InfoFacts {
  nodeId: number;
  role: Role;
  term: number;
  /** 0 when unknown. */
  leader: number;
  /** The leader's client address `host:port`, when known. */
  leaderAddress?: string;
  commitIndex: number;
  lastApplied: number;
  lastLogIndex: number;
  /** Number of keys in the state machine (Keyspace section; omitted when absent or 0, as Redis does). */
  keys?: number;
  tcpPort?: number;
  uptimeSeconds?: number;
  connectedClients?: number;
  processId?: number;
  /** More sections or fields: `{raft: {pre_vote: 'yes'}, stats: {...}}`; names lower case. */
  extra?: Record<string, Record<string, string | number>>;
}

type InfoFields = Array<[string, string | number | undefined]>;

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
  const replication: InfoFields = [['role', f.role === 'leader' ? 'master' : 'slave']];
  if (f.role !== 'leader' && f.leaderAddress !== undefined) {
    const colon = f.leaderAddress.lastIndexOf(':');
    replication.push(
      ['master_host', colon === -1 ? f.leaderAddress : f.leaderAddress.slice(0, colon)],
      ['master_port', colon === -1 ? undefined : f.leaderAddress.slice(colon + 1)],
    );
  }
  if (f.role !== 'leader') replication.push(['master_link_status', f.leader !== 0 ? 'up' : 'down']);
  sections.set('replication', replication);
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
