/**
 * Exponential backoff with jitter for client retries. The jitter keeps many clients that failed
 * together (a leader died) from retrying in lock-step against the next leader.
 */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. > 0. */
  baseMs: number;
  /** Cap on the delay, before jitter. >= baseMs. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 25, maxMs: 800 });

/**
 * Delay before retry number `attempt` (0 for the first retry): min(maxMs, baseMs * 2^attempt),
 * scaled by a factor drawn uniformly from [0.5, 1) ("equal jitter"). Always in [baseMs/2, maxMs).
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return exp * (0.5 + random() * 0.5);
}
