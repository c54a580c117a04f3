/**
 * A clock for unit tests that moves only when the test says so: the node's Clock
 * (src/node/clock.ts) and the client library's ClientClock (src/client/client-clock.ts, one-shot
 * timers). Interval and one-shot timers fire in due order as `advance()` crosses their due times; deferred
 * callbacks queue until `runDeferred()` (or `advance()`, which runs them after every timer) and
 * run in FIFO order, so one test run is one fixed interleaving.
 */
import type { ClientClock } from '../../src/client/client-clock.js';
import type { Clock, TimerId } from '../../src/node/clock.js';

interface Interval {
  fn: () => void;
  /** 0 for a one-shot timer (setTimeout). */
  everyMs: number;
  dueAt: number;
}

export class FakeClock implements Clock, ClientClock {
  /** Wall time (ms since the epoch); moves with `advance`. */
  private wallMs: number;
  private monoMs = 0;
  private nextId = 1;
  private readonly intervals = new Map<number, Interval>();
  private deferred: (() => void)[] = [];

  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.wallMs = startWallMs;
  }

  now(): number {
    return this.wallMs;
  }

  monotonic(): number {
    return this.monoMs;
  }

  setInterval(fn: () => void, ms: number): TimerId {
    if (!(ms > 0)) throw new RangeError(`FakeClock.setInterval: interval must be > 0 ms, got ${ms}`);
    const id = this.nextId++;
    this.intervals.set(id, { fn, everyMs: ms, dueAt: this.monoMs + ms });
    return id;
  }

  clearInterval(id: TimerId): void {
    this.intervals.delete(id as number);
  }

  /** Fires once, `ms` from now (0 or less: at the next advance, even advance(0)). */
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.nextId++;
    this.intervals.set(id, { fn, everyMs: 0, dueAt: this.monoMs + Math.max(0, ms) });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.intervals.delete(id as number);
  }

  /** Timers (interval and one-shot) not yet cleared or fired. */
  get pendingTimers(): number {
    return this.intervals.size;
  }

  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  /** Deferred callbacks waiting to run. */
  get pendingDeferred(): number {
    return this.deferred.length;
  }

  /**
   * Runs deferred callbacks, including those they defer, until none is left; returns how many ran.
   * A callback that keeps re-deferring itself is a livelock in the code under test: it throws.
   */
  runDeferred(limit = 10_000): number {
    let ran = 0;
    while (this.deferred.length > 0) {
      const batch = this.deferred;
      this.deferred = [];
      for (const fn of batch) {
        if (++ran > limit) throw new Error(`FakeClock.runDeferred: more than ${limit} deferred callbacks (a livelock?)`);
        fn();
      }
    }
    return ran;
  }

  /** Moves time forward by `ms`, firing each interval at its due times in order (deferred work after each). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const end = this.monoMs + ms;
    this.runDeferred();
    for (;;) {
      const next = this.nextDue();
      if (!next || next.timer.dueAt > end) break;
      this.moveTo(next.timer.dueAt);
      if (next.timer.everyMs === 0) this.intervals.delete(next.id);
      else next.timer.dueAt += next.timer.everyMs;
      next.timer.fn();
      this.runDeferred();
    }
    this.moveTo(end);
  }

  private nextDue(): { id: number; timer: Interval } | null {
    let best: { id: number; timer: Interval } | null = null;
    // Ties go to the timer made first (lower id), like Node's timer lists.
    for (const [id, timer] of this.intervals) if (!best || timer.dueAt < best.timer.dueAt) best = { id, timer };
    return best;
  }

  private moveTo(mono: number): void {
    this.wallMs += mono - this.monoMs;
    this.monoMs = mono;
  }
}
