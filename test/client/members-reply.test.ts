/**
 * RaftKvClient.members() judges the rows it gets (membership-validate.ts) before a caller builds
 * connections or decisions on them: a node that answers a malformed list is a PROTOCOL_ERROR,
 * not a list with holes. Against a stand-in node on a real TCP port.
 */
import t from 'tap';
import { RaftKvClient } from '../../src/client/raftkv-client.js';
import { FakeNode } from './fake-node.js';

t.test('members(): good rows pass, a malformed row is a PROTOCOL_ERROR naming it', async (tt) => {
  const rows = [{ id: 1, host: '127.0.0.1', port: 7001, peerPort: 7101, role: 'voter' }];
  let reply: unknown = rows;
  const node = await FakeNode.start(1, (req) => (req.op === 'members' ? { value: reply } : { error: { code: 'BAD_REQUEST' } }));
  const client = new RaftKvClient({ nodes: [node.address], timeoutMs: 2000 });
  tt.teardown(async () => {
    client.close();
    await node.close();
  });
  tt.same(await client.members(), rows);
  reply = [...rows, { id: 2, host: '127.0.0.1', port: 'x', peerPort: 7102, role: 'voter' }];
  await tt.rejects(client.members(), { code: 'PROTOCOL_ERROR', message: /member 2: port must be an integer/ });
  reply = [{ ...rows[0], role: 'boss' }];
  await tt.rejects(client.members(), { code: 'PROTOCOL_ERROR', message: /role must be voter or learner/ });
  reply = 'OK';
  await tt.rejects(client.members(), { code: 'PROTOCOL_ERROR', message: /must be an array/ });
});
