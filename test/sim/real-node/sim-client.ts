/**
 * A simulated client: the real client library (src/client/raftkv-client.ts) on the simulator's
 * clock, reaching the simulated nodes through SimConnection (sim-connection.ts), one operation at
 * a time. So the retries the simulator checks are the ones users run: a write keeps its seq
 * across timeouts, NOT_LEADER redirects and lost connections; SESSION_EXPIRED moves the client to
 * a new session; the give-up says whether a write may have been applied.
 *
 * This file only picks operations (from the seed) and records them for the linearizability
 * checker: call time, and return time and result, or no return (unknown outcome):
 *  - a call that resolves: ok, with its result;
 *  - a read that fails: failed (a failed read constrains nothing);
 *  - a write that fails with `details.maybeApplied`: unknown outcome; any other failed write was
 *    not applied (the library retried only errors that say so, or never reached a node);
 *  - an error no well-formed request of this client deserves (retry class `never`, other than
 *    SESSION_EXPIRED on a session the library already renewed once in that call) is a violation.
 */
import { RaftKvClient } from '../../../src/client/raftkv-client.js';
import { toRaftKvError } from '../../../src/protocol/errors.js';
import type { HistoryOp } from '../../lib/linearizability.js';
import type { Prng } from '../../lib/prng.js';
import { SimConnection, simClientClock, type ClientLink } from './sim-connection.js';
import type { SimScheduler } from './sim-scheduler.js';

export type { ClientLink };

export interface ClientTiming {
  /** Deadline of one call, retries included. */
  timeoutMs: number;
  /** Deadline of one try on one node. */
  attemptTimeoutMs: number;
  /** Pause between two calls: [0, thinkMsMax]. */
  thinkMsMax: number;
}

export interface ClientEvents {
  trace(line: string): void;
  /** A reply no correct node gives to this request. */
  unexpected(message: string): void;
}

export class SimClient {
  /** The client id its library was given (its sessions renewed are `${clientId}~N`). */
  readonly clientId: string;
  /** Call time of the newest call that succeeded (-1: none yet). */
  lastOkCallAt = -1;
  private readonly lib: RaftKvClient;
  private stopped = false;
  /** The call under way. */
  private op: HistoryOp | null = null;
  private opCount = 0;
  /** Last value this client saw for each key: what its cas expects. */
  private readonly seen = new Map<string, string | null>();

  constructor(
    readonly id: number,
    nodeCount: number,
    private readonly keys: readonly string[],
    private readonly prng: Prng,
    private readonly timing: ClientTiming,
    private readonly sched: SimScheduler,
    link: ClientLink,
    private readonly history: HistoryOp[],
    private readonly events: ClientEvents,
  ) {
    this.clientId = `c${id}`;
    // The library starts with its first node: rotate the list so clients start at different nodes.
    const first = prng.int(0, nodeCount - 1);
    const order = Array.from({ length: nodeCount }, (_, i) => (first + i) % nodeCount);
    const clock = simClientClock(sched);
    this.lib = new RaftKvClient({
      nodes: order.map((i) => ({ id: i + 1, host: 'sim', port: i + 1 })),
      clientId: this.clientId,
      timeoutMs: timing.timeoutMs,
      attemptTimeoutMs: timing.attemptTimeoutMs,
      random: () => prng.next(),
      clock,
      connect: (node) => new SimConnection(node.id - 1, node.id, link, clock),
      // The library's own account of its retries, redirects and give-ups goes into the trace.
      logger: (e) => events.trace(`client ${this.clientId} ${e.kind === 'retry' ? 'retries' : `${e.kind}:`} ${e.message}`),
    });
  }

  /** Sessions the library started afresh after SESSION_EXPIRED. */
  get sessionsRenewed(): number {
    return this.lib.sessionsRenewed;
  }

  start(): void {
    this.sched.after(this.prng.int(1, this.timing.thinkMsMax + 1), () => this.nextCall());
  }

  /** No new calls; the one under way is recorded as it stands (a write: unknown, it may yet apply). */
  stop(): void {
    this.stopped = true;
    const op = this.op;
    if (op) {
      if (op.op === 'get') {
        op.ok = false;
        op.return = this.sched.now;
      }
      this.events.trace(`client ${this.clientId} stops during ${describeOp(op)}: ${op.op === 'get' ? 'failed' : 'outcome unknown'}`);
      this.finish(op);
    }
    this.lib.close();
  }

  private nextCall(): void {
    if (this.stopped) return;
    const key = this.prng.pick(this.keys);
    const value = `${this.clientId}.${++this.opCount}`;
    const r = this.prng.next();
    const call = this.sched.now;
    let op: HistoryOp;
    let result: Promise<unknown>;
    if (r < 0.45) {
      op = { client: this.clientId, op: 'get', key, call, return: null };
      result = this.lib.get(key);
    } else if (r < 0.75) {
      op = { client: this.clientId, op: 'set', key, value, call, return: null };
      result = this.lib.set(key, value);
    } else if (r < 0.85) {
      op = { client: this.clientId, op: 'del', key, call, return: null };
      result = this.lib.del(key);
    } else {
      const expected = this.seen.get(key) ?? null;
      op = { client: this.clientId, op: 'cas', key, expected, value, call, return: null };
      result = this.lib.cas(key, expected, value);
    }
    this.op = op;
    this.events.trace(`client ${this.clientId} invokes ${describeOp(op)}`);
    result.then(
      (v) => this.op === op && this.complete(op, v),
      (err: unknown) => this.op === op && this.failed(op, err),
    );
  }

  private complete(op: HistoryOp, value: unknown): void {
    op.return = this.sched.now;
    this.lastOkCallAt = op.call;
    if (op.op === 'get') {
      op.result = value;
      this.seen.set(op.key, value as string | null);
    } else if (op.op === 'del') {
      op.result = value;
      this.seen.set(op.key, null);
    } else if (op.op === 'cas') {
      op.result = value;
      if (value === true) this.seen.set(op.key, op.value!);
    } else {
      this.seen.set(op.key, op.value!);
    }
    this.events.trace(`client ${this.clientId} ok ${describeOp(op)} -> ${JSON.stringify(value)}`);
    this.finish(op);
  }

  private failed(op: HistoryOp, thrown: unknown): void {
    const err = toRaftKvError(thrown);
    if (err.retry === 'never' && err.code !== 'SESSION_EXPIRED') {
      this.events.unexpected(`client ${this.clientId}: ${describeOp(op)} got ${err.code}: ${err.message}`);
    }
    const unknown = op.op !== 'get' && err.details?.maybeApplied === true;
    if (!unknown) op.ok = false;
    op.return = unknown ? null : this.sched.now;
    this.events.trace(`client ${this.clientId} gives up ${describeOp(op)} (${err.code}): ${unknown ? 'outcome unknown' : 'failed'}`);
    this.finish(op);
  }

  private finish(op: HistoryOp): void {
    this.history.push(op);
    this.op = null;
    if (!this.stopped) this.sched.after(this.prng.int(1, this.timing.thinkMsMax + 1), () => this.nextCall());
  }
}

function describeOp(op: HistoryOp): string {
  switch (op.op) {
    case 'get':
      return `get(${op.key})`;
    case 'set':
      return `set(${op.key}, ${op.value})`;
    case 'del':
      return `del(${op.key})`;
    case 'cas':
      return `cas(${op.key}, ${JSON.stringify(op.expected)} -> ${op.value})`;
  }
}
