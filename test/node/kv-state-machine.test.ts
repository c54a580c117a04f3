import t from 'tap';
import { Prng } from '../lib/prng.js';
import {
  KvStateMachine,
  KvStateMachineError,
  isKvError,
  parseKvCommand,
  type KvResult,
} from '../../src/node/kv-state-machine.js';
import type { Entry } from '../../src/protocol/raft-messages.js';

/** Feeds commands at consecutive indices from 1 and returns the results. */
function run(m: KvStateMachine, cmds: unknown[]): KvResult[] {
  return cmds.map((c) => m.apply(m.lastApplied + 1, c).result);
}

function errorCode(r: KvResult): string | undefined {
  return isKvError(r) ? r.error.code : undefined;
}

t.test('commands and results (table)', async (t) => {
  const cases: Array<{ name: string; cmds: unknown[]; results: KvResult[]; state: Record<string, string> }> = [
    { name: 'set', cmds: [{ op: 'set', key: 'a', value: '1' }], results: ['OK'], state: { a: '1' } },
    {
      name: 'set overwrites',
      cmds: [{ op: 'set', key: 'a', value: '1' }, { op: 'set', key: 'a', value: '2' }],
      results: ['OK', 'OK'],
      state: { a: '2' },
    },
    {
      name: 'empty key and value are ordinary strings',
      cmds: [{ op: 'set', key: '', value: '' }],
      results: ['OK'],
      state: { '': '' },
    },
    {
      name: '__proto__ is an ordinary key',
      cmds: [{ op: 'set', key: '__proto__', value: 'x' }],
      results: ['OK'],
      state: { ['__proto__']: 'x' },
    },
    { name: 'del absent', cmds: [{ op: 'del', keys: ['a'] }], results: [0], state: {} },
    {
      name: 'del counts removed keys, duplicates once',
      cmds: [
        { op: 'set', key: 'a', value: '1' },
        { op: 'set', key: 'b', value: '2' },
        { op: 'del', keys: ['a', 'a', 'b', 'c'] },
      ],
      results: ['OK', 'OK', 2],
      state: {},
    },
    {
      name: 'cas null expects absent',
      cmds: [
        { op: 'cas', key: 'a', expected: null, value: '1' },
        { op: 'cas', key: 'a', expected: null, value: '2' },
      ],
      results: [true, false],
      state: { a: '1' },
    },
    {
      name: 'cas compares the current value',
      cmds: [
        { op: 'set', key: 'a', value: '1' },
        { op: 'cas', key: 'a', expected: '0', value: '2' },
        { op: 'cas', key: 'a', expected: '1', value: '3' },
      ],
      results: ['OK', false, true],
      state: { a: '3' },
    },
    {
      name: 'cas against empty string is not cas against absent',
      cmds: [{ op: 'cas', key: 'a', expected: '', value: '1' }],
      results: [false],
      state: {},
    },
    {
      name: 'extra fields are ignored',
      cmds: [{ op: 'set', key: 'a', value: '1', ttl: 5, extra: { deep: [1] } }],
      results: ['OK'],
      state: { a: '1' },
    },
  ];
  for (const c of cases) {
    const m = new KvStateMachine();
    t.same(run(m, c.cmds), c.results, `${c.name}: results`);
    t.same(Object.fromEntries(m.toSnapshot().data), c.state, `${c.name}: state`);
    t.equal(m.lastApplied, c.cmds.length, `${c.name}: lastApplied`);
  }
});

t.test('malformed commands answer BAD_REQUEST and change nothing', async (t) => {
  const garbage: unknown[] = [
    undefined,
    null,
    0,
    42,
    'SET a b',
    true,
    [],
    ['set', 'a', 'b'],
    {},
    { op: 'get', key: 'a' },
    { op: 'SET', key: 'a', value: 'b' },
    { op: 'set' },
    { op: 'set', key: 'a' },
    { op: 'set', key: 1, value: 'b' },
    { op: 'set', key: 'a', value: 1 },
    { op: 'set', key: 'a', value: null },
    { op: 'set', key: ['a'], value: 'b' },
    { op: 'del', keys: [] },
    { op: 'del', keys: 'a' },
    { op: 'del', key: 'a' },
    { op: 'del', keys: ['a', 7] },
    { op: 'cas', key: 'a', value: 'b' },
    { op: 'cas', key: 'a', expected: 3, value: 'b' },
    { op: 'cas', key: 'a', expected: null, value: null },
    { op: 7 },
    { op: { toString: 'set' } },
    { op: 'set', key: 'a', value: 'b', clientId: 'c' },
    { op: 'set', key: 'a', value: 'b', seq: 1 },
    { op: 'set', key: 'a', value: 'b', clientId: '', seq: 1 },
    { op: 'set', key: 'a', value: 'b', clientId: 5, seq: 1 },
    { op: 'set', key: 'a', value: 'b', clientId: 'c', seq: -1 },
    { op: 'set', key: 'a', value: 'b', clientId: 'c', seq: 1.5 },
    { op: 'set', key: 'a', value: 'b', clientId: 'c', seq: '1' },
    { op: 'set', key: 'a', value: 'b', clientId: 'c', seq: 2 ** 60 },
    { op: 'set', key: 'a', value: 'b', reqId: 9 },
    JSON.parse('{"op":"set","key":"a","value":"b","__proto__":{"polluted":true},"reqId":{}}'),
  ];
  const m = new KvStateMachine();
  m.apply(1, { op: 'set', key: 'keep', value: 'v' });
  for (const [i, g] of garbage.entries()) {
    const out = m.apply(i + 2, g);
    t.equal(errorCode(out.result), 'BAD_REQUEST', `garbage #${i} ${JSON.stringify(g)}`);
    t.type(isKvError(out.result) && out.result.error.message, 'string');
  }
  t.equal(m.size, 1, 'state untouched');
  t.equal(m.get('keep'), 'v');
  t.equal(m.sessionCount, 0, 'no session created by a malformed command');
  t.equal(m.lastApplied, garbage.length + 1, 'malformed entries still advance lastApplied');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');

  // The reqId of a malformed command still comes back, so the waiting client gets its error.
  const out = m.apply(100, { op: 'nope', reqId: 'r-1' });
  t.equal(out.reqId, 'r-1');
  t.equal(errorCode(out.result), 'BAD_REQUEST');
  t.match(isKvError(out.result) && out.result.error.message, /unknown op "nope"/);
});

t.test('random binary garbage never throws', async (t) => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const m = new KvStateMachine();
  for (let i = 1; i <= 500; i++) {
    const bytes = Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
    const s = String.fromCharCode(...bytes);
    let data: unknown = s;
    try {
      data = JSON.parse(s);
    } catch {
      // not JSON: apply the raw string
    }
    m.apply(i, data);
  }
  t.equal(m.lastApplied, 500);
});

t.test('reqId is returned, not interpreted', async (t) => {
  const m = new KvStateMachine();
  t.same(m.apply(1, { op: 'set', key: 'a', value: '1', reqId: 'x' }), { reqId: 'x', result: 'OK' });
  t.same(m.apply(2, { op: 'del', keys: ['a'] }), { result: 1 });
  t.notOk('reqId' in m.apply(3, { op: 'del', keys: ['a'] }), 'no reqId key when none was given');
});

t.test('exactly-once sessions (thesis §6.3)', async (t) => {
  const m = new KvStateMachine();
  const set = (seq: number, value: string, reqId?: string) =>
    m.apply(m.lastApplied + 1, { op: 'set', key: 'k', value, clientId: 'c1', seq, reqId });
  const del = (seq: number) => m.apply(m.lastApplied + 1, { op: 'del', keys: ['k'], clientId: 'c1', seq }).result;

  t.equal(set(1, 'a').result, 'OK');
  t.equal(del(2), 1);
  t.equal(m.get('k'), null);
  // Retry of the last seq: remembered result (1), not re-applied (which would give 0).
  t.equal(del(2), 1, 'duplicate of last seq returns remembered result');
  // Retry of an older seq: not applied, STALE_SEQ.
  const stale = set(1, 'a', 'r9');
  t.equal(errorCode(stale.result), 'STALE_SEQ');
  t.equal(stale.reqId, 'r9', 'the retry gets its own reqId back');
  t.equal(m.get('k'), null, 'stale retry did not re-apply');
  // Seqs may skip (reads are not logged); a higher one applies.
  t.equal(set(10, 'b').result, 'OK');
  t.equal(m.get('k'), 'b');
  t.equal(errorCode(set(9, 'z').result), 'STALE_SEQ');
  t.equal(m.get('k'), 'b');

  // cas duplicate: the remembered `true` comes back although a re-run would now give false.
  const cas = (seq: number) =>
    m.apply(m.lastApplied + 1, { op: 'cas', key: 'k', expected: 'b', value: 'c', clientId: 'c1', seq }).result;
  t.equal(cas(11), true);
  t.equal(cas(11), true);
  t.equal(m.get('k'), 'c');

  // Sessions are per client; commands without a session are applied every time.
  t.equal(m.apply(m.lastApplied + 1, { op: 'del', keys: ['k'], clientId: 'c2', seq: 1 }).result, 1);
  t.equal(m.apply(m.lastApplied + 1, { op: 'set', key: 'k', value: 'x' }).result, 'OK');
  t.equal(m.apply(m.lastApplied + 1, { op: 'del', keys: ['k'] }).result, 1);
  t.equal(m.apply(m.lastApplied + 1, { op: 'del', keys: ['k'] }).result, 0);
  t.equal(m.sessionCount, 2);

  // Returned error objects are copies: editing one does not change what retries get.
  const m2 = new KvStateMachine();
  m2.apply(1, { op: 'set', key: 'k', value: 'v', clientId: 'c', seq: 1 });
  m2.apply(2, { op: 'set', key: 'k', value: 'v', clientId: 'c', seq: 5 });
  const e = m2.apply(3, { op: 'set', key: 'k', value: 'v', clientId: 'c', seq: 4 }).result;
  if (isKvError(e)) e.error.code = 'BAD_REQUEST';
  t.equal(errorCode(m2.apply(4, { op: 'set', key: 'k', value: 'v', clientId: 'c', seq: 4 }).result), 'STALE_SEQ');
});

t.test('session table is bounded, least recently used evicted', async (t) => {
  const m = new KvStateMachine({ maxSessions: 3 });
  const w = (client: string, seq: number) =>
    m.apply(m.lastApplied + 1, { op: 'del', keys: ['x'], clientId: client, seq }).result;
  m.apply(m.lastApplied + 1, { op: 'set', key: 'x', value: '1' });
  t.equal(w('a', 1), 1);
  t.equal(w('b', 1), 0);
  t.equal(w('c', 1), 0);
  t.equal(w('a', 1), 1, 'a is remembered and now most recently used');
  t.equal(w('d', 1), 0, 'd evicts b (least recently used)');
  t.equal(m.sessionCount, 3);
  t.same(
    m.toSnapshot().sessions.map((s) => s[0]),
    ['c', 'a', 'd'],
    'LRU order in the snapshot',
  );
  t.equal(errorCode(w('b', 2) as never), 'SESSION_EXPIRED', 'b was evicted: a later write of it is refused, not applied blindly');
  t.equal(m.sessionCount, 3, 'the refusal opens no session');
  t.equal(w('b', 1), 0, 'a retry of a first write is indistinguishable from a new session (documented limit)');
  t.same(
    m.toSnapshot().sessions.map((s) => s[0]),
    ['a', 'd', 'b'],
  );
  t.throws(() => new KvStateMachine({ maxSessions: 0 }), { code: 'BAD_CONFIG' });
  t.throws(() => new KvStateMachine({ maxSessions: 1.5 }), { code: 'BAD_CONFIG' });
});

t.test('apply indices must increase; noop entries advance lastApplied', async (t) => {
  const m = new KvStateMachine();
  m.apply(5, { op: 'set', key: 'a', value: '1' });
  t.equal(m.lastApplied, 5, 'gaps are allowed');
  for (const bad of [5, 4, 0, -1, NaN, 6.5, Infinity]) {
    t.throws(() => m.apply(bad, { op: 'set', key: 'a', value: '2' }), { code: 'APPLY_OUT_OF_ORDER' }, `index ${bad}`);
  }
  t.equal(m.get('a'), '1', 'rejected apply changed nothing');
  t.equal(m.lastApplied, 5);
  const entries: Entry[] = [
    { term: 2, index: 6, kind: 'noop' },
    { term: 2, index: 7, kind: 'cmd', data: { op: 'set', key: 'b', value: '2', reqId: 'q' } },
  ];
  t.equal(m.applyEntry(entries[0]), null);
  t.equal(m.lastApplied, 6);
  t.same(m.applyEntry(entries[1]), { reqId: 'q', result: 'OK' });
  t.equal(m.lastApplied, 7);
  t.throws(() => m.applyEntry(entries[0]), KvStateMachineError);
});

t.test('reads: get, exists, keys, size', async (t) => {
  const m = new KvStateMachine();
  run(m, ['user:1', 'user:2', 'user:10', 'order:1', 'a*b', 'hello', 'hallo', 'hxllo'].map((k) => ({ op: 'set', key: k, value: k.toUpperCase() })));
  t.equal(m.size, 8);
  t.equal(m.get('user:1'), 'USER:1');
  t.equal(m.get('nope'), null);
  t.equal(m.exists(['user:1', 'user:1', 'nope']), 2, 'EXISTS counts repeats');
  t.equal(m.exists([]), 0);
  const table: Array<[string, string[]]> = [
    ['*', ['a*b', 'hallo', 'hello', 'hxllo', 'order:1', 'user:1', 'user:10', 'user:2']],
    ['user:*', ['user:1', 'user:10', 'user:2']],
    ['user:?', ['user:1', 'user:2']],
    ['h[ae]llo', ['hallo', 'hello']],
    ['h[^e]llo', ['hallo', 'hxllo']],
    ['h[a-f]llo', ['hallo', 'hello']],
    ['a\\*b', ['a*b']],
    ['nothing*', []],
  ];
  for (const [pattern, expected] of table) t.same(m.keys(pattern), expected, `KEYS ${pattern}`);
});

t.test('snapshot round trip (through JSON) preserves state, sessions and order', async (t) => {
  const m = new KvStateMachine({ maxSessions: 5 });
  run(m, [
    { op: 'set', key: 'b', value: '1' },
    { op: 'set', key: 'a', value: '2', clientId: 'c1', seq: 1 },
    { op: 'del', keys: ['b'], clientId: 'c2', seq: 1 },
    { op: 'set', key: 'c', value: '3' },
    { op: 'cas', key: 'c', expected: 'zz', value: '4', clientId: 'c1', seq: 2 },
  ]);
  const snap = JSON.parse(JSON.stringify(m.toSnapshot()));
  const r = KvStateMachine.fromSnapshot(snap);
  t.same(r.toSnapshot(), m.toSnapshot());
  t.equal(r.lastApplied, 5);
  t.equal(r.get('a'), '2');
  // Sessions survived: duplicates are still recognised after restore, on both machines alike.
  const dup = { op: 'cas', key: 'c', expected: 'zz', value: '4', clientId: 'c1', seq: 2 };
  t.same(r.apply(6, dup), m.apply(6, dup));
  t.same(r.apply(7, { ...dup, seq: 1 }).result, { error: { code: 'STALE_SEQ', message: 'seq 1 is older than 2, the last applied for this client' } });
  // Restored machine must not apply at or below the snapshot index.
  t.throws(() => KvStateMachine.fromSnapshot(snap).apply(5, dup), { code: 'APPLY_OUT_OF_ORDER' });
});

t.test('fromSnapshot refuses garbage', async (t) => {
  const good = new KvStateMachine().toSnapshot();
  const bads: unknown[] = [
    null,
    'snap',
    [],
    {},
    { ...good, version: 1 },
    { ...good, lastApplied: -1 },
    { ...good, lastApplied: '3' },
    { ...good, maxSessions: 0 },
    { ...good, data: {} },
    { ...good, data: [['a']] },
    { ...good, data: [['a', 1]] },
    { ...good, data: [['a', '1'], ['a', '2']] },
    { ...good, sessions: null },
    { ...good, sessions: [['c', 1, 'OK']] },
    { ...good, sessions: [['', 1, 'OK', 0]] },
    { ...good, sessions: [['c', -1, 'OK', 0]] },
    { ...good, sessions: [['c', 1, 'KO', 0]] },
    { ...good, sessions: [['c', 1, { error: { code: 'WHAT', message: '' } }, 0]] },
    { ...good, sessions: [['c', 1, 'OK', -5]] },
    { ...good, sessions: [['c', 1, 'OK', 0], ['c', 2, 'OK', 0]] },
    { ...good, maxSessions: 1, sessions: [['c', 1, 'OK', 0], ['d', 2, 'OK', 0]] },
    { ...good, clock: -1 },
    { ...good, sessionTimeoutMs: 0 },
  ];
  for (const [i, b] of bads.entries()) {
    t.throws(() => KvStateMachine.fromSnapshot(b), { code: 'BAD_SNAPSHOT' }, `bad snapshot #${i}`);
  }
});

t.test('parseKvCommand normalises and copies', async (t) => {
  const input = { op: 'del', keys: ['a'], junk: 1 };
  const p = parseKvCommand(input);
  t.ok(p.ok);
  if (p.ok) {
    t.same(p.command, { op: 'del', keys: ['a'] });
    t.not((p.command as { keys: string[] }).keys, input.keys, 'keys array copied');
  }
});

t.test('determinism: two machines fed the same entries agree', async (t) => {
  // A seeded mix of valid commands, sessions (with retries, stale seqs and evictions) and garbage.
  const seed = Number(process.env.KV_SEED ?? 20240601);
  t.comment(`seed ${seed} (replay with KV_SEED=${seed})`);
  const rnd = new Prng(seed).asFunction();
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const keys = ['a', 'b', 'c', 'd', 'e'];
  const vals = ['0', '1', '2'];
  const clients = Array.from({ length: 12 }, (_, i) => `client-${i}`);
  const seqs = new Map<string, number>();
  const entries: Entry[] = [];
  let index = 0;
  for (let i = 0; i < 3000; i++) {
    index += rnd() < 0.1 ? 2 : 1;
    if (rnd() < 0.05) {
      entries.push({ term: 1, index, kind: 'noop' });
      continue;
    }
    const r = rnd();
    let data: Record<string, unknown> | string =
      r < 0.4
        ? { op: 'set', key: pick(keys), value: pick(vals) }
        : r < 0.6
          ? { op: 'del', keys: [pick(keys), pick(keys)] }
          : r < 0.95
            ? { op: 'cas', key: pick(keys), expected: rnd() < 0.3 ? null : pick(vals), value: pick(vals) }
            : pick(['garbage', '{"op":"set"}']);
    if (typeof data === 'object' && rnd() < 0.7) {
      const c = pick(clients);
      const last = seqs.get(c) ?? 0;
      const seq = rnd() < 0.2 ? Math.max(0, last - Math.floor(rnd() * 2)) : last + 1;
      seqs.set(c, Math.max(last, seq));
      data = { ...data, clientId: c, seq, reqId: `r${i}` };
    }
    entries.push({ term: 1, index, kind: 'cmd', data });
  }
  const a = new KvStateMachine({ maxSessions: 8 });
  const b = new KvStateMachine({ maxSessions: 8 });
  const outA = entries.map((e) => a.applyEntry(e));
  // b takes a snapshot half way and continues from a JSON round trip of it, as a restarted node would.
  const half = entries.length >> 1;
  const outB1 = entries.slice(0, half).map((e) => b.applyEntry(e));
  const b2 = KvStateMachine.fromSnapshot(JSON.parse(JSON.stringify(b.toSnapshot())));
  const outB2 = entries.slice(half).map((e) => b2.applyEntry(e));
  t.same([...outB1, ...outB2], outA, 'same results');
  t.same(b2.toSnapshot(), a.toSnapshot(), 'same state, sessions and LRU order');
  const kinds = new Set(outA.map((o) => (o === null ? 'noop' : isKvError(o.result) ? o.result.error.code : typeof o.result)));
  t.ok(kinds.has('STALE_SEQ') && kinds.has('BAD_REQUEST') && kinds.has('boolean') && kinds.has('number'), `mix exercised: ${[...kinds]}`);
  t.equal(a.sessionCount, 8, 'bounded');
});

t.test('sessions expire by log time, the same on every replica; a late write of one gets SESSION_EXPIRED', async (t) => {
  const hour = 60 * 60 * 1000;
  const replicas = [new KvStateMachine({ sessionTimeoutMs: hour }), new KvStateMachine({ sessionTimeoutMs: hour })];
  const log = [
    { op: 'set', key: 'k', value: '1', clientId: 'old', seq: 1, at: 1_000 },
    { op: 'set', key: 'k', value: '2', clientId: 'busy', seq: 1, at: 1_000 + hour / 2 },
    // The proposing node's clock may run behind another's: log time never goes back.
    { op: 'set', key: 'k', value: '3', clientId: 'busy', seq: 2, at: 900 },
    { op: 'set', key: 'k', value: '4', clientId: 'busy', seq: 3, at: 2_000 + hour },
    { op: 'set', key: 'k', value: '5', clientId: 'old', seq: 2, at: 3_000 + hour },
  ];
  const results = replicas.map((m) => log.map((cmd, i) => m.apply(i + 1, cmd).result));
  t.same(results[0], results[1], 'both replicas decide alike');
  t.same(results[0]!.slice(0, 4), ['OK', 'OK', 'OK', 'OK']);
  t.equal(errorCode(results[0]![4]!), 'SESSION_EXPIRED', "'old' was silent for over an hour of log time");
  t.equal(replicas[0]!.get('k'), '4', 'the refused write was not applied');
  t.same(replicas[0]!.toSnapshot().sessions.map((s) => s[0]), ['busy']);
  t.throws(() => new KvStateMachine({ sessionTimeoutMs: 0 }), { code: 'BAD_CONFIG' });
});
