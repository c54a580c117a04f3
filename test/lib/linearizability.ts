/**
 * A linearizability checker for histories of KV operations recorded by tests (e2e, bench, sim).
 *
 * Model: every key is an independent register whose absent value is null. Linearizability is
 * P-compositional (Herlihy & Wing): a history is linearizable iff each key's sub-history is, so
 * the check runs per key and a failure names the key.
 *
 * Algorithm: Wing & Gong's search with Lowe's memoisation ("Testing for linearizability", 2017),
 * the same as Porcupine and Knossos's WGL checker. Calls and returns form a time-ordered linked
 * list; the search repeatedly linearizes a call that is minimal (appears before the first
 * return), lifts it (and its return) out of the list, and backtracks when the first remaining
 * event is a return whose call could not be linearized. A cache of (set of linearized ops, state)
 * prunes configurations already explored — two paths that linearized the same ops and reached
 * the same register value have the same future. Two sound reductions on top (see candidates()):
 * a read that fits now is linearized at once without branching, and a never-returned op is
 * tried only where it changes the state. Worst case stays exponential (the problem is
 * NP-complete), hence the step budget; many never-returned writes on one hot key are the
 * slow case.
 *
 * Recording rules, which decide what the checker may assume:
 * - `call` is taken before the request is sent and `return` after the reply arrives; any
 *   monotonic clock works. Equal timestamps count as concurrent (calls sort before returns), so
 *   coarse clocks can hide a violation but never invent one.
 * - `ok: false` is a definite failure (e.g. NOT_LEADER before proposing): the op did not take
 *   effect and is dropped.
 * - An op whose outcome is unknown (timeout, connection lost) must be recorded with
 *   `return: null`, even though the client saw *something* at some time: the write may still take
 *   effect later. Such an op is treated as ending at +infinity and is optional — it may be
 *   linearized anywhere after its call, or not at all. Its `result` is unknown and not checked.
 * - `del` is per key here: `result` is 1 if the key existed, 0 if not (split multi-key deletes).
 */

export type HistoryOpKind = 'get' | 'set' | 'del' | 'cas';

export interface HistoryOp {
  client: string | number;
  op: HistoryOpKind;
  key: string;
  /** set, cas: the value written. */
  value?: string | null;
  /** cas: the value required (null = key must be absent). */
  expected?: string | null;
  /** When the request was issued. */
  call: number;
  /** When the reply arrived; null = no reply (may or may not take effect, any time after call). */
  return: number | null;
  /** get: value read (string|null); cas: boolean; del: number of keys removed; set: ignored. */
  result?: unknown;
  /** false = definite failure: the op did not take effect. */
  ok?: boolean;
}

export interface CheckOptions {
  /** Search steps allowed per key before giving up with `ok: undefined`. Default 2,000,000. */
  maxStepsPerKey?: number;
}

export interface CheckResult {
  /** true: linearizable; false: not (see key, explanation); undefined: step budget exhausted. */
  ok: boolean | undefined;
  /** The first (in sorted order) key that failed, or that exhausted the budget. */
  key?: string;
  /** Human-readable account of the failure: the longest linearizable prefix and where it sticks. */
  explanation?: string;
  /** Search steps used, summed over keys. */
  steps: number;
}

export class HistoryError extends Error {
  readonly code = 'BAD_HISTORY';
  constructor(message: string) {
    super(message);
    this.name = 'HistoryError';
  }
}

export const DEFAULT_MAX_STEPS_PER_KEY = 2_000_000;

/** Register state: a string, or null for absent. */
type RegState = string | null;

/** Returned by the model when an op cannot happen in the given state. */
const IMPOSSIBLE = Symbol('IMPOSSIBLE');

/** An op normalised for the search. `id` is its position in the key's op list. */
interface KeyOp {
  /**
   * Position in the linearized-set bitset: completed ops are numbered 0.. in call order, never-
   * returned ops 0.. in a second bitset of their own (see LinearizedSet).
   */
  bit: number;
  /** Index in the caller's history, for explanations and deterministic tie-breaks. */
  historyIndex: number;
  src: HistoryOp;
  completed: boolean;
}

/** A node of the event list: a call (with a link to its return, if any) or a return. */
interface EventNode {
  op: KeyOp | null; // null only for the head sentinel
  isCall: boolean;
  /** For a call: its return node, or null when the op never returned. */
  match: EventNode | null;
  prev: EventNode | null;
  next: EventNode | null;
}

/**
 * Checks a whole history. Throws HistoryError (code BAD_HISTORY) on malformed input; otherwise
 * never throws and always terminates within the step budget.
 */
export function checkLinearizability(history: readonly HistoryOp[], options: CheckOptions = {}): CheckResult {
  const maxSteps = options.maxStepsPerKey ?? DEFAULT_MAX_STEPS_PER_KEY;
  if (!Array.isArray(history)) throw new HistoryError('history must be an array');
  const byKey = new Map<string, Array<{ op: HistoryOp; index: number }>>();
  history.forEach((op, index) => {
    validateOp(op, index);
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push({ op, index });
  });
  let steps = 0;
  let unknown: CheckResult | undefined;
  for (const key of [...byKey.keys()].sort()) {
    const r = checkKey(key, byKey.get(key)!, maxSteps);
    steps += r.steps;
    if (r.ok === false) return { ...r, steps };
    if (r.ok === undefined && unknown === undefined) unknown = r;
  }
  return unknown === undefined ? { ok: true, steps } : { ...unknown, steps };
}

function validateOp(op: unknown, i: number): asserts op is HistoryOp {
  const bad = (why: string): never => {
    throw new HistoryError(`history[${i}]: ${why}`);
  };
  if (typeof op !== 'object' || op === null) bad('not an object');
  const o = op as Record<string, unknown>;
  if (typeof o.client !== 'string' && typeof o.client !== 'number') bad('client must be a string or number');
  if (o.op !== 'get' && o.op !== 'set' && o.op !== 'del' && o.op !== 'cas') bad(`unknown op ${JSON.stringify(o.op)}`);
  if (typeof o.key !== 'string') bad('key must be a string');
  if (typeof o.call !== 'number' || !Number.isFinite(o.call)) bad('call must be a finite number');
  if (o.return !== null && (typeof o.return !== 'number' || !Number.isFinite(o.return))) {
    bad('return must be a finite number or null');
  }
  if (typeof o.return === 'number' && o.return < (o.call as number)) bad('return is before call');
  if (o.ok !== undefined && typeof o.ok !== 'boolean') bad('ok must be a boolean if present');
  if ((o.op === 'set' || o.op === 'cas') && typeof o.value !== 'string') bad(`${o.op} needs a string value`);
  if (o.op === 'cas' && o.expected !== null && typeof o.expected !== 'string') bad('cas needs expected (string or null)');
  if (o.result !== undefined) {
    if (o.op === 'get' && o.result !== null && typeof o.result !== 'string') bad('get result must be a string or null');
    if (o.op === 'cas' && typeof o.result !== 'boolean') bad('cas result must be a boolean');
    if (o.op === 'del' && (typeof o.result !== 'number' || !Number.isInteger(o.result))) bad('del result must be an integer');
  }
}

/** The sequential specification of one register. Results that are undefined are not checked. */
function stepModel(state: RegState, op: HistoryOp): RegState | typeof IMPOSSIBLE {
  switch (op.op) {
    case 'get':
      return op.result === undefined || op.result === state ? state : IMPOSSIBLE;
    case 'set':
      return op.value as string;
    case 'del':
      if (op.result !== undefined && op.result !== (state === null ? 0 : 1)) return IMPOSSIBLE;
      return null;
    case 'cas': {
      const swapped = state === op.expected;
      if (op.result !== undefined && op.result !== swapped) return IMPOSSIBLE;
      return swapped ? (op.value as string) : state;
    }
  }
}

/** Ops that can never change the state, whatever it is: a get, or a cas known to have failed. */
function isReadLike(op: HistoryOp): boolean {
  return op.op === 'get' || (op.op === 'cas' && op.result === false);
}

/** Whether an op constrains or changes anything; ops that do neither are left out of the search. */
function matters(op: HistoryOp): boolean {
  if (op.ok === false) return false; // definitely did not happen
  if (op.op === 'get') return op.return !== null && op.result !== undefined; // an unseen read constrains nothing
  return true;
}

/**
 * The set of linearized ops of one key, and its memo key together with a register state.
 *
 * Why two bitsets and a window: completed ops are numbered in call order and the search
 * linearizes them roughly in that order, so the set is "everything below `lo`" plus a few bits
 * in a short window above it. Encoding only the window keeps memo keys short (tens of chars
 * instead of n/16) — with long histories, building and hashing whole bitsets dominated the
 * run time through garbage collection. Never-returned ops would pin `lo` forever if numbered
 * with the rest, so they get their own, usually small, bitset which is encoded whole.
 * Invariants: every word below `lo` is all ones; every word above `hi` is zero.
 */
class LinearizedSet {
  private readonly done: Uint32Array;
  private readonly pending: Uint32Array;
  /** Lowest word of `done` that is not all ones. */
  private lo = 0;
  /** Highest word of `done` that is non-zero, or -1. */
  private hi = -1;

  constructor(completedCount: number, pendingCount: number) {
    this.done = new Uint32Array(Math.ceil(completedCount / 32) + 1);
    this.pending = new Uint32Array(Math.ceil(pendingCount / 32));
  }

  add(op: KeyOp): void {
    const w = op.bit >>> 5;
    const mask = 1 << (op.bit & 31);
    if (!op.completed) {
      this.pending[w] |= mask;
      return;
    }
    this.done[w] |= mask;
    if (w > this.hi) this.hi = w;
    while (this.done[this.lo] === 0xffffffff) this.lo++;
  }

  delete(op: KeyOp): void {
    const w = op.bit >>> 5;
    const mask = ~(1 << (op.bit & 31));
    if (!op.completed) {
      this.pending[w] &= mask;
      return;
    }
    this.done[w] &= mask;
    if (w < this.lo) this.lo = w;
    while (this.hi >= 0 && this.done[this.hi] === 0) this.hi--;
  }

  /** An exact encoding of (this set, state): equal strings iff equal sets and states. */
  key(state: RegState): string {
    const count = Math.max(0, this.hi - this.lo + 1);
    // Layout: lo, count, `count` window words, the pending words (fixed number), a null/string
    // marker, then the state string: every part has a known length, so the encoding is exact.
    const codes: number[] = [this.lo & 0xffff, this.lo >>> 16, count & 0xffff, count >>> 16];
    for (let w = this.lo; w <= this.hi; w++) codes.push(this.done[w] & 0xffff, this.done[w] >>> 16);
    for (const word of this.pending) codes.push(word & 0xffff, word >>> 16);
    codes.push(state === null ? 0 : 1);
    const prefix = String.fromCharCode(...codes);
    return state === null ? prefix : prefix + state;
  }
}

function checkKey(
  key: string,
  entries: Array<{ op: HistoryOp; index: number }>,
  maxSteps: number,
): CheckResult & { steps: number } {
  const relevant = entries.filter((e) => matters(e.op)).sort((a, b) => a.op.call - b.op.call || a.index - b.index);
  let completedCount = 0;
  let pendingCount = 0;
  const ops: KeyOp[] = relevant.map(({ op, index }) => {
    const completed = op.return !== null;
    return { bit: completed ? completedCount++ : pendingCount++, historyIndex: index, src: op, completed };
  });

  // Build the time-ordered event list. Ties: calls before returns (concurrent), then by history index
  // so the search order, and hence the explanation, is deterministic.
  const head: EventNode = { op: null, isCall: false, match: null, prev: null, next: null };
  const events: EventNode[] = [];
  for (const op of ops) {
    const call: EventNode = { op, isCall: true, match: null, prev: null, next: null };
    events.push(call);
    if (op.completed) {
      const ret: EventNode = { op, isCall: false, match: null, prev: null, next: null };
      call.match = ret;
      events.push(ret);
    }
  }
  const timeOf = (e: EventNode) => (e.isCall ? e.op!.src.call : (e.op!.src.return as number));
  events.sort((a, b) => timeOf(a) - timeOf(b) || Number(b.isCall) - Number(a.isCall) || a.op!.historyIndex - b.op!.historyIndex);
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (call: EventNode) => {
    call.prev!.next = call.next;
    if (call.next) call.next.prev = call.prev;
    const ret = call.match;
    if (ret) {
      ret.prev!.next = ret.next;
      if (ret.next) ret.next.prev = ret.prev;
    }
  };
  // Exact inverse of lift, relying on the list being restored in LIFO order.
  const unlift = (call: EventNode) => {
    const ret = call.match;
    if (ret) {
      ret.prev!.next = ret;
      if (ret.next) ret.next.prev = ret;
    }
    call.prev!.next = call;
    if (call.next) call.next.prev = call;
  };

  const linearized = new LinearizedSet(completedCount, pendingCount);
  const cache = new Set<string>();

  /**
   * The calls that may be linearized next from `state`: those before the first return in the
   * list (a call after it began after that op ended, so cannot precede it).
   *
   * Partial-order reduction: if one of them is a completed read-like op (a get, or a cas that
   * reported false) that is valid in `state`, it is the only candidate. Linearizing it now loses
   * no solution: it never changes the state, and any linearization that places it later stays
   * valid with it moved here (nothing unlinearized returned before its call). Without this,
   * many concurrent reads make the search branch over their orders for nothing.
   *
   * Otherwise completed ops come first and never-returned ones last: the order changes no
   * verdict, only speed — a pending write is optional, worth trying when no completed op fits.
   */
  const candidates = (state: RegState): EventNode[] => {
    const completed: EventNode[] = [];
    const pending: EventNode[] = [];
    for (let e = head.next; e !== null && e.isCall; e = e.next) {
      const op = e.op!;
      if (!op.completed) {
        // A never-returned op that would not change the state is pointless to linearize: it
        // only removes an option, so where it leads is dominated by where we are.
        const next = stepModel(state, op.src);
        if (next !== IMPOSSIBLE && next !== state) pending.push(e);
        continue;
      }
      if (isReadLike(op.src) && stepModel(state, op.src) !== IMPOSSIBLE) return [e];
      completed.push(e);
    }
    return pending.length === 0 ? completed : completed.concat(pending);
  };
  /** Every unlinearized op called before the first return: the ops in flight at this point. */
  const callsInWindow = (): KeyOp[] => {
    const out: KeyOp[] = [];
    for (let e = head.next; e !== null && e.isCall; e = e.next) out.push(e.op!);
    return out;
  };
  /** The op whose return ends the current window (the one that must be linearized by then). */
  const firstReturn = (): KeyOp => {
    let e = head.next;
    while (e !== null && e.isCall) e = e.next;
    // Invariant: an unlinearized completed op keeps its return in the list.
    if (e === null) throw new Error('LINEARIZABILITY_INVARIANT: no return event left in the list');
    return e.op!;
  };

  /**
   * Depth-first search with explicit frames (no recursion: histories may be long). Frame d holds
   * the state after d linearized ops, the candidates at that point, and which one is being tried.
   * Invariant: frames[d].cands[frames[d].i] for d < top are exactly the lifted (linearized) calls.
   */
  interface Frame { state: RegState; cands: EventNode[]; i: number }
  const frames: Frame[] = [{ state: null, cands: candidates(null), i: 0 }];
  let remaining = completedCount;
  let steps = 0;
  // The deepest dead end seen, for the explanation.
  let best: DeadEnd | null = null;

  while (remaining > 0) {
    if (++steps > maxSteps) {
      return {
        ok: undefined,
        key,
        steps,
        explanation: `key ${JSON.stringify(key)}: gave up after ${maxSteps} search steps over ${ops.length} ops (raise maxStepsPerKey or shorten the history)`,
      };
    }
    const top = frames[frames.length - 1];
    if (top.i < top.cands.length) {
      const call = top.cands[top.i];
      const op = call.op!;
      const next = stepModel(top.state, op.src);
      if (next === IMPOSSIBLE) {
        top.i++;
        continue;
      }
      linearized.add(op);
      const k = linearized.key(next);
      if (cache.has(k)) {
        linearized.delete(op);
        top.i++;
        continue;
      }
      cache.add(k);
      lift(call);
      if (op.completed) remaining--;
      frames.push({ state: next, cands: candidates(next), i: 0 });
      continue;
    }
    // Dead end: every candidate failed, so the first return's op cannot be linearized in time.
    if (best === null || frames.length - 1 > best.prefix.length) {
      best = {
        prefix: frames.slice(0, -1).map((f) => f.cands[f.i].op!),
        state: top.state,
        blocked: firstReturn(),
        inFlight: callsInWindow(),
      };
    }
    frames.pop();
    if (frames.length === 0) break;
    const parent = frames[frames.length - 1];
    const undone = parent.cands[parent.i];
    linearized.delete(undone.op!);
    if (undone.op!.completed) remaining++;
    unlift(undone);
    parent.i++;
  }
  if (remaining === 0) return { ok: true, steps };
  return { ok: false, key, steps, explanation: explain(key, ops.length, best!) };
}

function show(v: unknown): string {
  return v === undefined ? '?' : JSON.stringify(v);
}

/** One op as a line: `#12 client 3: cas(k, "a" -> "b") = true  [20, 31]`. */
export function formatOp(op: HistoryOp, historyIndex?: number): string {
  const k = JSON.stringify(op.key);
  let body: string;
  switch (op.op) {
    case 'get':
      body = `get(${k}) = ${show(op.result)}`;
      break;
    case 'set':
      body = `set(${k}, ${show(op.value)})`;
      break;
    case 'del':
      body = `del(${k})${op.result === undefined ? '' : ` = ${show(op.result)}`}`;
      break;
    case 'cas':
      body = `cas(${k}, ${show(op.expected)} -> ${show(op.value)}) = ${show(op.result)}`;
      break;
  }
  const when = op.return === null ? `[${op.call}, never returned]` : `[${op.call}, ${op.return}]`;
  const failed = op.ok === false ? ' (failed)' : '';
  return `${historyIndex === undefined ? '' : `#${historyIndex} `}client ${op.client}: ${body}${failed}  ${when}`;
}

const EXPLAIN_PREFIX_TAIL = 12;
const EXPLAIN_IN_FLIGHT = 12;

/** The deepest point the search reached before failing, kept to explain a failure. */
interface DeadEnd {
  /** The ops linearized on the way, in order. */
  prefix: KeyOp[];
  /** The register value after them. */
  state: RegState;
  /** The op whose return came next but which could not be linearized (with any others) by then. */
  blocked: KeyOp;
  /** Unlinearized ops called before that return (blocked included). */
  inFlight: KeyOp[];
}

function explain(key: string, total: number, best: DeadEnd): string {
  const line = (o: KeyOp) => '  ' + formatOp(o.src, o.historyIndex);
  const lines = [`key ${JSON.stringify(key)}: not linearizable (${total} relevant ops).`];
  if (best.prefix.length === 0) {
    lines.push('No op can be linearized first.');
  } else {
    const shown = best.prefix.slice(-EXPLAIN_PREFIX_TAIL);
    lines.push(
      `Longest linearizable prefix found: ${best.prefix.length} ops` +
        (shown.length < best.prefix.length ? ` (last ${shown.length} shown)` : '') +
        `, leaving the value ${show(best.state)}:`,
      ...shown.map(line),
    );
  }
  lines.push(
    `Stuck: this op returned, yet it fits neither after that prefix nor after any other order tried:`,
    line(best.blocked),
  );
  const others = best.inFlight.filter((c) => c !== best.blocked);
  if (others.length > 0) {
    const shown = others.slice(0, EXPLAIN_IN_FLIGHT);
    lines.push(
      `Other ops in flight at that point${shown.length < others.length ? ` (first ${shown.length} of ${others.length})` : ''}:`,
      ...shown.map(line),
    );
  }
  return lines.join('\n');
}
