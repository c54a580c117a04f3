/** The membership requests of both dialects, parsed from untrusted input. */
import t from 'tap';
import { parseJsonRequest } from '../../src/protocol/client-requests.js';
import { encodeRespResult } from '../../src/protocol/redis-replies.js';
import { memberAddressArg, parseRedisCommand } from '../../src/protocol/redis-commands.js';
import { renderInfo } from '../../src/protocol/redis-info.js';
import { renderRaftInfo } from '../../src/protocol/redis-raft-info.js';
import { parseInfo } from '../lib/parse-info.js';

t.test('JSON: the member in id or nodeId, fields checked, forwarded only a boolean', async (t) => {
  const ok: Array<[string, unknown]> = [
    ['{"op":"members"}', { op: 'members' }],
    ['{"op":"members","consistency":"stale"}', { op: 'members', consistency: 'stale' }],
    ['{"op":"removeMember","id":2}', { op: 'removeMember', nodeId: 2 }],
    ['{"id":7,"op":"removeMember","nodeId":2}', { op: 'removeMember', nodeId: 2 }],
    ['{"op":"promoteMember","id":4}', { op: 'promoteMember', nodeId: 4 }],
    ['{"op":"transferLeader","id":3,"forwarded":true}', { op: 'transferLeader', nodeId: 3, forwarded: true }],
    ['{"op":"addMember","id":4,"host":"10.0.0.4","port":7004,"peerPort":7104,"learner":true}', { op: 'addMember', nodeId: 4, host: '10.0.0.4', port: 7004, peerPort: 7104, learner: true }],
    ['{"op":"addMember","id":4,"host":"n4.example","port":7004,"peerPort":7104}', { op: 'addMember', nodeId: 4, host: 'n4.example', port: 7004, peerPort: 7104, learner: false }],
  ];
  for (const [line, req] of ok) {
    const r = parseJsonRequest(line);
    t.same(r.ok && r.req, req, line);
  }
  const bad: Array<[string, RegExp]> = [
    ['{"op":"removeMember"}', /'nodeId' \(or 'id'\) is required/],
    ['{"op":"removeMember","id":0}', /must be a node id/],
    ['{"op":"removeMember","id":1.5}', /must be a node id/],
    ['{"op":"removeMember","id":4294967296}', /must be a node id/],
    ['{"op":"removeMember","nodeId":"2"}', /'nodeId' must be a node id/],
    ['{"op":"addMember","id":4,"host":"","port":1,"peerPort":2}', /host/],
    ['{"op":"addMember","id":4,"host":"h","port":0,"peerPort":2}', /port/],
    ['{"op":"addMember","id":4,"host":"h","port":1}', /port/],
    ['{"op":"addMember","id":4,"host":"h","port":1,"peerPort":2,"learner":1}', /'learner' must be a boolean/],
    ['{"op":"members","forwarded":"yes"}', /'forwarded' must be a boolean/],
    ['{"op":"members","consistency":"weird"}', /consistency/],
  ];
  for (const [line, why] of bad) {
    const r = parseJsonRequest(line);
    t.equal(!r.ok && r.error.code, 'BAD_REQUEST', line);
    t.match(!r.ok && r.error.message, why, line);
  }
});

t.test('Redis: RAFT.NODE ADD|REMOVE, RAFT.TRANSFER_LEADER; replies +OK', async (t) => {
  const req = (line: string) => {
    const d = parseRedisCommand(line.split(' '));
    return d.kind === 'request' ? d.req : d.reply;
  };
  t.same(req('RAFT.NODE ADD 4 127.0.0.1:7004:7104'), { op: 'addMember', nodeId: 4, host: '127.0.0.1', port: 7004, peerPort: 7104, learner: false });
  t.same(req('raft.node add 4 [::1]:7004:7104'), { op: 'addMember', nodeId: 4, host: '::1', port: 7004, peerPort: 7104, learner: false }, 'an IPv6 host in brackets');
  t.same(req('RAFT.NODE REMOVE 2'), { op: 'removeMember', nodeId: 2 });
  t.same(req('RAFT.TRANSFER_LEADER 3'), { op: 'transferLeader', nodeId: 3 });
  t.equal(req('RAFT.NODE ADD 4 h:1'), "-ERR invalid address 'h:1': expected host:port:peerPort\r\n");
  t.equal(req('RAFT.NODE ADD 04 h:1:2'), "-ERR invalid node id '04'\r\n");
  t.equal(req('RAFT.NODE REMOVE 2 3'), "-ERR wrong number of arguments for 'raft.node|remove' command\r\n");
  t.equal(req('RAFT.TRANSFER_LEADER'), "-ERR wrong number of arguments for 'raft.transfer_leader' command\r\n");
  t.same(memberAddressArg('h:1:1'), { host: 'h', port: 1, peerPort: 1 }, 'only the shape is checked here; the core refuses port === peerPort');
  t.equal(encodeRespResult({ op: 'removeMember', nodeId: 2 }, 'OK'), '+OK\r\n');
  t.equal(encodeRespResult({ op: 'members' }, [{ id: 1 }]), '$10\r\n[{"id":1}]\r\n');
});

t.test('RAFT.INFO and INFO raft: a line per member with its role', async (t) => {
  const facts = {
    nodeId: 1, role: 'leader' as const, term: 2, leader: 1, commitIndex: 9, lastApplied: 9, lastLogIndex: 9,
    nodes: [{ id: 1, host: 'h', port: 7001, peerPort: 7101 }, { id: 2, host: 'h', port: 7002, peerPort: 7102 }, { id: 4, host: 'h', port: 7004, peerPort: 7104 }],
    voters: [1, 2], learners: [4],
    raftPeers: [{ id: 2, role: 'voter' as const, match: 9, lastContactMs: 3, link: 'up' as const }, { id: 4, role: 'learner' as const, match: 5, lastContactMs: 4, link: 'up' as const }],
  };
  const raft = parseInfo(renderRaftInfo(facts)).get('raft')!;
  t.equal(raft.get('num_voting_nodes'), '2');
  t.equal(raft.get('node0'), 'id=2,state=connected,voting=yes,role=voter,addr=h,port=7002,peer_port=7102,match_index=9,last_contact_ms=3');
  t.equal(raft.get('node1'), 'id=4,state=connected,voting=no,role=learner,addr=h,port=7004,peer_port=7104,match_index=5,last_contact_ms=4');
  const info = parseInfo(renderInfo('raft', facts)).get('raft')!;
  t.equal(info.get('raft_voters'), '1,2');
  t.equal(info.get('raft_learners'), '4');
  t.equal(info.get('raft_peer1'), 'id=4,role=learner,match=5,last_contact_ms=4,link=up');
});
