import t from 'tap';
import { renderInfo, type InfoFacts } from '../../src/protocol/redis-info.js';
import { renderRaftInfo } from '../../src/protocol/redis-raft-info.js';
import { parseInfo } from '../lib/parse-info.js';

const NODES = [
  { id: 1, host: '127.0.0.1', port: 7001 },
  { id: 2, host: '127.0.0.1', port: 7002 },
  { id: 3, host: '10.0.0.3', port: 7003 },
];

/** Node 2, a follower of node 1 with its link to node 1 up. */
const FACTS: InfoFacts = {
  nodeId: 2,
  role: 'follower',
  term: 3,
  leader: 1,
  commitIndex: 42,
  lastApplied: 41,
  lastLogIndex: 43,
  keys: 5,
  tcpPort: 7002,
  nodes: NODES,
  peerLinks: { '1': { connected: true }, '3': { connected: true } },
  extra: { raft: { pre_vote: 'yes' }, stats: { total_commands_processed: 9 } },
};

/** Node 1 leading: node 2 replicating, node 3 still probed for where its log matches. */
const LEADER: InfoFacts = {
  ...FACTS,
  nodeId: 1,
  role: 'leader',
  tcpPort: 7001,
  peerLinks: { '2': { connected: true }, '3': { connected: true } },
  progress: {
    '1': { state: 'replicate', match: 43 },
    '2': { state: 'replicate', match: 42 },
    '3': { state: 'probe', match: 0 },
  },
};

t.test('INFO text', async (t) => {
  const all = renderInfo(undefined, FACTS);
  t.ok(all.startsWith('# Server\r\nredis_version:7.0.0\r\n'));
  t.match(all, /\r\nredis_version:7\.0\.0\r\n/, 'redis-cli finds "\\nredis_version:"');
  t.match(all, /\r\n\r\n# Replication\r\nrole:slave\r\nmaster_host:127\.0\.0\.1\r\nmaster_port:7001\r\nmaster_link_status:up\r\n/);
  t.match(all, /# Raft\r\nraft_node_id:2\r\nraft_role:follower\r\nraft_term:3\r\nraft_leader:1\r\nraft_commit_index:42\r\nraft_last_applied:41\r\nraft_last_log_index:43\r\npre_vote:yes\r\n/);
  t.match(all, /# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n/);
  t.match(all, /# Stats\r\ntotal_commands_processed:9\r\n\r\n# Replication\r\n/, 'stats in Redis\'s order, before replication');
  t.notMatch(all, /connected_clients/, 'unknown facts are left out');
  t.same([...parseInfo(all).keys()], ['server', 'clients', 'persistence', 'stats', 'replication', 'raft', 'keyspace'], 'every section parses');
  t.equal(renderInfo('default', FACTS), all);
  t.equal(renderInfo('ALL', FACTS), all);
  const server = renderInfo('SERVER', FACTS);
  t.ok(server.startsWith('# Server\r\n'));
  t.notMatch(server, /# Raft/);
  t.match(renderInfo('server raft', FACTS), /^# Server\r\n[^#]*\r\n\r\n# Raft\r\n/);
  t.equal(renderInfo('nosuch', FACTS), '');
  t.match(renderInfo('keyspace', { ...FACTS, keys: 0 }), /^# Keyspace\r\n$/);
});

t.test('INFO replication on a follower: the leader as master, by its client address', async (t) => {
  t.equal(
    renderInfo('replication', FACTS),
    '# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7001\r\nmaster_link_status:up\r\nconnected_slaves:0\r\n',
  );
  const linkDown = renderInfo('replication', { ...FACTS, peerLinks: { '1': { connected: false }, '3': { connected: true } } });
  t.equal(
    linkDown,
    '# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7001\r\nmaster_link_status:down\r\nconnected_slaves:0\r\n',
    'a known leader whose link is down: its address, link down',
  );
  t.match(renderInfo('replication', { ...FACTS, leader: 3 }), /\r\nmaster_host:10\.0\.0\.3\r\nmaster_port:7003\r\nmaster_link_status:up\r\n/, 'host and port are the leader\'s, not this node\'s');
  for (const role of ['follower', 'pre-candidate', 'candidate'] as const) {
    t.equal(
      renderInfo('replication', { ...FACTS, role, leader: 0 }),
      '# Replication\r\nrole:slave\r\nmaster_link_status:down\r\nconnected_slaves:0\r\n',
      `${role} with no known leader: no master address, link down`,
    );
  }
  t.match(renderInfo('replication', { ...FACTS, peerLinks: undefined }), /master_link_status:down/, 'link state unknown: not claimed up');
});

t.test('INFO replication on the leader: a slave line per follower whose link is up', async (t) => {
  t.equal(
    renderInfo('replication', LEADER),
    '# Replication\r\nrole:master\r\nconnected_slaves:2\r\n' +
      'slave0:ip=127.0.0.1,port=7002,state=online,offset=42\r\n' +
      'slave1:ip=10.0.0.3,port=7003,state=probe,offset=0\r\n',
  );
  t.equal(
    renderInfo('replication', { ...LEADER, peerLinks: { '2': { connected: true }, '3': { connected: false } } }),
    '# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=7002,state=online,offset=42\r\n',
    'a follower whose link is down is not listed',
  );
  t.equal(renderInfo('replication', { ...LEADER, progress: undefined }), '# Replication\r\nrole:master\r\nconnected_slaves:0\r\n', 'no progress known: no slaves');
  t.equal(renderInfo('replication', { ...LEADER, nodes: undefined }), '# Replication\r\nrole:master\r\nconnected_slaves:0\r\n', 'no addresses known: nothing to list');
  const parsed = parseInfo(renderInfo(undefined, LEADER)).get('replication');
  t.equal(parsed?.get('slave1'), 'ip=10.0.0.3,port=7003,state=probe,offset=0', 'slave lines parse as field:value');
  t.equal(parseInfo(renderInfo(undefined, LEADER)).get('raft')?.get('raft_role'), 'leader', 'raftkv fields stay');
});

t.test('the INFO parser the tests share refuses what redis-cli would misread', async (t) => {
  t.same(parseInfo('# A\r\nx:1\r\n\r\n# B\r\ny:a:b\r\n'), new Map([['a', new Map([['x', '1']])], ['b', new Map([['y', 'a:b']])]]));
  t.throws(() => parseInfo('# A\nx:1\n'), /does not end with CRLF|bare CR or LF/);
  t.throws(() => parseInfo('# A\r\nx:1\nz:2\r\n'), /bare CR or LF/);
  t.throws(() => parseInfo('# A\r\nx 1\r\n'), /not an INFO line/);
  t.throws(() => parseInfo('x:1\r\n'), /not an INFO line/, 'a field before any section');
  t.throws(() => parseInfo('# A\r\nx:1\r\n# B\r\n'), /no empty line/);
});

t.test('INFO stats, persistence and the raft peers; RAFT.INFO', async (t) => {
  const full: InfoFacts = {
    ...LEADER,
    extra: undefined,
    vote: 1,
    firstIndex: 1,
    lastLogTerm: 3,
    peerPort: 7101,
    uptimeSeconds: 90000,
    connectedClients: 2,
    raftPeers: [
      { id: 2, match: 42, lastContactMs: 12, link: 'up' },
      { id: 3, match: 0, lastContactMs: null, link: 'cut' },
    ],
    stats: { totalConnectionsReceived: 4, totalCommandsProcessed: 100, instantaneousOpsPerSec: 7, rejectedConnections: 0, totalErrorReplies: 1 },
    persistence: { walSizeBytes: 4096, walAppends: 10, walFsyncs: 9, walBytesWritten: 4000, fsyncP50Ms: 0.21, fsyncP99Ms: 1.5, fsyncP999Ms: 2, fsyncMaxMs: 2, fsyncSamples: 9 },
  };
  const info = parseInfo(renderInfo('all', full));
  t.equal(info.get('server')!.get('uptime_in_days'), '1');
  t.equal(info.get('server')!.get('raft_peer_port'), '7101');
  t.equal(info.get('stats')!.get('total_commands_processed'), '100');
  t.equal(info.get('stats')!.get('instantaneous_ops_per_sec'), '7');
  t.equal(info.get('stats')!.get('rejected_connections'), '0');
  t.equal(info.get('persistence')!.get('wal_size_bytes'), '4096');
  t.equal(info.get('persistence')!.get('wal_fsync_p50_ms'), '0.210');
  t.equal(info.get('persistence')!.get('wal_fsync_p99_ms'), '1.500');
  t.equal(info.get('raft')!.get('raft_num_peers'), '2');
  t.equal(info.get('raft')!.get('raft_peer0'), 'id=2,role=voter,match=42,last_contact_ms=12,link=up');
  t.equal(info.get('raft')!.get('raft_peer1'), 'id=3,role=voter,match=0,last_contact_ms=-1,link=cut');
  t.equal(info.get('raft')!.get('raft_first_index'), '1');
  t.same([...parseInfo(renderInfo('persistence', { ...full, persistence: { ...full.persistence!, fsyncP50Ms: null } })).get('persistence')!.keys()].includes('wal_fsync_p50_ms'), false, 'no samples, no percentile');

  const raft = parseInfo(renderRaftInfo(full));
  t.same([...raft.keys()], ['raft', 'log']);
  t.equal(raft.get('raft')!.get('role'), 'leader');
  t.equal(raft.get('raft')!.get('leader_id'), '1');
  t.equal(raft.get('raft')!.get('num_nodes'), '3');
  t.equal(raft.get('raft')!.get('node0'), 'id=2,state=connected,voting=yes,role=voter,addr=127.0.0.1,port=7002,match_index=42,last_contact_ms=12');
  t.equal(raft.get('raft')!.get('node1'), 'id=3,state=cut,voting=yes,role=voter,addr=10.0.0.3,port=7003,match_index=0,last_contact_ms=-1');
  t.equal(raft.get('log')!.get('log_entries'), '43');
  t.equal(raft.get('log')!.get('commit_index'), '42');
  t.equal(raft.get('log')!.get('file_size'), '4096');
  t.equal(parseInfo(renderRaftInfo({ ...full, leader: 0 })).get('raft')!.get('leader_id'), '-1', 'no leader known: -1 as Redis-Raft');
});
