/**
 * Time as the node's driver and client waiters see it, injected so that tests (and, later, the
 * simulator) can run the same objects on a clock they advance by hand. The node process uses
 * `realClock`; test/lib/fake-clock.ts is the manual one.
 */

/** An interval timer's handle; only the clock that made it can clear it. */
export type TimerId = unknown;

export interface Clock {
  /** Wall time in ms since the epoch: for what goes in the log (a write's `at`), never for durations. */
  now(): number;
  /** Monotonic ms from an arbitrary origin: for ticks and deadlines (wall time can jump). */
  monotonic(): number;
  setInterval(fn: () => void, ms: number): TimerId;
  clearInterval(id: TimerId): void;
  /** Run `fn` once, after the current turn's I/O callbacks (setImmediate in the node process). */
  defer(fn: () => void): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (id) => clearInterval(id as NodeJS.Timeout),
  defer: (fn) => void setImmediate(fn),
};

/** Resolves once, `ms` from now on `clock` (a one-shot timer made of an interval). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const id = clock.setInterval(() => {
      clock.clearInterval(id);
      resolve();
    }, ms);
  });
}

/** Resolves after the current turn's I/O callbacks (a yield to the event loop). */
export function nextTurn(clock: Clock): Promise<void> {
  return new Promise<void>((resolve) => clock.defer(resolve));
}
