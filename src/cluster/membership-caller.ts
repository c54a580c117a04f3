/**
 * Membership changes for the supervisor (`ctl add|remove|transfer`) and raft-tui, through the
 * client library's membership calls (members, addMember, promoteMember, removeMember,
 * transferLeader), with what a tool that must get the change done adds on top
 * (src/protocol/membership-retry.ts): the library returns IN_PROGRESS (another change or a
 * transfer under way, or a new leader that has not yet committed an entry of its term) and
 * NOT_CAUGHT_UP (a learner still behind) at once, as answers for a person; here they mean
 * "later", so the change is retried until its deadline; and a try whose outcome is unknown is
 * checked against the membership.
 */
import { backoffDelayMs, DEFAULT_BACKOFF } from '../client/backoff.js';
import type { ClientSecurity } from '../client/client-security.js';
import { RaftKvClient } from '../client/raftkv-client.js';
import type { MemberInfo } from '../protocol/client-requests.js';
import { RaftKvError } from '../protocol/errors.js';
import { retryMembershipCall } from '../protocol/membership-retry.js';

/** Answers that mean "not now": retried until the deadline (the library retried the others). */
const LATER = new Set(['IN_PROGRESS', 'NOT_CAUGHT_UP']);

export interface ChangeOptions {
  /** Overall deadline, retries included. */
  timeoutMs: number;
  /** True when the change is in effect (asked after an ambiguous try or a BAD_REQUEST). */
  done?: (members: MemberInfo[]) => boolean;
}

/** Where a member's client port is: all a request needs. */
export interface MemberAddressOf {
  id: number;
  host: string;
  port: number;
}

export class MembershipCaller {
  readonly #client: RaftKvClient;

  constructor(nodes: readonly MemberAddressOf[], security?: ClientSecurity) {
    if (nodes.length === 0) throw new RaftKvError('BAD_REQUEST', 'no member to ask');
    this.#client = new RaftKvClient({ nodes, timeoutMs: 10_000, ...(security ? { security } : {}) });
  }

  /** The cluster's membership as the leader knows it (followers forward). */
  members(timeoutMs = 5000): Promise<MemberInfo[]> {
    return this.#client.members({ timeoutMs });
  }

  /**
   * Runs `change` (one of the client's membership calls, given the time left) until it succeeds,
   * fails for good, or the deadline passes; see the file comment for what is retried.
   */
  async change(change: (client: RaftKvClient, timeoutMs: number) => Promise<void>, options: ChangeOptions): Promise<void> {
    const { done } = options;
    await retryMembershipCall((timeLeftMs) => change(this.#client, timeLeftMs), {
      retryable: (error) => LATER.has(error.code),
      deadline: Date.now() + options.timeoutMs,
      delayMs: (attempt) => backoffDelayMs(attempt, DEFAULT_BACKOFF),
      ...(done ? { inEffect: () => this.members().then(done, () => false) } : {}),
    });
  }

  close(): void {
    this.#client.close();
  }
}
