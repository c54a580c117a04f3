import t from 'tap';
import { Prng } from './prng.js';
import { checkLinearizability, formatOp, type HistoryOp } from './linearizability.js';

// Compact constructors: ret === null means the op never returned (timed out).
const get = (client: number, key: string, result: string | null, call: number, ret: number | null): HistoryOp => ({
  client, op: 'get', key, result, call, return: ret,
});
const set = (client: number, key: string, value: string, call: number, ret: number | null, ok?: boolean): HistoryOp => ({
  client, op: 'set', key, value, call, return: ret, ...(ok === undefined ? {} : { ok }),
});
const del = (client: number, key: string, result: number | undefined, call: number, ret: number | null): HistoryOp => ({
  client, op: 'del', key, call, return: ret, ...(result === undefined ? {} : { result }),
});
const cas = (
  client: number, key: string, expected: string | null, value: string, result: boolean | undefined, call: number, ret: number | null,
): HistoryOp => ({ client, op: 'cas', key, expected, value, call, return: ret, ...(result === undefined ? {} : { result }) });

t.test('classic histories (table)', async (t) => {
  const table: Array<[name: string, ok: boolean, history: HistoryOp[]]> = [
    ['empty history', true, []],
    ['read of an absent key is null', true, [get(1, 'x', null, 0, 1)]],
    ['read your write', true, [set(1, 'x', '1', 0, 10), get(1, 'x', '1', 20, 30)]],
    ['stale read after a completed write', false, [set(1, 'x', '0', 0, 5), set(1, 'x', '1', 10, 20), get(2, 'x', '0', 30, 40)]],
    ['stale read of absent after a completed write', false, [set(1, 'x', '1', 0, 10), get(2, 'x', null, 20, 30)]],
    ['read concurrent with a write may see old', true, [set(1, 'x', '0', 0, 5), set(1, 'x', '1', 10, 20), get(2, 'x', '0', 15, 40)]],
    ['read concurrent with a write may see new', true, [set(1, 'x', '0', 0, 5), set(1, 'x', '1', 10, 20), get(2, 'x', '1', 15, 40)]],
    ['a read that saw the new value forbids a later read of the old', false, [
      set(1, 'x', '0', 0, 5), set(1, 'x', '1', 10, 100), get(2, 'x', '1', 20, 30), get(3, 'x', '0', 40, 50),
    ]],
    ['equal timestamps count as concurrent', true, [set(1, 'x', '1', 0, 10), get(2, 'x', null, 10, 20)]],
    ['read of a value never written', false, [set(1, 'x', '1', 0, 100), get(2, 'x', '2', 10, 20)]],
    ['concurrent writes: readers agree on an order', true, [
      set(1, 'x', '1', 0, 100), set(2, 'x', '2', 0, 100),
      get(3, 'x', '1', 10, 20), get(3, 'x', '2', 30, 40),
      get(4, 'x', '1', 10, 20), get(4, 'x', '2', 30, 40),
    ]],
    ['concurrent writes seen in inconsistent orders', false, [
      set(1, 'x', '1', 0, 100), set(2, 'x', '2', 0, 100),
      get(3, 'x', '1', 10, 20), get(3, 'x', '2', 30, 40),
      get(4, 'x', '2', 10, 20), get(4, 'x', '1', 30, 40),
    ]],
    ['after both writes complete the value is stable', false, [
      set(1, 'x', '1', 0, 10), set(2, 'x', '2', 0, 10), get(3, 'x', '1', 20, 30), get(3, 'x', '2', 40, 50),
    ]],
    ['timed-out write observed', true, [set(1, 'x', '1', 0, null), get(2, 'x', '1', 50, 60)]],
    ['timed-out write not observed', true, [set(1, 'x', '1', 0, null), get(2, 'x', null, 50, 60)]],
    ['timed-out write observed late, long after the client gave up', true, [
      set(1, 'x', '1', 0, null), get(2, 'x', null, 50, 60), get(2, 'x', '1', 5000, 5001),
    ]],
    ['timed-out write observed, then unobserved', false, [
      set(1, 'x', '1', 0, null), get(2, 'x', '1', 50, 60), get(2, 'x', null, 70, 80),
    ]],
    ['timed-out write observed before it was issued', false, [set(1, 'x', '1', 10, null), get(2, 'x', '1', 0, 5)]],
    ['a definitely failed write never takes effect', false, [set(1, 'x', '1', 0, 10, false), get(2, 'x', '1', 20, 30)]],
    ['a definitely failed write is ignored', true, [set(1, 'x', '1', 0, 10, false), get(2, 'x', null, 20, 30)]],
    ['timed-out read constrains nothing', true, [set(1, 'x', '1', 0, 10), get(2, 'x', 'zzz', 20, null)]],
    ['del reports whether the key existed', true, [set(1, 'x', '1', 0, 10), del(2, 'x', 1, 20, 30), del(2, 'x', 0, 40, 50), get(3, 'x', null, 60, 70)]],
    ['del of an existing key cannot remove 0', false, [set(1, 'x', '1', 0, 10), del(2, 'x', 0, 20, 30)]],
    ['timed-out del may explain an absent read', true, [set(1, 'x', '1', 0, 10), del(2, 'x', undefined, 20, null), get(3, 'x', null, 40, 50)]],
    ['cas on absent swaps', true, [cas(1, 'x', null, 'a', true, 0, 10), get(2, 'x', 'a', 20, 30)]],
    ['cas with the wrong expected value fails', true, [set(1, 'x', '1', 0, 10), cas(2, 'x', '0', 'a', false, 20, 30), get(3, 'x', '1', 40, 50)]],
    ['cas cannot fail when the value matched and nothing raced', false, [set(1, 'x', '1', 0, 10), cas(2, 'x', '1', 'a', false, 20, 30)]],
    ['cas cannot succeed against the wrong value', false, [set(1, 'x', '1', 0, 10), cas(2, 'x', '0', 'a', true, 20, 30)]],
    ['two concurrent cas from the same value cannot both win', false, [
      set(1, 'x', '0', 0, 10), cas(2, 'x', '0', 'a', true, 20, 40), cas(3, 'x', '0', 'b', true, 20, 40),
    ]],
    ['two concurrent cas from the same value: one wins', true, [
      set(1, 'x', '0', 0, 10), cas(2, 'x', '0', 'a', true, 20, 40), cas(3, 'x', '0', 'b', false, 20, 40), get(4, 'x', 'a', 50, 60),
    ]],
    ['the losing cas cannot be the visible one', false, [
      set(1, 'x', '0', 0, 10), cas(2, 'x', '0', 'a', true, 20, 40), cas(3, 'x', '0', 'b', false, 20, 40), get(4, 'x', 'b', 50, 60),
    ]],
    ['a cas chain may succeed twice', true, [
      cas(2, 'x', null, 'a', true, 0, 40), cas(3, 'x', 'a', 'b', true, 0, 40), get(4, 'x', 'b', 50, 60),
    ]],
    ['timed-out cas may or may not have swapped', true, [
      set(1, 'x', '0', 0, 10), cas(2, 'x', '0', 'a', undefined, 20, null), get(3, 'x', '0', 30, 40), get(3, 'x', 'a', 50, 60),
    ]],
    ['keys are independent', true, [set(1, 'x', '1', 0, 10), set(1, 'y', '2', 20, 30), get(2, 'x', '1', 40, 50), get(2, 'y', '2', 40, 50)]],
    ['values of one key do not leak to another', false, [set(1, 'x', '1', 0, 10), get(2, 'y', '1', 20, 30)]],
  ];
  for (const [name, ok, history] of table) {
    const r = checkLinearizability(history);
    t.equal(r.ok, ok, name);
    if (ok === false) t.type(r.explanation, 'string', `${name}: explained`);
  }
});

t.test('the failure names the key and the ops involved', async (t) => {
  const history = [
    set(1, 'a', '1', 0, 10), get(2, 'a', '1', 20, 30), // fine
    set(1, 'b', '0', 0, 5), set(1, 'b', '1', 10, 20), get(7, 'b', '0', 30, 40),
  ];
  const r = checkLinearizability(history);
  t.equal(r.ok, false);
  t.equal(r.key, 'b');
  t.comment(r.explanation ?? '');
  t.match(r.explanation, /key "b": not linearizable/);
  t.match(r.explanation, /Longest linearizable prefix found: 2 ops, leaving the value "1"/);
  t.match(r.explanation, /#4 client 7: get\("b"\) = "0"  \[30, 40\]/);
  t.notMatch(r.explanation, /"a"/, 'ops of other keys are not mentioned');
  t.equal(formatOp(cas(3, 'k', null, 'v', undefined, 1, null)), 'client 3: cas("k", null -> "v") = ?  [1, never returned]');
});

t.test('step budget: gives up with ok undefined instead of hanging', async (t) => {
  // 16 concurrent writes of distinct values and a final read of a value none wrote: refuting it
  // needs every subset of the writes to be tried.
  const history: HistoryOp[] = [];
  for (let i = 0; i < 16; i++) history.push(set(i, 'x', `v${i}`, 0, 100));
  history.push(get(99, 'x', 'never', 200, 210));
  const r = checkLinearizability(history, { maxStepsPerKey: 1000 });
  t.equal(r.ok, undefined);
  t.equal(r.key, 'x');
  t.match(r.explanation, /gave up after 1000 search steps/);
  t.ok(r.steps <= 1001);
  // With 10 writes and the default budget it is refuted: the memo cache bounds the search by
  // (subsets of writes) x (values), about 2^10 x 11 configurations, instead of 10! orders.
  const ten = [...history.slice(0, 10), history[16]];
  const full = checkLinearizability(ten);
  t.equal(full.ok, false);
  t.ok(full.steps < 200_000, `refuted in ${full.steps} steps`);
  // A definite failure on another key wins over an unknown one.
  const both = checkLinearizability([...history, set(1, 'y', '1', 0, 1), get(2, 'y', '2', 5, 6)], { maxStepsPerKey: 1000 });
  t.equal(both.ok, false);
  t.equal(both.key, 'y');
});

t.test('malformed histories are refused with BAD_HISTORY', async (t) => {
  const good = set(1, 'x', '1', 0, 10);
  const garbage: unknown[] = [
    null,
    'history',
    [null],
    [42],
    [{}],
    [{ ...good, op: 'incr' }],
    [{ ...good, client: {} }],
    [{ ...good, key: 1 }],
    [{ ...good, call: NaN }],
    [{ ...good, call: '0' }],
    [{ ...good, return: Infinity }],
    [{ ...good, return: -1 }],
    [{ ...good, value: undefined }],
    [{ ...good, ok: 'yes' }],
    [{ ...cas(1, 'x', null, 'v', true, 0, 1), expected: undefined }],
    [{ ...cas(1, 'x', null, 'v', true, 0, 1), result: 1 }],
    [{ ...get(1, 'x', null, 0, 1), result: 5 }],
    [{ ...del(1, 'x', 1, 0, 1), result: 'one' }],
  ];
  for (const [i, g] of garbage.entries()) {
    t.throws(() => checkLinearizability(g as HistoryOp[]), { code: 'BAD_HISTORY' }, `garbage #${i} ${JSON.stringify(g)}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Randomized: histories produced by a real register, and mutations judged by a brute-force oracle.

interface GenOptions {
  clients: number;
  opsPerClient: number;
  keys: string[];
  values: string[];
  maxDuration: number;
  /** Fraction of ops that time out (never return); default 0.08. */
  timeoutRate?: number;
}

/**
 * Each client runs ops one after another; each op takes effect at a random instant strictly
 * inside its interval (or, if it timed out, at a random instant after its call, or never), and
 * results come from applying the effects to a real map in that order. Linearizable by construction.
 */
function generateHistory(rnd: () => number, o: GenOptions): HistoryOp[] {
  const ri = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: T[]): T => xs[ri(xs.length)];
  const ops: Array<{ op: HistoryOp; at: number | null }> = [];
  for (let c = 0; c < o.clients; c++) {
    let now = ri(5);
    for (let j = 0; j < o.opsPerClient; j++) {
      const duration = 1 + ri(o.maxDuration);
      const key = pick(o.keys);
      const r = rnd();
      const op: HistoryOp =
        r < 0.45 ? { client: c, op: 'get', key, call: now, return: now + duration }
        : r < 0.7 ? { client: c, op: 'set', key, value: pick(o.values), call: now, return: now + duration }
        : r < 0.8 ? { client: c, op: 'del', key, call: now, return: now + duration }
        : { client: c, op: 'cas', key, expected: rnd() < 0.25 ? null : pick(o.values), value: pick(o.values), call: now, return: now + duration };
      const fate = rnd();
      let at: number | null = now + (0.05 + 0.9 * rnd()) * duration;
      const timeoutRate = o.timeoutRate ?? 0.08;
      if (fate < timeoutRate) {
        op.return = null; // timed out: effect later, or never
        at = rnd() < 0.5 ? null : now + rnd() * duration * 3;
      } else if (fate < timeoutRate + 0.04) {
        op.ok = false; // definite failure
        at = null;
      }
      ops.push({ op, at });
      now += duration + ri(4);
    }
  }
  const register = new Map<string, string>();
  for (const { op, at } of [...ops].filter((x) => x.at !== null).sort((a, b) => a.at! - b.at!)) {
    const cur = register.get(op.key) ?? null;
    let result: unknown;
    switch (op.op) {
      case 'get': result = cur; break;
      case 'set': register.set(op.key, op.value as string); result = 'OK'; break;
      case 'del': result = cur === null ? 0 : 1; register.delete(op.key); break;
      case 'cas':
        result = cur === op.expected;
        if (result) register.set(op.key, op.value as string);
        break;
    }
    if (op.return !== null) op.result = result; // a timed-out client never sees its result
  }
  return ops.map((x) => x.op);
}

/** Independent oracle: tries every subset of pending ops and every real-time-respecting order. */
function bruteForce(history: HistoryOp[]): boolean {
  const keys = new Set(history.map((o) => o.key));
  for (const key of keys) {
    const ops = history.filter((o) => o.key === key && o.ok !== false);
    const required = ops.filter((o) => o.return !== null);
    const optional = ops.filter((o) => o.return === null);
    let found = false;
    for (let mask = 0; mask < 1 << optional.length && !found; mask++) {
      const chosen = [...required, ...optional.filter((_, i) => mask & (1 << i))];
      const used = new Array<boolean>(chosen.length).fill(false);
      // a must come before b when a returned strictly before b was called.
      const before = (a: HistoryOp, b: HistoryOp) => a.return !== null && a.return < b.call;
      const dfs = (state: string | null, depth: number): boolean => {
        if (depth === chosen.length) return true;
        for (let i = 0; i < chosen.length; i++) {
          if (used[i]) continue;
          const o = chosen[i];
          if (chosen.some((p, j) => !used[j] && j !== i && before(p, o))) continue;
          let next: string | null = state;
          if (o.op === 'get') { if (o.result !== undefined && o.result !== state) continue; }
          else if (o.op === 'set') next = o.value as string;
          else if (o.op === 'del') { if (o.result !== undefined && o.result !== (state === null ? 0 : 1)) continue; next = null; }
          else {
            const swap = state === o.expected;
            if (o.result !== undefined && o.result !== swap) continue;
            if (swap) next = o.value as string;
          }
          used[i] = true;
          if (dfs(next, depth + 1)) return true;
          used[i] = false;
        }
        return false;
      };
      found = dfs(null, 0);
    }
    if (!found) return false;
  }
  return true;
}

const baseSeed = Number(process.env.LIN_SEED ?? 1);

t.test('randomized: histories of a real register are linearizable', async (t) => {
  t.comment(`seeds ${baseSeed}..${baseSeed + 59} (replay with LIN_SEED=${baseSeed})`);
  let totalOps = 0;
  for (let i = 0; i < 60; i++) {
    const seed = baseSeed + i;
    const history = generateHistory(new Prng(seed).asFunction(), {
      clients: 2 + (i % 6),
      opsPerClient: 10 + (i % 5) * 10,
      keys: i % 3 === 0 ? ['k'] : ['a', 'b', 'c'],
      values: ['1', '2', '3'],
      maxDuration: 5 + (i % 4) * 15,
    });
    totalOps += history.length;
    const r = checkLinearizability(history);
    if (r.ok !== true) {
      t.fail(`seed ${seed}: expected linearizable, got ${r.ok}\n${r.explanation}`);
      return;
    }
  }
  t.pass(`60 histories, ${totalOps} ops, all linearizable`);
});

t.test('randomized: a read of a never-written value is always caught', async (t) => {
  let refuted = 0;
  for (let i = 0; i < 40; i++) {
    const seed = baseSeed + 1000 + i;
    const rnd = new Prng(seed).asFunction();
    const history = generateHistory(rnd, { clients: 4, opsPerClient: 25, keys: ['a', 'b'], values: ['1', '2'], maxDuration: 20 });
    const reads = history.filter((o) => o.op === 'get' && o.return !== null && o.ok !== false);
    if (reads.length === 0) continue;
    const victim = reads[Math.floor(rnd() * reads.length)];
    victim.result = 'never-written';
    const r = checkLinearizability(history);
    if (r.ok !== false || r.key !== victim.key) {
      t.fail(`seed ${seed}: mutated read not caught (ok=${r.ok}, key=${r.key})`);
      return;
    }
    refuted++;
  }
  t.equal(refuted, 40, 'all 40 histories had a read to mutate, and each mutation was refuted');
});

t.test('randomized: agrees with a brute-force oracle on small mutated histories', async (t) => {
  const counts = { linearizable: 0, not: 0 };
  for (let i = 0; i < 400; i++) {
    const seed = baseSeed + 5000 + i;
    const rnd = new Prng(seed).asFunction();
    const history = generateHistory(rnd, { clients: 2 + (i % 2), opsPerClient: 3, keys: ['k'], values: ['1', '2'], maxDuration: 10 });
    // Mutate one thing at random (or nothing, one time in five).
    const victim = history[Math.floor(rnd() * history.length)];
    const m = rnd();
    if (m < 0.3 && victim.op === 'get') victim.result = [null, '1', '2'][Math.floor(rnd() * 3)];
    else if (m < 0.45 && victim.op === 'cas' && victim.result !== undefined) victim.result = !victim.result;
    else if (m < 0.55 && victim.op === 'del' && victim.result !== undefined) victim.result = 1 - (victim.result as number);
    else if (m < 0.65) victim.call = Math.max(0, victim.call - 5 + Math.floor(rnd() * 10));
    else if (m < 0.72) victim.ok = victim.ok === false ? undefined : false;
    else if (m < 0.8) victim.return = null;
    if (victim.return !== null && victim.return < victim.call) victim.return = victim.call;
    const expected = bruteForce(history);
    const got = checkLinearizability(history).ok;
    if (got !== expected) {
      t.fail(`seed ${seed}: checker says ${got}, brute force says ${expected}\n${JSON.stringify(history)}`);
      return;
    }
    counts[expected ? 'linearizable' : 'not']++;
  }
  t.ok(counts.linearizable > 20 && counts.not > 20, `both verdicts exercised: ${JSON.stringify(counts)}`);
});

t.test('a long, highly concurrent history checks quickly', async (t) => {
  // 2,000 ops on one hot key, about 10 in flight at any time, 2% timeouts, 4% failures.
  // (Many more never-returned writes on one key make the search much slower: see the budget.)
  const history = generateHistory(new Prng(baseSeed + 9000).asFunction(), {
    clients: 10, opsPerClient: 200, keys: ['hot'], values: ['1', '2', '3', '4'], maxDuration: 40, timeoutRate: 0.02,
  });
  const start = process.hrtime.bigint();
  const r = checkLinearizability(history);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.equal(r.ok, true, `${history.length} ops on one key, ${r.steps} steps, ${ms.toFixed(0)} ms`);
});
