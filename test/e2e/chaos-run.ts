/**
 * A Jepsen-style run on real processes: clients in the three dialects write, compare-and-swap and
 * read a few keys through random nodes while a nemesis isolates nodes, cuts links (both ways or
 * one way), slows a node, kills one with SIGKILL and pauses one with SIGSTOP. One fault at a time
 * and a heal between faults, so a majority can always form again; at the end everything is healed,
 * every key is read through every node, and the whole history (final reads included) is checked
 * for linearizability with test/lib/linearizability.ts. An acknowledged write that was lost shows
 * as a violation: a later read (at the latest the final ones) would miss it.
 *
 * Used by chaos.test.ts (short, in `npm test`) and chaos-main.ts (`npm run chaos -- --seconds N`).
 */
import { checkLinearizability, type CheckResult, type HistoryOp } from '../lib/linearizability.js';
import { Prng } from '../lib/prng.js';
import { waitFor } from '../lib/wait-for.js';
import { ChaosClient, type ChaosOp, type Dialect } from './chaos-clients.js';
import type { Tap } from './harness.js';
import { startSupervised, type Supervised } from './supervised.js';

export interface ChaosOptions {
  seconds: number;
  seed: number;
  /** Clients per dialect. Default 2. */
  clientsPerDialect?: number;
  keys?: number;
  /** Progress lines (nemesis actions). */
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  ops: number;
  ok: number;
  failed: number;
  unknown: number;
  okWrites: number;
  okReadsOfValues: number;
  faults: Record<string, number>;
  finalReads: number;
  check: CheckResult;
}

const REQUEST_TIMEOUT_MS = 5000;
const DIALECTS: readonly Dialect[] = ['json', 'resp', 'inline'];

type Fault = 'isolate' | 'cut' | 'cut-one-way' | 'slow' | 'kill' | 'pause';
const FAULTS: readonly Fault[] = ['isolate', 'cut', 'cut-one-way', 'slow', 'kill', 'pause'];

/** Runs one client until `until()`: random ops on `keys` keys, unique values, recorded. */
async function clientLoop(c: ChaosClient, name: string, rand: Prng, keys: number, history: HistoryOp[], until: () => boolean): Promise<void> {
  let n = 0;
  let lastSeen: string | null = null;
  while (!until()) {
    const key = `k${rand.int(0, keys - 1)}`;
    const dice = rand.next();
    const value = `${name}-${n++}`;
    const op: ChaosOp = dice < 0.45 ? { op: 'get', key } : dice < 0.8 ? { op: 'set', key, value } : { op: 'cas', key, expected: lastSeen, value };
    const rec: HistoryOp = { client: name, ...op, call: performance.now(), return: null };
    const out = await c.request(op, REQUEST_TIMEOUT_MS);
    if (out.kind === 'ok') {
      rec.return = performance.now();
      rec.result = out.value;
      if (op.op === 'get') lastSeen = out.value as string | null;
      history.push(rec);
    } else if (out.kind === 'unknown') {
      if (op.op !== 'get') history.push(rec); // may still take effect; a read with no answer says nothing
      else rec.ok = false;
    } else {
      // A definite failure: recorded for the counts, dropped by the checker.
      rec.ok = false;
      history.push(rec);
    }
    // A down node refuses at once: do not spin on it.
    if (out.kind !== 'ok') await new Promise((r) => setTimeout(r, 20));
  }
}

/** Applies one fault to one node (or a pair) and returns how to undo it. */
async function inject(c: Supervised, fault: Fault, rand: Prng, ids: number[]): Promise<{ what: string; undo: () => Promise<void> }> {
  const leader = rand.chance(0.5) ? await c.supervisor.findLeader() : null;
  const victim = leader ?? rand.pick(ids);
  const other = rand.pick(ids.filter((id) => id !== victim));
  switch (fault) {
    case 'isolate':
      await c.supervisor.isolate(victim);
      return { what: `isolate ${victim}`, undo: async () => void (await c.supervisor.heal()) };
    case 'cut':
      await c.supervisor.cut(victim, other, false);
      return { what: `cut ${victim}<->${other}`, undo: async () => void (await c.supervisor.heal()) };
    case 'cut-one-way':
      await c.supervisor.cut(victim, other, true);
      return { what: `cut ${victim}->${other}`, undo: async () => void (await c.supervisor.heal()) };
    case 'slow': {
      const ms = rand.int(50, 400);
      await c.supervisor.slow(victim, ms);
      return { what: `slow ${victim} ${ms} ms`, undo: async () => void (await c.supervisor.heal()) };
    }
    case 'kill':
      await c.supervisor.kill(victim);
      return { what: `kill -9 ${victim}`, undo: async () => void (await c.supervisor.startNode(victim)) };
    case 'pause': {
      const pid = c.supervisor.node(victim).pid;
      if (pid === null) return { what: `pause ${victim} (not running)`, undo: async () => {} };
      process.kill(pid, 'SIGSTOP');
      return {
        what: `pause ${victim} (SIGSTOP)`,
        undo: async () => {
          try {
            process.kill(pid, 'SIGCONT');
          } catch {
            // It died meanwhile.
          }
        },
      };
    }
  }
}

export async function runChaos(t: Tap, opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const rand = new Prng(opts.seed);
  const keys = opts.keys ?? 4;
  const c = await startSupervised(t);
  const ids = c.cfg.nodes.map((n) => n.id);
  await c.waitForLeader();
  const history: HistoryOp[] = [];
  let stop = false;
  const clients: ChaosClient[] = [];
  const loops: Array<Promise<void>> = [];
  let k = 0;
  for (const dialect of DIALECTS) {
    for (let i = 0; i < (opts.clientsPerDialect ?? 2); i++) {
      const r = rand.fork(`client ${k}`);
      // Each request may go to another node: a client that sticks to a dead node learns nothing.
      const client = new ChaosClient(dialect, () => c.port(r.pick(ids)));
      clients.push(client);
      loops.push(clientLoop(client, `${dialect}${i}`, r, keys, history, () => stop));
      k++;
    }
  }
  t.teardown(() => clients.forEach((cl) => cl.close()));
  // Undo of the fault in force; kept where teardown can reach it (a paused node must be resumed).
  let undo: (() => Promise<void>) | null = null;
  t.teardown(async () => {
    await undo?.().catch(() => {});
  });

  const faults: Record<string, number> = {};
  const nemesis = rand.fork('nemesis');
  const endAt = performance.now() + opts.seconds * 1000;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, endAt - performance.now()))));
  while (performance.now() < endAt) {
    await sleep(nemesis.int(500, 1500)); // quiet: a majority can form and serve
    if (performance.now() >= endAt) break;
    const fault = nemesis.pick(FAULTS);
    const f = await inject(c, fault, nemesis, ids);
    undo = f.undo;
    faults[fault] = (faults[fault] ?? 0) + 1;
    log(`${((opts.seconds * 1000 - (endAt - performance.now())) / 1000).toFixed(1)}s ${f.what}`);
    await sleep(nemesis.int(1000, 3000));
    await f.undo();
    undo = null;
  }
  // ---- heal everything, let it settle, stop the clients, read every key through every node
  await c.supervisor.heal();
  for (const id of ids) if (c.supervisor.node(id).state !== 'up') await c.supervisor.startNode(id);
  await c.waitForLeader(ids, 30_000);
  stop = true;
  await Promise.all(loops);
  let finalReads = 0;
  for (const id of ids) {
    const reader = new ChaosClient('json', () => c.port(id));
    for (let i = 0; i < keys; i++) {
      const op: ChaosOp = { op: 'get', key: `k${i}` };
      const rec: HistoryOp = { client: `final@${id}`, ...op, call: performance.now(), return: null };
      const out = await waitFor(`final read of k${i} through node ${id}`, async () => {
        const o = await reader.request(op, REQUEST_TIMEOUT_MS);
        return o.kind === 'ok' ? o : null;
      }, 30_000);
      rec.return = performance.now();
      rec.result = out.value;
      history.push(rec);
      finalReads++;
    }
    reader.close();
  }
  for (const cl of clients) cl.close();

  const done = history.filter((h) => h.ok !== false);
  const ok = done.filter((h) => h.return !== null);
  return {
    seed: opts.seed,
    seconds: opts.seconds,
    ops: history.length,
    ok: ok.length,
    failed: history.length - done.length,
    unknown: done.length - ok.length,
    okWrites: ok.filter((h) => h.op !== 'get').length,
    okReadsOfValues: ok.filter((h) => h.op === 'get' && h.result !== null).length,
    faults,
    finalReads,
    check: checkLinearizability(history),
  };
}

/** The one verdict line. */
export function verdictLine(r: ChaosReport): string {
  const faults = Object.entries(r.faults).map(([f, n]) => `${f} ${n}`).join(', ') || 'none';
  const verdict = r.check.ok === true ? 'PASS: linearizable, no acknowledged write lost' : r.check.ok === false ? `FAIL: not linearizable on key ${r.check.key}` : `UNKNOWN: checker budget exhausted on key ${r.check.key}`;
  return `chaos ${r.seconds}s seed ${r.seed}: ${r.ops} ops (${r.ok} ok, ${r.failed} failed, ${r.unknown} unknown; ${r.okWrites} acknowledged writes), faults: ${faults}; ${r.finalReads} final reads; ${verdict}`;
}
