import t from 'tap';
import type { Message } from '../../src/protocol/raft-messages.js';
import { Prng } from '../lib/prng.js';
import { SimNetwork, type DropReason } from './network.js';

function hb(from: number, to: number, commit = 0): Message {
  return { type: 'heartbeat', from, to, term: 1, commit };
}

function recorder(net: SimNetwork): { drops: [Message, DropReason][]; dups: Message[] } {
  const out = { drops: [] as [Message, DropReason][], dups: [] as Message[] };
  net.listener = { dropped: (m, r) => out.drops.push([m, r]), duplicated: (m) => out.dups.push(m) };
  return out;
}

t.test('delivers after the delay, never the same tick, as a copy', async (t) => {
  const net = new SimNetwork([1, 2, 3], new Prng(1), { delayTicksMin: 2, delayTicksMax: 2 });
  const m = hb(1, 2);
  net.send(m, 10);
  t.same(net.due(10), []);
  t.same(net.due(11), []);
  const [got] = net.due(12);
  t.same(got, m);
  t.not(got, m, 'a copy, not the sender object');
  t.equal(net.inFlight, 0);
});

t.test('undefined fields vanish on the wire, as with JSON', async (t) => {
  const net = new SimNetwork([1, 2], new Prng(1));
  net.send({ type: 'heartbeatResp', from: 1, to: 2, term: 1, ctx: undefined } as Message, 0);
  t.notOk('ctx' in net.dueAll()[0]!);
});

t.test('random delays reorder; same seed, same order', async (t) => {
  const order = (seed: number) => {
    const net = new SimNetwork([1, 2], new Prng(seed), { delayTicksMin: 1, delayTicksMax: 5, reorderRate: 0.3, reorderExtraTicksMax: 5 });
    for (let i = 0; i < 50; i++) net.send(hb(1, 2, i), 0);
    const got: number[] = [];
    for (let now = 1; now <= 20; now++) for (const m of net.due(now)) got.push((m as { commit: number }).commit);
    return got;
  };
  const a = order(3);
  t.equal(a.length, 50, 'everything delivered');
  t.not(a.join(), [...a].sort((x, y) => x - y).join(), 'some reordering happened');
  t.same(order(3), a, 'deterministic');
});

t.test('drops and duplicates at the configured rates', async (t) => {
  const net = new SimNetwork([1, 2], new Prng(5), { dropRate: 0.2, duplicateRate: 0.1 });
  const rec = recorder(net);
  for (let i = 0; i < 5000; i++) net.send(hb(1, 2), 0);
  const delivered = net.dueAll().length;
  const dropped = rec.drops.filter(([, r]) => r === 'random').length;
  t.ok(dropped > 850 && dropped < 1150, `dropped ${dropped}/5000`);
  t.equal(delivered, 5000 - dropped + rec.dups.length, 'delivered = sent - dropped + duplicated');
  t.ok(rec.dups.length > 300 && rec.dups.length < 500, `duplicated ${rec.dups.length}`);
});

t.test('symmetric partitions, one-way cuts, isolate and heal', async (t) => {
  const net = new SimNetwork([1, 2, 3, 4, 5], new Prng(1));
  net.partition([1, 2]);
  t.notOk(net.canSend(1, 3));
  t.notOk(net.canSend(4, 2));
  t.ok(net.canSend(1, 2));
  t.ok(net.canSend(3, 5));
  net.heal();
  net.cut(1, 2);
  t.notOk(net.canSend(1, 2), 'one-way: 1 cannot reach 2');
  t.ok(net.canSend(2, 1), 'one-way: 2 still reaches 1');
  t.same(net.cuts(), ['1>2']);
  net.heal();
  net.isolate(3);
  t.same(net.cuts().length, 8, 'isolating cuts 4 links each way');
  const rec = recorder(net);
  net.send(hb(3, 1), 0);
  t.same(rec.drops.map(([, r]) => r), ['partition']);
});

t.test('a cut made while a message is in flight loses it', async (t) => {
  const net = new SimNetwork([1, 2], new Prng(1), { delayTicksMin: 3, delayTicksMax: 3 });
  const rec = recorder(net);
  net.send(hb(1, 2), 0);
  net.cut(1, 2);
  t.same(net.due(3), []);
  t.equal(rec.drops.length, 1);
});

t.test('filter hook drops what it rejects', async (t) => {
  const net = new SimNetwork([1, 2], new Prng(1));
  net.filter = (m) => m.to !== 2;
  const rec = recorder(net);
  net.send(hb(1, 2), 0);
  net.send(hb(2, 1), 0);
  t.same(net.dueAll().map((m) => m.to), [1]);
  t.same(rec.drops.map(([, r]) => r), ['filter']);
});

t.test('garbage options are refused', async (t) => {
  const bad = [{ dropRate: -0.1 }, { dropRate: 2 }, { duplicateRate: NaN }, { delayTicksMin: 0 }, { delayTicksMin: 1.5 }, { delayTicksMin: 3, delayTicksMax: 2 }, { reorderExtraTicksMax: -1 }];
  for (const o of bad) t.throws(() => new SimNetwork([1], new Prng(1), o), /NETWORK_BAD_OPTION/, JSON.stringify(o));
  const net = new SimNetwork([1], new Prng(1));
  t.throws(() => net.setOptions({ reorderRate: 7 }), /NETWORK_BAD_OPTION/);
});
