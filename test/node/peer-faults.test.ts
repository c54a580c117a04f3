/** PeerFaults: cuts drop the right messages in the right direction, delays keep order, contact is recorded. */
import t from 'tap';
import type { Message } from '../../src/protocol/raft-messages.js';
import { PeerFaults } from '../../src/node/peer-faults.js';
import { waitFor } from '../lib/wait-for.js';

function hb(from: number, to: number, term = 1): Message {
  return { type: 'heartbeat', from, to, term, commit: 0 } as unknown as Message;
}

function rig(now = () => performance.now()) {
  const sent: Message[][] = [];
  const delivered: Message[] = [];
  const f = new PeerFaults({ self: 1, peers: [1, 2, 3], send: (ms) => sent.push(ms), deliver: (m) => delivered.push(m), now });
  return { f, sent, delivered };
}

t.test('no faults: everything passes through at once', async (t) => {
  const { f, sent, delivered } = rig();
  f.send([hb(1, 2), hb(1, 3)]);
  f.receive(hb(2, 1));
  t.same(sent.map((b) => b.map((m) => m.to)), [[2, 3]]);
  t.equal(delivered.length, 1);
});

t.test('a one-way cut drops only its direction; heal restores it', async (t) => {
  const { f, sent, delivered } = rig();
  f.set({ dropTo: [2], dropFrom: [], delayMs: 0 });
  f.send([hb(1, 2), hb(1, 3)]);
  f.receive(hb(2, 1));
  t.same(sent.map((b) => b.map((m) => m.to)), [[3]], 'to 2 dropped, to 3 sent');
  t.equal(delivered.length, 1, 'from 2 still heard');
  f.set({ dropTo: [], dropFrom: [3], delayMs: 0 });
  f.receive(hb(3, 1));
  t.equal(delivered.length, 1, 'from 3 dropped');
  t.equal(f.counters.droppedIn, 1);
  t.equal(f.links()['3']!.heard, false, 'a dropped message is no contact');
  t.equal(f.links()['2']!.heard, true);
  f.set({ dropTo: [], dropFrom: [], delayMs: 0 });
  f.receive(hb(3, 1));
  t.equal(delivered.length, 2);
});

t.test('bad settings are refused and change nothing', async (t) => {
  const { f } = rig();
  f.set({ dropTo: [2], dropFrom: [], delayMs: 0 });
  t.throws(() => f.set({ dropTo: [9], dropFrom: [], delayMs: 0 }), { code: 'BAD_REQUEST' });
  t.throws(() => f.set({ dropTo: [1], dropFrom: [], delayMs: 0 }), { code: 'BAD_REQUEST' }, 'self is no peer');
  t.throws(() => f.set({ dropTo: [], dropFrom: [], delayMs: -1 }), { code: 'BAD_REQUEST' });
  t.throws(() => f.set({ dropTo: [], dropFrom: [], delayMs: 1e9 }), { code: 'BAD_REQUEST' });
  t.same(f.settings(), { dropTo: [2], dropFrom: [], delayMs: 0 });
});

t.test('a delay holds batches that long and keeps their order when it is lowered', async (t) => {
  const { f, sent } = rig();
  f.set({ dropTo: [], dropFrom: [], delayMs: 150 });
  const t0 = performance.now();
  f.send([hb(1, 2, 1)]);
  f.set({ dropTo: [], dropFrom: [], delayMs: 0 });
  f.send([hb(1, 2, 2)]);
  t.equal(sent.length, 0, 'the second batch waits behind the first');
  await waitFor('both batches', () => sent.length === 2, 5000, 5);
  t.ok(performance.now() - t0 >= 140, 'the first batch waited for its delay');
  t.same(sent.map((b) => b[0]!.term), [1, 2], 'in order');
});

t.test('a delay holds incoming messages too, and contact counts when they are handed on', async (t) => {
  const { f, delivered } = rig();
  f.set({ dropTo: [], dropFrom: [], delayMs: 100 });
  f.receive(hb(2, 1, 1));
  f.receive(hb(2, 1, 2));
  t.equal(delivered.length, 0);
  t.equal(f.links()['2']!.heard, false);
  await waitFor('both messages', () => delivered.length === 2, 5000, 5);
  t.same(delivered.map((m) => m.term), [1, 2]);
  t.equal(f.links()['2']!.heard, true);
});

t.test('a cut made while messages are held drops them', async (t) => {
  const { f, sent, delivered } = rig();
  f.set({ dropTo: [], dropFrom: [], delayMs: 50 });
  f.send([hb(1, 2), hb(1, 3)]);
  f.set({ dropTo: [2], dropFrom: [], delayMs: 50 });
  f.receive(hb(2, 1));
  f.set({ dropTo: [2], dropFrom: [2], delayMs: 50 });
  await waitFor('the held message to 3', () => sent.length === 1, 5000, 5);
  t.same(sent[0]!.map((m) => m.to), [3]);
  t.equal(delivered.length, 0, 'the held message from 2 was dropped');
  f.close();
});
