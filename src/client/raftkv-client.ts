/**
 * The raftkv client library: used by the CLI, the supervisor's status, the TUI and the bench.
 *
 * It talks the JSON dialect of the client port over one persistent connection per node
 * (a Connection: NodeConnection over TCP/TLS in production; the simulator plugs in its own) and turns the cluster's transient failures into retries:
 *   - requests go to the node that last answered (ideally the leader). Any node can serve any
 *     request because followers forward, so finding the leader only saves a hop;
 *   - NOT_LEADER with a leader hint (`error.details.leader`) moves straight to that node; without a
 *     hint, the next node is tried;
 *   - a lost or refused connection, a silent node, and every error code whose retry class is not
 *     `never` (NO_LEADER, TIMEOUT, UNAVAILABLE, ...; see ERROR_CODE_INFO) are retried on the next
 *     node with exponential backoff and jitter, until the call's deadline;
 *   - at the deadline the call rejects with TIMEOUT (or UNAVAILABLE when no node could even be
 *     reached) and a message listing what was tried; a write that may have been applied says so,
 *     in the message and as `details.maybeApplied: true`. Any other error (BAD_REQUEST, ...) is the
 *     answer and is thrown at once.
 *
 * Exactly-once writes (Raft thesis §6.3): set/del/cas carry `clientId` + `seq`, and every retry of
 * a write reuses its seq, so the state machine applies it at most once however often it is sent.
 * The state machine remembers only the *last* seq per client id and refuses older ones, which is
 * only safe if one client id never has two writes in flight. So writes run in "session slots":
 * slot 0 uses `clientId` itself, further slots `clientId.1`, `clientId.2`, ...; a slot carries one
 * write at a time and its seq only grows. A client issuing writes one after another uses slot 0
 * only; concurrent writes each get their own slot, and slots are reused, never dropped. A write
 * that gives up with every try refused (applied nowhere) gives its seq back, so the slot's seqs
 * have no gaps. A slot told SESSION_EXPIRED (the session expired or was evicted, or a write whose
 * outcome was unknown spent seq 1) moves to a new id `clientId~N`.
 */
import { randomBytes } from 'node:crypto';
import type { MemberInfo, NodeStatusValue } from '../protocol/client-requests.js';
import type { MemberAddress } from '../protocol/raft-messages.js';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import { membersReplyError } from '../protocol/membership-validate.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { realClientClock, type ClientClock } from './client-clock.js';
import type { ClientLogger } from './client-log.js';
import type { ClientSecurity } from './client-security.js';
import type { Connect, Connection } from './connection.js';
import { NodeConnection, type ClientNodeAddress, type JsonReply } from './node-connection.js';

export interface RaftKvClientOptions {
  /** The cluster's client addresses; at least one, ids unique. */
  nodes: readonly ClientNodeAddress[];
  /** Overall deadline of one call, retries included. Default 5000. */
  timeoutMs?: number;
  /**
   * Deadline of one try on one node, after which the next node is tried: what keeps a node that
   * accepts connections but never answers from eating the whole deadline.
   * Default min(timeoutMs, max(1000, timeoutMs / 4)).
   */
  attemptTimeoutMs?: number;
  /** Session id for exactly-once writes. Default: random. */
  clientId?: string;
  logger?: ClientLogger;
  backoff?: BackoffOptions;
  /** Randomness for backoff jitter (tests pass a seeded one). */
  random?: () => number;
  /** Connection attempts that take longer fail. Default 2000 (or attemptTimeoutMs if smaller). */
  connectTimeoutMs?: number;
  /** TLS and password of a secure cluster: clientSecurityFrom(cfg.security). */
  security?: ClientSecurity;
  /** The clock of deadlines, try timeouts and backoff. Default: Node's timers (tests pass a fake one). */
  clock?: ClientClock;
  /** How to reach a node. Default: a NodeConnection (TCP, or TLS with `security`). */
  connect?: Connect;
}

/** Per-call options. */
export interface CallOptions {
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
}

/**
 * Retryable codes a membership call returns at once instead of retrying: "another change is under
 * way" and "not caught up yet" are answers a person or a supervisor acts on (wait, or do the changes
 * one by one), and retrying them blindly until the deadline would hide them behind a TIMEOUT.
 */
const MEMBERSHIP_ANSWERS = ['IN_PROGRESS', 'NOT_CAUGHT_UP'] as const;

/** What a node's `status` op returns (DESIGN.md); nodes may add fields. */
export type NodeStatus = NodeStatusValue;

interface SessionSlot {
  clientId: string;
  /** Seq of this slot's last write; the next write uses seq + 1. */
  seq: number;
}

/** The production way to reach a node: one persistent TCP (or TLS) connection. */
const connectNode: Connect = (node, options) => new NodeConnection(node, options);

function isNodeStatus(x: unknown): x is NodeStatus {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return typeof s.id === 'number' && typeof s.role === 'string' && typeof s.term === 'number';
}

/** The leader hint of a NOT_LEADER error (`details.leader`), or null. */
function leaderHint(error: RaftKvError): number | null {
  const hint = error.details?.leader;
  return typeof hint === 'number' && Number.isSafeInteger(hint) && hint > 0 ? hint : null;
}

export class RaftKvClient {
  readonly clientId: string;
  readonly timeoutMs: number;
  readonly attemptTimeoutMs: number;
  readonly #nodes: readonly ClientNodeAddress[];
  readonly #conns: Connection[];
  readonly #clock: ClientClock;
  readonly #logger: ClientLogger;
  readonly #backoff: BackoffOptions;
  readonly #random: () => number;
  /** Index (into #nodes) of the node to try first: the last that answered or the hinted leader. */
  #preferred = 0;
  /** Leader as last learned from a hint or a status reply; null = unknown. */
  #leaderId: number | null = null;
  readonly #freeSlots: SessionSlot[] = [];
  #slotCount = 0;
  /** Sessions started afresh after SESSION_EXPIRED (see #renewSession). */
  #sessionRenewals = 0;
  /** Wakers of backoff sleeps, so close() does not leave timers holding the process open. */
  readonly #sleepers = new Set<() => void>();
  #closed = false;

  constructor(options: RaftKvClientOptions) {
    if (options.nodes.length === 0) throw new RaftKvError('BAD_CONFIG', 'RaftKvClient: no nodes given');
    const ids = new Set(options.nodes.map((n) => n.id));
    if (ids.size !== options.nodes.length) throw new RaftKvError('BAD_CONFIG', 'RaftKvClient: node ids must be unique');
    this.#nodes = options.nodes.map((n) => ({ id: n.id, host: n.host, port: n.port }));
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? Math.min(this.timeoutMs, Math.max(1000, this.timeoutMs / 4));
    this.clientId = options.clientId ?? `c-${randomBytes(8).toString('hex')}`;
    this.#logger = options.logger ?? (() => {});
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(2000, this.attemptTimeoutMs);
    const security = options.security;
    this.#clock = options.clock ?? realClientClock;
    const connect = options.connect ?? connectNode;
    this.#conns = this.#nodes.map((n) => connect(n, { logger: this.#logger, connectTimeoutMs, clock: this.#clock, ...(security ? { security } : {}) }));
  }

  /** The leader as last learned (hint or status), or null. A guess: it may have changed since. */
  get leaderId(): number | null {
    return this.#leaderId;
  }

  get nodes(): readonly ClientNodeAddress[] {
    return this.#nodes;
  }

  /** Sessions this client started afresh after SESSION_EXPIRED (see the file comment). */
  get sessionsRenewed(): number {
    return this.#sessionRenewals;
  }

  /** The node the next call tries first: the last that answered, or the hinted leader. */
  get preferredNode(): ClientNodeAddress {
    return this.#nodes[this.#preferred];
  }

  /** The value of `key`, or null if absent. Linearizable. */
  async get(key: string, options?: CallOptions): Promise<string | null> {
    const value = await this.#call('get', { op: 'get', key }, false, options);
    return typeof value === 'string' ? value : null;
  }

  async set(key: string, value: string, options?: CallOptions): Promise<void> {
    await this.#call('set', { op: 'set', key, value }, true, options);
  }

  /** Deletes the keys; resolves with how many existed. */
  async del(keys: string | readonly string[], options?: CallOptions): Promise<number> {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    const body = list.length === 1 ? { op: 'del', key: list[0] } : { op: 'del', keys: list };
    return Number(await this.#call('del', body, true, options));
  }

  /**
   * Sets `key` to `value` only if its current value is `expected` (null: only if absent).
   * Resolves true if the swap happened.
   */
  async cas(key: string, expected: string | null, value: string, options?: CallOptions): Promise<boolean> {
    return (await this.#call('cas', { op: 'cas', key, expected, value }, true, options)) === true;
  }

  /** How many of `keys` exist (Redis EXISTS counts a key as often as it is named). */
  async exists(keys: string | readonly string[], options?: CallOptions): Promise<number> {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    const body = list.length === 1 ? { op: 'exists', key: list[0] } : { op: 'exists', keys: list };
    const value = await this.#call('exists', body, false, options);
    return typeof value === 'boolean' ? Number(value) : Number(value);
  }

  /** Keys matching a Redis glob pattern. */
  async keys(pattern = '*', options?: CallOptions): Promise<string[]> {
    const value = await this.#call('keys', { op: 'keys', pattern }, false, options);
    return Array.isArray(value) ? value.filter((k): k is string => typeof k === 'string') : [];
  }

  /**
   * Status of one specific node, asked once with no failover (what monitors need: a dead node
   * must show as dead, not as its neighbour). Without `nodeId`: any node, with the usual retries.
   */
  async status(nodeId?: number, options?: CallOptions): Promise<NodeStatus> {
    const value =
      nodeId === undefined
        ? await this.#call('status', { op: 'status' }, false, options)
        : this.#unwrap(await this.request(nodeId, { op: 'status' }, options));
    if (!isNodeStatus(value)) {
      throw new RaftKvError('PROTOCOL_ERROR', `status: unexpected reply ${JSON.stringify(value)?.slice(0, 200)}`);
    }
    if (value.role === 'leader') this.#noteLeader(value.id);
    else if (typeof value.leader === 'number' && value.leader > 0) this.#noteLeader(value.leader);
    return value;
  }

  /**
   * Has node `nodeId` take a snapshot of its state machine now and waits for it (as Redis SAVE);
   * resolves with the snapshot's index and term (null: nothing applied yet). No failover.
   */
  async snapshot(nodeId: number, options?: CallOptions): Promise<{ index: number; term: number } | null> {
    const value = this.#unwrap(await this.request(nodeId, { op: 'snapshot' }, options));
    return value === null ? null : (value as { index: number; term: number });
  }

  /** The last `limit` log entries of one node (for the TUI), no failover. */
  async entries(nodeId: number, limit: number, options?: CallOptions): Promise<unknown[]> {
    const value = this.#unwrap(await this.request(nodeId, { op: 'entries', limit }, options));
    return Array.isArray(value) ? value : [];
  }

  /** The cluster's members (voters and learners, with addresses), as the leader knows them. */
  async members(options?: CallOptions): Promise<MemberInfo[]> {
    const value = await this.#call('members', { op: 'members' }, false, options);
    const bad = membersReplyError(value);
    if (bad) throw new RaftKvError('PROTOCOL_ERROR', `members: unexpected reply (${bad}): ${JSON.stringify(value)?.slice(0, 200)}`);
    return value as MemberInfo[];
  }

  /**
   * Adds member `id` listening at `address`: a learner (promote it once it caught up) or straight
   * a voter. Resolves once the change is committed. IN_PROGRESS (another change under way) and
   * BAD_REQUEST are the answer, not retried: the caller decides.
   */
  async addMember(id: number, address: MemberAddress, opts: { learner: boolean }, options?: CallOptions): Promise<void> {
    await this.#call(`addMember ${id}`, { op: 'addMember', nodeId: id, ...address, learner: opts.learner }, false, options, MEMBERSHIP_ANSWERS);
  }

  /** Promotes learner `id` to voter; NOT_CAUGHT_UP while it lags (retry later). */
  async promoteMember(id: number, options?: CallOptions): Promise<void> {
    await this.#call(`promoteMember ${id}`, { op: 'promoteMember', nodeId: id }, false, options, MEMBERSHIP_ANSWERS);
  }

  /** Removes member `id` (voter or learner); resolves once the change is committed. */
  async removeMember(id: number, options?: CallOptions): Promise<void> {
    await this.#call(`removeMember ${id}`, { op: 'removeMember', nodeId: id }, false, options, MEMBERSHIP_ANSWERS);
  }

  /** Hands leadership to voter `id`; resolves once the node asked sees `id` lead. */
  async transferLeader(id: number, options?: CallOptions): Promise<void> {
    await this.#call(`transferLeader ${id}`, { op: 'transferLeader', nodeId: id }, false, options, MEMBERSHIP_ANSWERS);
  }

  /**
   * Sends one raw JSON request to one node, once, and resolves with its reply as is (ok or not).
   * The request's `id` is replaced. Rejects only if no reply came (TIMEOUT, UNAVAILABLE,
   * CONNECTION_LOST, SHUTTING_DOWN after close()).
   */
  request(nodeId: number, raw: Record<string, unknown>, options?: CallOptions): Promise<JsonReply> {
    const index = this.#indexOf(nodeId);
    if (index === -1) return Promise.reject(new RaftKvError('BAD_REQUEST', `unknown node id ${nodeId}`));
    return this.#conns[index].request(raw, options?.timeoutMs ?? this.timeoutMs);
  }

  /** Closes every connection; calls in flight reject with SHUTTING_DOWN. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const conn of this.#conns) conn.close();
    for (const wake of this.#sleepers) wake();
    this.#sleepers.clear();
  }

  #indexOf(nodeId: number): number {
    return this.#nodes.findIndex((n) => n.id === nodeId);
  }

  #unwrap(reply: JsonReply): unknown {
    if (reply.ok) return reply.value;
    throw reply.error;
  }

  #noteLeader(leaderId: number): void {
    if (leaderId === this.#leaderId) return;
    const index = this.#indexOf(leaderId);
    if (index === -1) return;
    const previous = this.#leaderId;
    this.#leaderId = leaderId;
    this.#preferred = index;
    this.#logger({
      kind: 'leader-change',
      nodeId: leaderId,
      message: `leader is now node ${leaderId}${previous === null ? '' : ` (was node ${previous})`}`,
    });
  }

  #acquireSlot(): SessionSlot {
    const slot = this.#freeSlots.pop();
    if (slot) return slot;
    const n = this.#slotCount++;
    return { clientId: n === 0 ? this.clientId : `${this.clientId}.${n}`, seq: 0 };
  }

  /** A fresh session id for `slot` (unique: the client id is, and the counter only grows). */
  #renewSession(slot: SessionSlot): void {
    slot.clientId = `${this.clientId}~${++this.#sessionRenewals}`;
    slot.seq = 0;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#clock.clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = this.#clock.setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  /**
   * Runs one call with leader following and retries until its deadline (see the file comment).
   * `what` names the call in messages; writes get a session slot and seq.
   */
  async #call(what: string, body: Record<string, unknown>, write: boolean, options?: CallOptions, answers: readonly string[] = []): Promise<unknown> {
    if (this.#closed) throw new RaftKvError('SHUTTING_DOWN', 'the client was closed');
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    const deadline = this.#clock.monotonic() + timeoutMs;
    const slot = write ? this.#acquireSlot() : null;
    if (slot) {
      slot.seq += 1;
      body = { ...body, clientId: slot.clientId, seq: slot.seq };
    }
    /** Last failure per node id, for the give-up message. */
    const failures = new Map<number, string>();
    let attempts = 0;
    let backoffs = 0;
    /** Redirects followed since the last backoff; bounded so two confused nodes cannot ping-pong. */
    let hops = 0;
    /** True once some node may have received the request (a write's outcome is then unknown). */
    let maybeSent = false;
    /** This call moved its slot to a new session already (a node refusing seq 1 too is not retried). */
    let renewed = false;
    let reachedAny = false;
    let target = this.#preferred;
    try {
      for (;;) {
        const remaining = deadline - this.#clock.monotonic();
        if (remaining <= 0) break;
        const node = this.#nodes[target];
        attempts++;
        let reply: JsonReply | null = null;
        let failure: string;
        const attemptMs = Math.min(remaining, this.attemptTimeoutMs);
        try {
          reply = await this.#conns[target].request(body, attemptMs);
        } catch (err) {
          const e = toRaftKvError(err);
          if (this.#closed) throw e;
          if (e.retry === 'ambiguous') maybeSent = true;
          // A last attempt cut short by the deadline says little; keep the node's earlier reason
          // (and do not let its timeout pass for having reached the node).
          const cutShort = e.code === 'TIMEOUT' && attemptMs < this.attemptTimeoutMs && failures.has(node.id);
          if (e.code !== 'UNAVAILABLE' && !cutShort) reachedAny = true;
          failure = cutShort ? failures.get(node.id)! : `${e.code}: ${e.message}`;
        }
        if (reply) {
          reachedAny = true;
          if (reply.ok) {
            this.#preferred = target;
            return reply.value;
          }
          const e = reply.error;
          if (e.code === 'SESSION_EXPIRED' && slot && !renewed) {
            renewed = true;
            // The state machine has no session for this id, so this try was not applied. It
            // happens to a slot whose session expired or was evicted, or whose first write had an
            // unknown outcome and never took effect (its seq stays spent): every later write would
            // be refused the same way. The slot starts a new session;
            // the write is sent again under it only if no earlier try of it may still be applied.
            this.#renewSession(slot);
            if (!maybeSent) {
              body = { ...body, clientId: slot.clientId, seq: ++slot.seq };
              this.#logger({ kind: 'retry', nodeId: node.id, message: `${what}: SESSION_EXPIRED; retrying under a new session ${slot.clientId}` });
              continue;
            }
            // An earlier try may still be applied: the outcome is unknown, not "refused".
            throw new RaftKvError('TIMEOUT', `${what}: the session expired after a try whose outcome is unknown. The write may or may not have been applied.`, { maybeApplied: true });
          }
          if (e.retry === 'never' || answers.includes(e.code)) throw e;
          if (e.retry === 'ambiguous') maybeSent = true;
          failure = `${e.code}: ${e.message}`;
          if (e.code === 'NOT_LEADER') {
            const hint = leaderHint(e);
            const hintIndex = hint === null ? -1 : this.#indexOf(hint);
            if (hint !== null && hintIndex !== -1 && hintIndex !== target && hops < this.#nodes.length) {
              hops++;
              this.#noteLeader(hint);
              failures.set(node.id, failure);
              this.#logger({ kind: 'retry', nodeId: node.id, message: `${what}: node ${node.id} is not the leader, trying node ${hint}` });
              target = hintIndex;
              continue;
            }
          }
        }
        failures.set(node.id, failure!);
        const next = (target + 1) % this.#nodes.length;
        const delay = Math.min(backoffDelayMs(backoffs++, this.#backoff, this.#random), Math.max(0, deadline - this.#clock.monotonic()));
        // No time left: give up now rather than after a timer of 0 ms.
        if (delay <= 0) break;
        this.#logger({
          kind: 'retry',
          nodeId: node.id,
          message: `${what}: ${failure!}; retrying on node ${this.#nodes[next].id} in ${Math.round(delay)} ms`,
        });
        target = next;
        hops = 0;
        await this.#sleep(delay);
        if (this.#closed) throw new RaftKvError('SHUTTING_DOWN', 'the client was closed');
      }
      // Every try was refused outright (NO_LEADER, NOT_LEADER, UNAVAILABLE, ...: retry class
      // `safe`), so this seq was applied nowhere: give it back. Spent, it would leave a gap the
      // state machine cannot tell from an expired session - a slot whose first write failed this
      // way would get SESSION_EXPIRED on its next write. (Not on a `never` error: the state
      // machine may have applied the write with that error as its remembered result.)
      if (slot && !maybeSent) slot.seq -= 1;
      const tried = [...failures].map(([id, f]) => `node ${id}: ${f}`).join('; ');
      const code = reachedAny ? 'TIMEOUT' : 'UNAVAILABLE';
      const outcome = write && maybeSent ? ' The write may or may not have been applied.' : '';
      const message = `${what}: gave up after ${timeoutMs} ms and ${attempts} attempt${attempts === 1 ? '' : 's'} (${tried || 'no attempt'}).${outcome}`;
      this.#logger({ kind: 'give-up', message });
      throw new RaftKvError(code, message, write && maybeSent ? { maybeApplied: true } : undefined);
    } finally {
      if (slot) this.#freeSlots.push(slot);
    }
  }
}
