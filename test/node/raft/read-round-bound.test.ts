/**
 * A leader never lets a peer's readIndex requests drive unbounded heartbeat broadcasts (a faulty
 * or forged member could otherwise turn each line it sends into N messages): at most 8 rounds start
 * per tick, the reads beyond ride on the next round, and every read is still answered correctly.
 */
import t from 'tap';
import { TestNet } from './net.js';

t.test('thesis §6.4: a flood of readIndex requests costs at most 8 heartbeat rounds per tick, every read answered', async (t) => {
  const net = new TestNet(3);
  net.elect(1);
  net.deliver();
  const leader = net.node(1);
  t.equal(leader.status().role, 'leader');
  const commit = leader.status().commitIndex;
  const term = leader.status().term;
  // Node 2 (or someone saying hello as node 2) asks 100 times within one tick.
  const before = net.delivered.filter((m) => m.type === 'heartbeat').length;
  for (let i = 0; i < 100; i++) leader.step({ type: 'readIndex', from: 2, to: 1, term, ctx: `flood-${i}` });
  net.deliver();
  const rounds = net.delivered.filter((m) => m.type === 'heartbeat').length - before;
  t.ok(rounds <= 8 * 2, `at most 8 rounds to 2 followers within the tick (${rounds} heartbeats)`);
  net.tickAll(2);
  const answers = net.delivered.filter((m) => m.type === 'readIndexResp' && m.ctx.startsWith('flood-'));
  t.equal(new Set(answers.map((m) => (m.type === 'readIndexResp' ? m.ctx : ''))).size, 100, 'every read is answered');
  t.ok(answers.every((m) => m.type === 'readIndexResp' && m.index === commit), 'with the commit index of when it arrived');
});
