/**
 * Sends the membership ops of the client port (members, addMember, promoteMember, removeMember,
 * transferLeader; DESIGN.md "Client port protocol") to a cluster and retries what is worth
 * retrying, for the supervisor's `ctl add|remove|transfer`. The member is named in the request's
 * `id`, so each request goes on a connection of its own (member-op-request.ts).
 *
 * Why not RaftKvClient's retry loop: a membership change is not a session write (no clientId/seq,
 * so not applied at most once by the state machine), and two of its refusals are "later, not
 * never" (IN_PROGRESS: another change or a transfer is under way, or a new leader has not yet
 * committed an entry of its term; NOT_CAUGHT_UP: the learner is still behind). So a change is
 * retried until its deadline, and a refusal after an attempt whose outcome is unknown (timeout,
 * lost connection) is checked against the membership: if the change is in effect, it was ours.
 */
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import type { ClientSecurity } from '../client/client-security.js';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../client/backoff.js';
import { memberOpRequest } from './member-op-request.js';

/** One row of the `members` op. */
export interface MemberInfo {
  id: number;
  host: string;
  port: number;
  peerPort: number;
  role: 'voter' | 'learner';
}

/** Codes after which the same request may succeed later or on another node. */
const RETRYABLE = new Set(['NOT_LEADER', 'NO_LEADER', 'TIMEOUT', 'UNAVAILABLE', 'PROPOSAL_DROPPED', 'SHUTTING_DOWN', 'CONNECTION_LOST', 'IN_PROGRESS', 'NOT_CAUGHT_UP']);
/** Codes after which a change may have been applied although no success came back. */
const AMBIGUOUS = new Set(['TIMEOUT', 'CONNECTION_LOST']);

export function isMemberInfo(x: unknown): x is MemberInfo {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return typeof m.id === 'number' && typeof m.host === 'string' && typeof m.port === 'number' && typeof m.peerPort === 'number' && (m.role === 'voter' || m.role === 'learner');
}

/** Where a member's client port is: all a request needs. */
export interface MemberAddressOf {
  id: number;
  host: string;
  port: number;
}

export interface ChangeOptions {
  /** Overall deadline, retries included. */
  timeoutMs: number;
  /** True when the change is already in effect (asked after an ambiguous or refused attempt). */
  done?: (members: MemberInfo[]) => boolean;
}

export class MembershipCaller {
  readonly #security: ClientSecurity | undefined;
  readonly #nodes: readonly MemberAddressOf[];
  /** Index of the node to ask first: the last that answered, or the leader it named. */
  #next = 0;

  constructor(nodes: readonly MemberAddressOf[], security?: ClientSecurity) {
    if (nodes.length === 0) throw new RaftKvError('BAD_REQUEST', 'no member to ask');
    this.#nodes = nodes;
    this.#security = security;
  }

  /** The cluster's membership as the leader knows it (followers forward). */
  async members(timeoutMs = 5000): Promise<MemberInfo[]> {
    const value = await this.call({ id: 'members', op: 'members' }, { timeoutMs });
    if (!Array.isArray(value) || !value.every(isMemberInfo)) {
      throw new RaftKvError('PROTOCOL_ERROR', `members: unexpected reply ${JSON.stringify(value)?.slice(0, 200)}`);
    }
    return value;
  }

  /**
   * Sends `body` until it succeeds, fails for good, or the deadline passes (TIMEOUT naming the
   * last refusal). A refusal that is not retryable ends it, unless `done` says it is in effect.
   */
  async call(body: Record<string, unknown>, options: ChangeOptions): Promise<unknown> {
    const deadline = Date.now() + options.timeoutMs;
    let uncertain = false;
    let last = 'no attempt';
    for (let attempt = 0; ; attempt++) {
      const index = this.#next;
      const node = this.#nodes[index];
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let error: RaftKvError;
      try {
        const reply = await memberOpRequest(node, body, Math.min(remaining, 10_000), this.#security);
        if (reply.ok) return reply.value;
        error = reply.error;
      } catch (err) {
        error = toRaftKvError(err);
      }
      const code = wireCode(error);
      last = `node ${node.id}: ${code}: ${error.message}`;
      if (AMBIGUOUS.has(code)) uncertain = true;
      if (!RETRYABLE.has(code)) {
        if ((uncertain || code === 'BAD_REQUEST') && options.done && (await this.#inEffect(options.done))) return null;
        throw error;
      }
      const hint = error.details?.leader;
      const hinted = typeof hint === 'number' ? this.#nodes.findIndex((n) => n.id === hint) : -1;
      // Straight to a named leader; otherwise the next node, as any node forwards to the leader.
      this.#next = hinted >= 0 && hinted !== index ? hinted : code === 'IN_PROGRESS' || code === 'NOT_CAUGHT_UP' ? index : (index + 1) % this.#nodes.length;
      if (hinted >= 0 && hinted !== index) continue;
      await sleep(Math.min(backoffDelayMs(attempt, DEFAULT_BACKOFF), Math.max(0, deadline - Date.now())));
    }
    throw new RaftKvError('TIMEOUT', `${String(body.op)}: no success within ${options.timeoutMs} ms (last: ${last})`);
  }

  async #inEffect(done: (members: MemberInfo[]) => boolean): Promise<boolean> {
    try {
      return done(await this.members());
    } catch {
      return false;
    }
  }

  /** Nothing stays open between calls (each request has its own connection). */
  close(): void {}
}

/**
 * The code the node sent, as a string: IN_PROGRESS and NOT_CAUGHT_UP are compared by name, and a
 * client that does not know a code yet gets it back as INTERNAL "unknown error code ..." (errors.ts).
 */
function wireCode(error: RaftKvError): string {
  const unknown = error.code === 'INTERNAL' ? /^unknown error code "([A-Z_]+)"/.exec(error.message) : null;
  return unknown ? unknown[1]! : error.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
