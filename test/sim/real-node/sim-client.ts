/**
 * A simulated client that behaves as the client library does (src/client/raftkv-client.ts), one
 * operation at a time:
 *  - writes carry the client's id and a seq that grows by one per write; every retry of a write
 *    reuses its seq (exactly-once sessions), so the id needs only one slot;
 *  - a request goes to the node that last answered; NOT_LEADER with a hint goes to the hint;
 *    any other error of retry class `safe` or `ambiguous`, a lost connection or a silent node
 *    (attempt timeout) moves to the next node after an exponential backoff with jitter
 *    (src/client/backoff.ts), until the call's deadline;
 *  - at the deadline a write that may have reached a node has an unknown outcome, anything else
 *    failed;
 *  - SESSION_EXPIRED moves the client to a new session id (see sessionLost).
 * Every operation is recorded for the linearizability checker: its call time, and its return
 * time and result, or no return (unknown outcome). An error of class `never` other than
 * SESSION_EXPIRED (see sessionLost) cannot happen to these well-formed requests, so it is
 * reported as a violation.
 */
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../../src/client/backoff.js';
import { ERROR_CODE_INFO, type RaftKvError } from '../../../src/protocol/errors.js';
import type { HistoryOp } from '../../lib/linearizability.js';
import type { Prng } from '../../lib/prng.js';
import type { SimRequest } from './sim-node.js';
import type { SimScheduler } from './sim-scheduler.js';

export interface ClientTiming {
  /** Deadline of one call, retries included. */
  timeoutMs: number;
  /** Deadline of one try on one node. */
  attemptTimeoutMs: number;
  /** Pause between two calls: [0, thinkMsMax]. */
  thinkMsMax: number;
}

/** Carries a request to a node and its reply back (with the client link's delays). */
export type ClientLink = (nodeIndex: number, req: SimRequest, reply: (err: RaftKvError | null, value?: unknown) => void) => void;

export interface ClientEvents {
  trace(line: string): void;
  /** A reply no correct node gives to this request. */
  unexpected(message: string): void;
}

export class SimClient {
  /** The session id; a new one after SESSION_EXPIRED. */
  clientId: string;
  /** Call time of the newest call that succeeded (-1: none yet). */
  lastOkCallAt = -1;
  /** Sessions started afresh after SESSION_EXPIRED. */
  sessionsRenewed = 0;
  private renewedThisCall = false;
  private seq = 0;
  private preferred: number;
  private stopped = false;
  /** The call under way. */
  private op: HistoryOp | null = null;
  private req: SimRequest | null = null;
  private deadline = 0;
  private maybeSent = false;
  private backoffs = 0;
  private hops = 0;
  private target = 0;
  /** Bumped per attempt: a reply or timeout of an older attempt is ignored. */
  private attempt = 0;
  private attemptTimer: number | null = null;
  private opCount = 0;
  /** Last value this client saw for each key: what its cas expects. */
  private readonly seen = new Map<string, string | null>();

  constructor(
    readonly id: number,
    private readonly nodeCount: number,
    private readonly keys: readonly string[],
    private readonly prng: Prng,
    private readonly timing: ClientTiming,
    private readonly sched: SimScheduler,
    private readonly link: ClientLink,
    private readonly history: HistoryOp[],
    private readonly events: ClientEvents,
  ) {
    this.clientId = `c${id}`;
    this.preferred = prng.int(0, nodeCount - 1);
  }

  start(): void {
    this.sched.after(this.prng.int(1, this.timing.thinkMsMax + 1), () => this.nextCall());
  }

  /** No new calls; the one under way is recorded as it stands (a write with no reply: unknown). */
  stop(): void {
    this.stopped = true;
    // A request still out may yet be applied: the write's outcome is unknown, not failed.
    if (this.op && this.attemptTimer !== null) this.maybeSent = true;
    if (this.op) this.giveUp('the run ended');
  }

  private nextCall(): void {
    if (this.stopped) return;
    const key = this.prng.pick(this.keys);
    const value = `${this.clientId}.${++this.opCount}`;
    const r = this.prng.next();
    const now = this.sched.now;
    let op: HistoryOp;
    let req: SimRequest;
    if (r < 0.45) {
      op = { client: this.clientId, op: 'get', key, call: now, return: null };
      req = { op: 'get', key };
    } else {
      const seq = ++this.seq;
      const s = { clientId: this.clientId, seq };
      if (r < 0.75) {
        op = { client: this.clientId, op: 'set', key, value, call: now, return: null };
        req = { op: 'set', key, value, ...s };
      } else if (r < 0.85) {
        op = { client: this.clientId, op: 'del', key, call: now, return: null };
        req = { op: 'del', key, ...s };
      } else {
        const expected = this.seen.get(key) ?? null;
        op = { client: this.clientId, op: 'cas', key, expected, value, call: now, return: null };
        req = { op: 'cas', key, expected, value, ...s };
      }
    }
    this.op = op;
    this.req = req;
    this.deadline = now + this.timing.timeoutMs;
    this.maybeSent = false;
    this.renewedThisCall = false;
    this.backoffs = 0;
    this.hops = 0;
    this.target = this.preferred;
    this.events.trace(`client ${this.clientId} invokes ${describeReq(req)}`);
    this.send();
  }

  private send(): void {
    const remaining = this.deadline - this.sched.now;
    if (remaining <= 0) return this.giveUp('deadline');
    const attempt = ++this.attempt;
    const target = this.target;
    this.link(target, this.req!, (err, value) => {
      if (attempt === this.attempt) this.onReply(target, err, value);
    });
    this.attemptTimer = this.sched.after(Math.min(remaining, this.timing.attemptTimeoutMs), () => {
      this.attemptTimer = null;
      if (attempt !== this.attempt) return;
      this.attempt++;
      // A silent node: the request may have arrived (TIMEOUT is ambiguous).
      this.retry(target, 'ambiguous', `node ${target + 1} did not answer in time`);
    });
  }

  private onReply(target: number, err: RaftKvError | null, value: unknown): void {
    this.attempt++;
    if (this.attemptTimer !== null) this.sched.cancel(this.attemptTimer);
    this.attemptTimer = null;
    if (!err) {
      this.preferred = target;
      return this.complete(value);
    }
    const retry = ERROR_CODE_INFO[err.code].retry;
    if (err.code === 'SESSION_EXPIRED') return this.sessionLost(target);
    if (retry === 'never') {
      this.events.unexpected(`client ${this.clientId}: ${describeReq(this.req!)} got ${err.code} from node ${target + 1}: ${err.message}`);
      return this.giveUp(`${err.code}`);
    }
    if (err.code === 'NOT_LEADER') {
      const hint = typeof err.details?.leader === 'number' ? err.details.leader - 1 : -1;
      if (hint >= 0 && hint < this.nodeCount && hint !== target && this.hops < this.nodeCount) {
        this.hops++;
        this.target = hint;
        return this.send();
      }
    }
    this.retry(target, retry, `${err.code} from node ${target + 1}`);
  }

  private retry(from: number, retry: 'safe' | 'ambiguous', why: string): void {
    if (retry === 'ambiguous') this.maybeSent = true;
    this.target = (from + 1) % this.nodeCount;
    this.hops = 0;
    const delay = Math.min(backoffDelayMs(this.backoffs++, DEFAULT_BACKOFF, () => this.prng.next()), Math.max(0, this.deadline - this.sched.now));
    this.events.trace(`client ${this.clientId} retries ${describeReq(this.req!)} (${why}) on node ${this.target + 1} in ${Math.round(delay)} ms`);
    const attempt = ++this.attempt;
    this.sched.after(Math.round(delay), () => {
      if (attempt === this.attempt && !this.stopped) this.send();
    });
  }

  /**
   * SESSION_EXPIRED: no session exists for this client id, so this try was not applied. It
   * happens to a client whose first write (seq 1) never took effect - every write spends a seq -
   * and the state machine cannot tell that from a session dropped since. As the client library
   * does, the client moves to a new session id and sends the write again under it (seq 1), unless
   * an earlier try of it may still be applied: then the call ends (unknown outcome).
   */
  private sessionLost(target: number): void {
    this.sessionsRenewed++;
    this.clientId = `c${this.id}~${this.sessionsRenewed}`;
    this.seq = 0;
    const req = this.req!;
    if (this.maybeSent || this.renewedThisCall || req.op === 'get') {
      this.events.trace(`client c${this.id}: SESSION_EXPIRED from node ${target + 1}; new session ${this.clientId} for later writes`);
      return this.giveUp('SESSION_EXPIRED');
    }
    this.renewedThisCall = true;
    this.req = { ...req, clientId: this.clientId, seq: ++this.seq };
    this.events.trace(`client c${this.id}: SESSION_EXPIRED from node ${target + 1}; sending again under a new session ${this.clientId}`);
    this.send();
  }

  private complete(value: unknown): void {
    const op = this.op!;
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
    this.events.trace(`client ${this.clientId} ok ${describeReq(this.req!)} -> ${JSON.stringify(value)}`);
    this.finish(op);
  }

  private giveUp(why: string): void {
    const op = this.op!;
    const write = op.op !== 'get';
    if (!(write && this.maybeSent)) op.ok = false;
    op.return = write && this.maybeSent ? null : this.sched.now;
    this.events.trace(`client ${this.clientId} gives up ${describeReq(this.req!)} (${why}): ${op.ok === false ? 'failed' : 'outcome unknown'}`);
    this.finish(op);
  }

  private finish(op: HistoryOp): void {
    this.attempt++;
    this.history.push(op);
    this.op = null;
    this.req = null;
    if (!this.stopped) this.sched.after(this.prng.int(1, this.timing.thinkMsMax + 1), () => this.nextCall());
  }
}

export function describeReq(req: SimRequest): string {
  switch (req.op) {
    case 'get':
      return `get(${req.key})`;
    case 'set':
      return `#${req.seq} set(${req.key}, ${req.value})`;
    case 'del':
      return `#${req.seq} del(${req.key})`;
    case 'cas':
      return `#${req.seq} cas(${req.key}, ${JSON.stringify(req.expected)} -> ${req.value})`;
  }
}
