/**
 * A stand-in for `raftkv node` in supervisor tests: `node fake-node-process.js <id> <config> [<port>]`.
 * Reads the cluster file, serves the JSON dialect on the node's client port (node 1 says it is
 * the leader, the others follow it), prints a line to stdout (with its argv after the config, so
 * tests can check an added member's --join flags), and exits 0 on SIGTERM. `<port>` is the client
 * port of a member added later (not in the cluster file).
 * FAKE_NODE_IGNORE_SIGTERM=1 makes it ignore SIGTERM (to test the SIGKILL deadline);
 * FAKE_NODE_SILENT=<id> makes that node accept connections but never answer.
 *
 * Membership: node 1 (the leader) keeps the membership of the cluster file, answers the members
 * ops (members, addMember, promoteMember, removeMember, transferLeader) with the node's checks
 * (an existing id is BAD_REQUEST; the first promote of a member is NOT_CAUGHT_UP, as a real
 * leader says while a learner is behind), and reports voters/learners in its status; the others
 * answer membership ops with NOT_LEADER naming node 1.
 */
import { loadClusterConfig } from '../../src/protocol/cluster-config.js';
import { FakeNode, type FakeAction, type FakeRequest } from '../client/fake-node.js';

const SELF = Number(process.argv[2]);
const id = SELF; // this node (membership() names the member it is asked about `id` too)
const cfg = loadClusterConfig(process.argv[3]);
const addedPort = process.argv[4] === undefined || process.argv[4].startsWith('--') ? null : Number(process.argv[4]);
const me = addedPort !== null ? { id, port: addedPort } : cfg.nodes.find((n) => n.id === id);
if (!me) {
  process.stderr.write(`fake node: no node ${id}\n`);
  process.exit(3);
}
const silent = process.env.FAKE_NODE_SILENT === String(id);

interface Member {
  id: number;
  host: string;
  port: number;
  peerPort: number;
  role: 'voter' | 'learner';
}
const members = new Map<number, Member>(cfg.nodes.map((n) => [n.id, { id: n.id, host: n.host, port: n.port, peerPort: n.peerPort, role: 'voter' }]));
const promoteTries = new Map<number, number>();
const MEMBER_OPS = new Set(['members', 'addMember', 'promoteMember', 'removeMember', 'transferLeader']);

function bad(message: string): FakeAction {
  return { error: { code: 'BAD_REQUEST', message } };
}

function membership(req: FakeRequest): FakeAction {
  if (SELF !== 1) return { error: { code: 'NOT_LEADER', message: 'not the leader', details: { leader: 1 } } };
  const id = req.nodeId ?? req.id;
  const m = members.get(id);
  switch (req.op) {
    case 'members':
      return { value: [...members.values()].sort((a, b) => a.id - b.id) };
    case 'addMember':
      if (m) return bad(`node ${id} is already a member`);
      members.set(id, { id: id, host: req.host, port: req.port, peerPort: req.peerPort, role: req.learner ? 'learner' : 'voter' });
      return { value: 'OK' };
    case 'promoteMember': {
      if (!m || m.role !== 'learner') return bad(`node ${id} is not a learner`);
      const tries = (promoteTries.get(id) ?? 0) + 1;
      promoteTries.set(id, tries);
      if (tries === 1) return { error: { code: 'NOT_CAUGHT_UP', message: `node ${id} is behind` } };
      m.role = 'voter';
      return { value: 'OK' };
    }
    case 'removeMember':
      if (!m) return bad(`node ${id} is not a member`);
      members.delete(id);
      return { value: 'OK' };
    default:
      return m?.role === 'voter' ? { value: 'OK' } : bad(`node ${id} is not a voter`);
  }
}

const node = await FakeNode.start(
  id,
  silent
    ? () => 'silent'
    : (req, self) => {
        if (MEMBER_OPS.has(req.op)) return membership(req);
        const action = self.kv(req);
        if (req.op === 'status' && typeof action === 'object' && 'value' in action && id === 1) {
          const all = [...members.values()];
          return { value: { ...(action.value as object), voters: all.filter((x) => x.role === 'voter').map((x) => x.id), learners: all.filter((x) => x.role === 'learner').map((x) => x.id) } };
        }
        return action;
      },
  me.port,
);
node.role = id === 1 ? 'leader' : 'follower';
node.leader = 1;
process.stdout.write(`fake node ${id} listening on ${me.port}; args ${process.argv.slice(4).join(' ')}\n`);
process.on('SIGTERM', () => {
  if (process.env.FAKE_NODE_IGNORE_SIGTERM === '1') return;
  void node.close().then(() => process.exit(0));
});
