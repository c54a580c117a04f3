/**
 * ReadIndex (thesis §6.4) with two followers whose clients picked the same read context: the
 * leader keys each request by the node that asked, so both are answered (found by the real-node
 * simulator, where contexts are a boot id plus a counter: two followers could collide).
 */
import t from 'tap';
import { TestNet } from './net.js';

t.test('two followers forwarding the same read context both get an answer', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.node(2).readIndex('same');
  net.node(3).readIndex('same');
  net.deliver();
  net.tickAll(2);
  const commit = net.node(1).status().commitIndex;
  t.same(net.reads.get(2), [{ ctx: 'same', index: commit }], 'node 2 answered');
  t.same(net.reads.get(3), [{ ctx: 'same', index: commit }], 'node 3 answered');
});

t.test('the same context forwarded twice by one follower is answered once', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.send({ type: 'readIndex', from: 2, to: 1, term: net.node(1).status().term, ctx: 'dup' });
  net.node(2).readIndex('dup');
  net.deliver();
  net.tickAll(2);
  t.equal(net.delivered.filter((m) => m.type === 'readIndexResp' && m.to === 2 && m.ctx === 'dup').length, 1);
});
