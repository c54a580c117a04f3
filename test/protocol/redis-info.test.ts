import t from 'tap';
import { renderInfo, type InfoFacts } from '../../src/protocol/redis-info.js';

const FACTS: InfoFacts = {
  nodeId: 2,
  role: 'follower',
  term: 3,
  leader: 1,
  leaderAddress: '127.0.0.1:7001',
  commitIndex: 42,
  lastApplied: 41,
  lastLogIndex: 43,
  keys: 5,
  tcpPort: 7002,
  extra: { raft: { pre_vote: 'yes' }, stats: { total_commands_processed: 9 } },
};

t.test('INFO text', async (t) => {
  const all = renderInfo(undefined, FACTS);
  t.ok(all.startsWith('# Server\r\nredis_version:7.0.0\r\n'));
  t.match(all, /\r\nredis_version:7\.0\.0\r\n/, 'redis-cli finds "\\nredis_version:"');
  t.match(all, /\r\n\r\n# Replication\r\nrole:slave\r\nmaster_host:127\.0\.0\.1\r\nmaster_port:7001\r\nmaster_link_status:up\r\n/);
  t.match(all, /# Raft\r\nraft_node_id:2\r\nraft_role:follower\r\nraft_term:3\r\nraft_leader:1\r\nraft_commit_index:42\r\nraft_last_applied:41\r\nraft_last_log_index:43\r\npre_vote:yes\r\n/);
  t.match(all, /# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n/);
  t.match(all, /# Stats\r\ntotal_commands_processed:9\r\n$/);
  t.notMatch(all, /connected_clients/, 'unknown facts are left out');
  t.equal(renderInfo('default', FACTS), all);
  t.equal(renderInfo('ALL', FACTS), all);
  const server = renderInfo('SERVER', FACTS);
  t.ok(server.startsWith('# Server\r\n'));
  t.notMatch(server, /# Raft/);
  t.match(renderInfo('server raft', FACTS), /^# Server\r\n[^#]*\r\n\r\n# Raft\r\n/);
  t.equal(renderInfo('nosuch', FACTS), '');
  const leader = renderInfo('replication', { ...FACTS, role: 'leader', leaderAddress: undefined, keys: 0 });
  t.equal(leader, '# Replication\r\nrole:master\r\n');
  t.match(renderInfo('keyspace', { ...FACTS, keys: 0 }), /^# Keyspace\r\n$/);
  t.match(renderInfo('replication', { ...FACTS, leader: 0, leaderAddress: undefined }), /master_link_status:down/);
});
