/**
 * The retry loop of a caller that must get a membership request through: the supervisor and
 * raft-tui (src/cluster/membership-caller.ts, over the client library) and a node joining with
 * `--join` (src/node/join-cluster.ts, over one client-port connection). It lives here, with the
 * error codes, because both sides need the same reading of the answers and neither may import
 * the other (node -> protocol, cluster -> client -> protocol):
 *
 *   - what counts as "try again" is the caller's (`retryable`): the supervisor waits out
 *     IN_PROGRESS and NOT_CAUGHT_UP (the library already retried the rest), a joining node every
 *     failure that is not final, for as long as it runs;
 *   - a membership change is not a session write (no clientId/seq), so a try whose outcome is
 *     unknown (TIMEOUT, CONNECTION_LOST) may have been applied: a final failure after it, or a
 *     BAD_REQUEST (the change is already in effect: a member that exists, a learner already
 *     promoted), is checked with `inEffect`, and if the change is in effect it was ours.
 */
import { RaftKvError, toRaftKvError } from './errors.js';

export interface MembershipRetryOptions {
  /** True for a failure worth another try; the others are final. */
  retryable(error: RaftKvError): boolean;
  /** Date.now() after which no new try starts (Infinity: until `stopped`). */
  deadline: number;
  /** The pause after failed try number `attempt` (from 0). */
  delayMs(attempt: number): number;
  /** True once the outcome is no longer wanted (the node stops, or the goal was reached otherwise). */
  stopped?(): boolean;
  /** Whether the change is in effect, asked after a final failure that may hide a success. */
  inEffect?(): Promise<boolean>;
  /** Told of each failure that will be retried (for a log line). */
  onRetry?(error: RaftKvError): void;
}

/** What a retried call came to: its value, or that it is in effect / no longer wanted. */
export type MembershipRetryOutcome<T> = { value: T } | { settled: 'in effect' | 'stopped' };

/**
 * Runs `call` (given the time left before the deadline) until it succeeds, fails for good (the
 * error is thrown), or is no longer wanted; see the file comment for what is retried.
 */
export async function retryMembershipCall<T>(call: (timeLeftMs: number) => Promise<T>, o: MembershipRetryOptions): Promise<MembershipRetryOutcome<T>> {
  let uncertain = false;
  for (let attempt = 0; ; attempt++) {
    if (o.stopped?.()) return { settled: 'stopped' };
    let error: RaftKvError;
    try {
      return { value: await call(Math.max(1, o.deadline - Date.now())) };
    } catch (err) {
      error = toRaftKvError(err);
    }
    if (o.stopped?.()) return { settled: 'stopped' };
    // TIMEOUT, CONNECTION_LOST: the change may have been applied although no success came back.
    if (error.retry === 'ambiguous') uncertain = true;
    if (o.retryable(error) && Date.now() < o.deadline) {
      o.onRetry?.(error);
      await sleep(Math.min(o.delayMs(attempt), Math.max(0, o.deadline - Date.now())));
      continue;
    }
    if ((uncertain || error.code === 'BAD_REQUEST') && o.inEffect && (await o.inEffect())) return { settled: 'in effect' };
    throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
