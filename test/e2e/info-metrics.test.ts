/**
 * INFO, INFO <section>, INFO all and RAFT.INFO read with the real `redis-cli` from a real 3-node
 * cluster, and the Prometheus endpoint of a node with `metricsPort` scraped over HTTP.
 * `.ci/run` installs redis-tools; without redis-cli this test fails and says so.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { findFreePorts } from '../../src/cluster/free-ports.js';
import { parseInfo } from '../lib/parse-info.js';
import { waitFor } from '../lib/wait-for.js';
import { startSupervised } from './supervised.js';

function redisCli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  // redis-cli prints a bulk string as is, with its CRLFs, plus a newline of its own.
  return r.stdout.endsWith('\r\n\n') ? r.stdout.slice(0, -1) : r.stdout;
}

t.test('INFO sections and RAFT.INFO through redis-cli; metrics scraped over HTTP', async (t) => {
  t.ok(spawnSync('sh', ['-c', 'command -v redis-cli']).status === 0, 'redis-cli is installed (apt-get install redis-tools)');
  const metricsPorts = await findFreePorts(3);
  const c = await startSupervised(t, { edit: (cfg) => ({ ...cfg, nodes: cfg.nodes.map((n, i) => ({ ...n, metricsPort: metricsPorts[i]! })) }) });
  const leader = await c.waitForLeader();
  const follower = c.cfg.nodes.find((n) => n.id !== leader)!.id;
  for (let i = 0; i < 20; i++) t.equal(redisCli(c.port(leader), 'SET', `k${i}`, 'v').trim(), 'OK', `SET k${i} through redis-cli`);
  t.equal(redisCli(c.port(leader), 'GET', 'nosuch').trim(), '', 'a miss');

  const all = parseInfo(redisCli(c.port(leader), 'INFO'));
  t.same([...all.keys()], ['server', 'clients', 'persistence', 'stats', 'replication', 'raft', 'keyspace'], 'INFO: every section, in order');
  t.same([...parseInfo(redisCli(c.port(leader), 'INFO', 'all')).keys()], [...all.keys()], 'INFO all: the same sections');
  t.equal(all.get('server')!.get('tcp_port'), String(c.port(leader)));
  t.match(all.get('server')!.get('process_id')!, /^\d+$/);
  t.ok(Number(all.get('stats')!.get('total_commands_processed')) >= 21, 'commands counted');
  t.ok(Number(all.get('stats')!.get('total_connections_received')) >= 21, 'connections counted');
  t.equal(all.get('replication')!.get('role'), 'master');
  const persistence = parseInfo(redisCli(c.port(leader), 'INFO', 'persistence'));
  t.same([...persistence.keys()], ['persistence'], 'INFO persistence: that section only');
  const p = persistence.get('persistence')!;
  t.ok(Number(p.get('wal_size_bytes')) > 0, `WAL size ${p.get('wal_size_bytes')} bytes`);
  t.ok(Number(p.get('wal_fsyncs')) >= 20, 'fsyncs counted');
  const [p50, p99] = [Number(p.get('wal_fsync_p50_ms')), Number(p.get('wal_fsync_p99_ms'))];
  t.ok(p50 > 0 && p99 >= p50, `fsync p50 ${p50} ms <= p99 ${p99} ms`);
  const raft = parseInfo(redisCli(c.port(leader), 'INFO', 'raft')).get('raft')!;
  t.equal(raft.get('raft_role'), 'leader');
  t.equal(raft.get('raft_num_peers'), '2');
  t.match(raft.get('raft_peer0')!, /^id=\d+,role=voter,match=\d+,last_contact_ms=\d+,link=up$/, 'per-peer match index and last contact');
  const fraft = parseInfo(redisCli(c.port(follower), 'INFO', 'RAFT')).get('raft')!;
  t.equal(fraft.get('raft_leader'), String(leader), 'a follower names the leader');
  t.match(fraft.get(`raft_peer${c.cfg.nodes.filter((n) => n.id !== follower).findIndex((n) => n.id === leader)}`)!, /^id=\d+,role=voter,last_contact_ms=\d+,link=up$/, 'a follower hears the leader');

  const ri = parseInfo(redisCli(c.port(follower), 'RAFT.INFO'));
  t.same([...ri.keys()], ['raft', 'log'], 'RAFT.INFO: Raft and Log');
  t.equal(ri.get('raft')!.get('node_id'), String(follower));
  t.equal(ri.get('raft')!.get('leader_id'), String(leader));
  t.equal(ri.get('raft')!.get('num_nodes'), '3');
  const leaderLine = [...ri.get('raft')!.entries()].find(([k, v]) => /^node\d+$/.test(k) && v.startsWith(`id=${leader},`))?.[1];
  t.match(leaderLine ?? '', new RegExp(`^id=${leader},state=connected,voting=yes,role=voter,addr=127\\.0\\.0\\.1,port=${c.port(leader)},peer_port=\\d+,last_contact_ms=\\d+$`), 'the leader\'s line: connected, heard recently');
  t.ok(Number(ri.get('log')!.get('commit_index')) >= 21);

  // ---- Prometheus
  const port = metricsPorts[c.cfg.nodes.findIndex((n) => n.id === leader)]!;
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1]);
  t.ok(value(/^raftkv_raft_term (\d+)$/m) >= 1, 'raftkv_raft_term');
  t.ok(value(/^raftkv_raft_commit_index (\d+)$/m) >= 21, 'raftkv_raft_commit_index');
  t.equal(value(/^raftkv_raft_is_leader (\d+)$/m), 1, 'raftkv_raft_is_leader');
  t.equal(value(/^raftkv_raft_role\{role="leader"\} (\d+)$/m), 1, 'raftkv_raft_role{role}');
  t.ok(value(/^raftkv_requests_total\{op="set",result="ok"\} (\d+)$/m) >= 20, 'raftkv_requests_total{op,result}');
  t.ok(value(/^raftkv_request_duration_seconds_count\{op="set"\} (\d+)$/m) >= 20, 'request duration histogram');
  t.ok(value(/^raftkv_wal_fsync_duration_seconds_count (\d+)$/m) >= 20, 'fsync duration histogram');
  t.match(text, /^raftkv_raft_peer_last_contact_seconds\{peer="\d+"\} [\d.e-]+$/m, 'last contact per peer');
  t.match(text, /^process_cpu_seconds_total /m, 'process metrics');
  t.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404, 'other paths: 404');
  // The port is only there when asked for: a node without metricsPort serves none (checked by config tests).
  await waitFor('metrics of every node', async () => {
    const rs = await Promise.all(metricsPorts.map((mp) => fetch(`http://127.0.0.1:${mp}/metrics`).then((r) => r.status, () => 0)));
    return rs.every((s) => s === 200);
  }, 10_000);
});
