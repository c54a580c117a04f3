/**
 * A stand-in for `raftkv node` in supervisor tests: `node fake-node-process.js <id> <config>`.
 * Reads the cluster file, serves the JSON dialect on the node's client port (node 1 says it is
 * the leader, the others follow it), prints a line to stdout, and exits 0 on SIGTERM.
 * FAKE_NODE_IGNORE_SIGTERM=1 makes it ignore SIGTERM (to test the SIGKILL deadline);
 * FAKE_NODE_SILENT=<id> makes that node accept connections but never answer.
 */
import { loadClusterConfig } from '../../src/protocol/cluster-config.js';
import { FakeNode } from '../client/fake-node.js';

const id = Number(process.argv[2]);
const cfg = loadClusterConfig(process.argv[3]);
const me = cfg.nodes.find((n) => n.id === id);
if (!me) {
  process.stderr.write(`fake node: no node ${id}\n`);
  process.exit(3);
}
const silent = process.env.FAKE_NODE_SILENT === String(id);
const node = await FakeNode.start(id, silent ? () => 'silent' : undefined, me.port);
node.role = id === 1 ? 'leader' : 'follower';
node.leader = 1;
process.stdout.write(`fake node ${id} listening on ${me.port}\n`);
process.on('SIGTERM', () => {
  if (process.env.FAKE_NODE_IGNORE_SIGTERM === '1') return;
  void node.close().then(() => process.exit(0));
});
