/**
 * Membership changes for the supervisor (`ctl add|remove|transfer`) and raft-tui, through the
 * client library's membership calls (members, addMember, promoteMember, removeMember,
 * transferLeader), with what a tool that must get the change done adds on top:
 *
 *   - the library returns IN_PROGRESS (another change or a transfer under way, or a new leader
 *     that has not yet committed an entry of its term) and NOT_CAUGHT_UP (a learner still behind)
 *     at once, as answers for a person; here they mean "later", so the change is retried until
 *     its deadline;
 *   - a change is not a session write (no clientId/seq), so a try whose outcome is unknown
 *     (TIMEOUT, CONNECTION_LOST) may have been applied: a refusal after it, or a BAD_REQUEST (the
 *     change is already in effect: a member that exists, a learner already promoted), is checked
 *     against the membership, and if the change is in effect it was ours.
 */
import { backoffDelayMs, DEFAULT_BACKOFF } from '../client/backoff.js';
import type { ClientSecurity } from '../client/client-security.js';
import { RaftKvClient } from '../client/raftkv-client.js';
import type { MemberInfo } from '../protocol/client-requests.js';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';

/** Answers that mean "not now": retried until the deadline. */
const LATER = new Set(['IN_PROGRESS', 'NOT_CAUGHT_UP']);
/** Failures after which a change may have been applied although no success came back. */
const AMBIGUOUS = new Set(['TIMEOUT', 'CONNECTION_LOST']);

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
    const deadline = Date.now() + options.timeoutMs;
    let uncertain = false;
    for (let attempt = 0; ; attempt++) {
      let error: RaftKvError;
      try {
        await change(this.#client, Math.max(1, deadline - Date.now()));
        return;
      } catch (err) {
        error = toRaftKvError(err);
      }
      const code: string = error.code;
      if (AMBIGUOUS.has(code)) uncertain = true;
      if (LATER.has(code) && Date.now() < deadline) {
        await sleep(Math.min(backoffDelayMs(attempt, DEFAULT_BACKOFF), Math.max(0, deadline - Date.now())));
        continue;
      }
      if ((uncertain || code === 'BAD_REQUEST') && options.done && (await this.#inEffect(options.done))) return;
      throw error;
    }
  }

  async #inEffect(done: (members: MemberInfo[]) => boolean): Promise<boolean> {
    try {
      return done(await this.members());
    } catch {
      return false;
    }
  }

  close(): void {
    this.#client.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
