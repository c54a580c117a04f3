/**
 * Time as the client library sees it: the deadline of a call, the timeout of one try, the
 * backoff between tries and the connect timeout all go through one of these, so that tests and the
 * simulator run the same library on a clock they move by hand.
 *
 * The shape is a subset of the node's Clock (src/node/clock.ts) plus one-shot timers; the client
 * may not import the node (DESIGN.md's layering), so the two meet structurally: test/lib/fake-clock.ts
 * implements both.
 */

/** A one-shot timer's handle; only the clock that made it can clear it. */
export type ClientTimer = unknown;

export interface ClientClock {
  /** Monotonic ms from an arbitrary origin: deadlines are measured on it (wall time can jump). */
  monotonic(): number;
  /** Runs `fn` once, `ms` from now, unless cleared first. */
  setTimeout(fn: () => void, ms: number): ClientTimer;
  /** Cancels a timer of this clock; a timer that fired or was cleared already is ignored. */
  clearTimeout(id: ClientTimer): void;
}

/** Node's own timers and performance.now(): what every real client runs on. */
export const realClientClock: ClientClock = {
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};
