/**
 * KvStateMachine snapshots (kv-state-machine.ts): the copy-on-write capture (beginSnapshot), its
 * end (pairs/abort), replaceWith, session expiry by log time and the version-2 JSON form.
 */
import t from 'tap';
import { KvStateMachine, type KvCommand, type KvResult } from '../../src/node/kv-state-machine.js';
import { Prng } from '../lib/prng.js';

const sorted = (pairs: Array<[string, string]>) => [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
const errorCode = (r: KvResult) => (typeof r === 'object' ? r.error.code : null);

/** A random write over a small key space (so keys collide), with or without a session. */
function randomCommand(rng: Prng, clients: Map<string, number>, at: number): KvCommand {
  const key = () => `k${rng.int(0, 60)}`;
  const roll = rng.int(0, 9);
  const cmd: KvCommand =
    roll < 5
      ? { op: 'set', key: key(), value: `v${rng.int(0, 1e6)}` }
      : roll < 8
        ? { op: 'del', keys: Array.from({ length: rng.int(1, 3) }, key) }
        : { op: 'cas', key: key(), expected: rng.chance(0.5) ? null : `v${rng.int(0, 3)}`, value: `c${rng.int(0, 9)}` };
  if (rng.chance(0.4)) {
    const id = `client-${rng.int(0, 4)}`;
    // Mostly the next seq, sometimes a retry of the last one.
    const seq = (clients.get(id) ?? 0) + (rng.chance(0.8) ? 1 : 0);
    clients.set(id, Math.max(seq, clients.get(id) ?? 0));
    Object.assign(cmd, { clientId: id, seq: Math.max(seq, 1) });
  }
  return { ...cmd, at };
}

t.test('property: a capture yields exactly the key space at its index, whatever is written meanwhile', async (t) => {
  const seeds = [1, 2, 3, 42, 20261206];
  for (const seed of seeds) {
    const rng = new Prng(seed);
    const m = new KvStateMachine({ maxSessions: 3, sessionTimeoutMs: 50 });
    const clients = new Map<string, number>();
    let at = 1000;
    const step = () => m.apply(m.lastApplied + 1, randomCommand(rng, clients, (at += rng.int(0, 20))));
    let checked = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = rng.int(0, 80); i > 0; i--) step();
      const expected = m.toSnapshot();
      const { data: expectedData, ...expectedMeta } = expected;
      const capture = m.beginSnapshot();
      t.same(capture.meta, expectedMeta, `seed ${seed} round ${round}: meta as of the capture`);
      let done = false;
      while (!done) {
        for (let i = rng.int(0, 10); i > 0; i--) step();
        done = capture.copySlice(rng.int(0, 15));
        if (rng.chance(0.05)) break; // pairs() must finish the copy itself
      }
      for (let i = rng.int(0, 10); i > 0; i--) step();
      if (rng.chance(0.1)) {
        capture.abort();
        t.doesNotThrow(() => m.beginSnapshot().abort(), 'after abort a new capture can begin');
        continue;
      }
      const got = capture.pairs();
      if (JSON.stringify(sorted(got)) !== JSON.stringify(sorted(expectedData))) {
        t.fail(`seed ${seed} round ${round}: capture differs from the key space at index ${expected.lastApplied}`);
        t.same(sorted(got), sorted(expectedData));
        return;
      }
      t.equal(new Set(got.map((p) => p[0])).size, got.length, 'no key twice');
      checked++;
    }
    t.ok(checked > 20, `seed ${seed}: ${checked} captures compared`);
  }
});

t.test('one capture at a time; pairs() and abort() end it', async (t) => {
  const m = new KvStateMachine();
  m.apply(1, { op: 'set', key: 'a', value: '1' });
  const c = m.beginSnapshot();
  t.throws(() => m.beginSnapshot(), { code: 'APPLY_OUT_OF_ORDER', message: /already running/ });
  t.same(c.pairs(), [['a', '1']]);
  const d = m.beginSnapshot();
  m.apply(2, { op: 'set', key: 'a', value: '2' });
  d.abort();
  // No capture: writes no longer save old values, and a new capture sees the current state.
  m.apply(3, { op: 'set', key: 'b', value: '3' });
  t.same(sorted(m.beginSnapshot().pairs()), [
    ['a', '2'],
    ['b', '3'],
  ]);
});

t.test('a capture started before replaceWith still yields the old key space; the machine takes the new one', async (t) => {
  const m = new KvStateMachine();
  m.apply(1, { op: 'set', key: 'old', value: '1' });
  const c = m.beginSnapshot();
  const other = new KvStateMachine({ maxSessions: 7, sessionTimeoutMs: 99 });
  other.apply(10, { op: 'set', key: 'new', value: '2', clientId: 'c', seq: 1, at: 5 });
  m.replaceWith(other);
  m.apply(11, { op: 'set', key: 'newer', value: '3' });
  t.same(c.pairs(), [['old', '1']]);
  c.abort(); // the owner's abort after replaceWith is harmless
  t.equal(m.lastApplied, 11);
  t.same(sorted(m.toSnapshot().data), [
    ['new', '2'],
    ['newer', '3'],
  ]);
  t.same(m.toSnapshot().sessions.map((s) => s[0]), ['c']);
  t.equal(m.toSnapshot().maxSessions, 7);
  t.doesNotThrow(() => m.beginSnapshot().abort(), 'a new capture may begin');
});

t.test('sessions expire by log time (`at`), not by the replica clock; an expired client gets SESSION_EXPIRED', async (t) => {
  const m = new KvStateMachine({ sessionTimeoutMs: 100 });
  const write = (client: string, seq: number, at: number, value = 'x') => m.apply(m.lastApplied + 1, { op: 'set', key: client, value, clientId: client, seq, at }).result;
  t.equal(write('a', 1, 1000), 'OK');
  t.equal(write('b', 1, 1050), 'OK');
  t.equal(write('a', 2, 1100, 'a2'), 'OK', 'at the edge: 1000 + 100 is not yet expired');
  t.equal(m.sessionCount, 2);
  // Log time jumps: b (last seen 1050) is silent for > 100 ms, a (1100) is not.
  t.equal(m.apply(m.lastApplied + 1, { op: 'set', key: 'z', value: 'z', at: 1151 }).result, 'OK');
  t.same(m.toSnapshot().sessions.map((s) => s[0]), ['a']);
  // b retries seq 1 (its write may or may not have been applied, as far as it knows): refused, not applied twice.
  t.equal(m.get('b'), 'x');
  m.apply(m.lastApplied + 1, { op: 'set', key: 'b', value: 'changed' });
  t.equal(errorCode(write('b', 2, 1160, 'again')), 'SESSION_EXPIRED');
  t.equal(m.get('b'), 'changed', 'SESSION_EXPIRED applied nothing');
  t.equal(m.sessionCount, 1, 'and created no session');
  // seq 1 from an unknown client is a new session, as ever.
  t.equal(write('c', 1, 1170), 'OK');
  // A duplicate of the last seq of a live session returns the remembered result, no double apply.
  m.apply(m.lastApplied + 1, { op: 'set', key: 'a', value: 'other' });
  t.equal(write('a', 2, 1180, 'a2'), 'OK');
  t.equal(m.get('a'), 'other', 'the retry was not applied again');
  // Without `at` the clock does not move: nothing expires however many entries pass.
  for (let i = 0; i < 50; i++) m.apply(m.lastApplied + 1, { op: 'set', key: 'n', value: String(i) });
  t.same(m.toSnapshot().sessions.map((s) => s[0]).sort(), ['a', 'c']);
  // An older `at` (another node's clock behind) never moves the log clock back.
  m.apply(m.lastApplied + 1, { op: 'set', key: 'n', value: 'late', at: 10 });
  t.equal(m.toSnapshot().clock, 1180);
});

t.test('two replicas given the same log expire the same sessions', async (t) => {
  const a = new KvStateMachine({ sessionTimeoutMs: 30 });
  const b = new KvStateMachine({ sessionTimeoutMs: 30 });
  const rng = new Prng(7);
  const clients = new Map<string, number>();
  for (let i = 1; i <= 500; i++) {
    const cmd = randomCommand(rng, clients, 1000 + i * rng.int(0, 3));
    t.same(a.apply(i, cmd), b.apply(i, structuredClone(cmd)));
  }
  t.same(a.toSnapshot(), b.toSnapshot());
});

t.test('fromSnapshot round trip of version 2 (through JSON), sessions and clock included', async (t) => {
  const rng = new Prng(99);
  const m = new KvStateMachine({ maxSessions: 4, sessionTimeoutMs: 500 });
  const clients = new Map<string, number>();
  for (let i = 1; i <= 300; i++) m.apply(i, randomCommand(rng, clients, 1000 + i));
  const snap = m.toSnapshot();
  t.equal(snap.version, 2);
  const back = KvStateMachine.fromSnapshot(JSON.parse(JSON.stringify(snap)));
  t.same(back.toSnapshot(), snap);
  // Behaves the same afterwards: session retries and expiry included.
  for (let i = 301; i <= 400; i++) {
    const cmd = randomCommand(rng, clients, 1000 + i * 3);
    t.same(back.apply(i, structuredClone(cmd)), m.apply(i, cmd), `entry ${i}`);
  }
  t.same(back.toSnapshot(), m.toSnapshot());
  t.throws(() => KvStateMachine.fromSnapshot({ ...snap, version: 1 }), { code: 'BAD_SNAPSHOT', message: /unsupported version 1/ });
  t.throws(() => KvStateMachine.fromSnapshot({ ...snap, clock: -1 }), { code: 'BAD_SNAPSHOT', message: /clock/ });
  t.throws(() => KvStateMachine.fromSnapshot({ ...snap, sessions: [['c', 1, 'OK', -5]] }), { code: 'BAD_SNAPSHOT', message: /lastSeen/ });
});
