/**
 * Simulated time for the real-node simulator: one global time line (integer ms steps, advanced by
 * the run's event loop) and, per node life, a Clock (src/node/clock.ts) the node's RaftDriver and
 * ClientWaiters run on.
 *
 * Invariants:
 * - Deterministic: timers fire in due order, ties by creation order; deferred callbacks run FIFO.
 *   Nothing here reads real time.
 * - A node life's timers and deferred callbacks belong to its owner id: `dropOwner` (a crash)
 *   removes them all, so a dead node's code never runs again.
 * - A paused owner (a stopped process: SIGSTOP, a long GC pause) runs nothing: its due timers wait
 *   and fire once when it resumes (an interval does not fire once per missed period: the node's
 *   own catch-up logic sees how much time passed), its deferred callbacks are held.
 * - A node's clock may run at its own rate (drift, lease mode): its monotonic time is
 *   `rate * global`, and its intervals are stretched to match, so the node's own ticks stay in
 *   step with its own clock as the real driver's catch-up ticks assume.
 */
import type { Clock, TimerId } from '../../../src/node/clock.js';

interface Timer {
  owner: number;
  fn: () => void;
  /** Period in global ms; 0 for a one-shot timer (after()). */
  everyMs: number;
  dueAt: number;
}

/** Wall time at global time 0 (any fixed date: only differences matter). */
const WALL_START_MS = Date.UTC(2026, 0, 1);

export class SimScheduler {
  /** Global simulated time in ms. */
  now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  private deferred: { owner: number; fn: () => void }[] = [];
  private readonly paused = new Set<number>();
  /** Deferred callbacks of paused owners, in order. */
  private held: { owner: number; fn: () => void }[] = [];

  /** A Clock for one node life; `rate` 1 = true time, 1.05 = runs 5% fast. */
  clockFor(owner: number, rate = 1): Clock {
    return {
      now: () => WALL_START_MS + Math.floor(this.now * rate),
      monotonic: () => this.now * rate,
      setInterval: (fn, ms) => this.addInterval(owner, fn, ms / rate),
      clearInterval: (id: TimerId) => void this.timers.delete(id as number),
      defer: (fn) => void this.deferred.push({ owner, fn }),
    };
  }

  /** Runs `fn` once, `ms` from now (>= 1: nothing simulated is instant). Owner 0 is the world, never dropped. */
  after(ms: number, fn: () => void, owner = 0): number {
    const id = this.nextId++;
    this.timers.set(id, { owner, fn, everyMs: 0, dueAt: this.now + Math.max(1, ms) });
    return id;
  }

  cancel(id: number): void {
    this.timers.delete(id);
  }

  /** A crash: everything `owner` scheduled is forgotten. */
  dropOwner(owner: number): void {
    for (const [id, t] of this.timers) if (t.owner === owner) this.timers.delete(id);
    this.deferred = this.deferred.filter((d) => d.owner !== owner);
    this.held = this.held.filter((d) => d.owner !== owner);
    this.paused.delete(owner);
  }

  /** The owner's process stops running (timers and deferred callbacks wait). */
  pause(owner: number): void {
    this.paused.add(owner);
  }

  resume(owner: number): void {
    if (!this.paused.delete(owner)) return;
    this.deferred.push(...this.held.filter((d) => d.owner === owner));
    this.held = this.held.filter((d) => d.owner !== owner);
  }

  get pendingDeferred(): number {
    return this.deferred.length;
  }

  /** Fires every timer due at or before `now`, in due order; returns how many fired. */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      let best: [number, Timer] | null = null;
      for (const entry of this.timers) {
        if (entry[1].dueAt <= this.now && !this.paused.has(entry[1].owner) && (!best || entry[1].dueAt < best[1].dueAt)) best = entry;
      }
      if (!best) return fired;
      if (best[1].everyMs === 0) this.timers.delete(best[0]);
      else {
        best[1].dueAt += best[1].everyMs;
        // Back from a pause: once, not once per missed period.
        if (best[1].dueAt <= this.now) best[1].dueAt = this.now + best[1].everyMs;
      }
      best[1].fn();
      fired++;
    }
  }

  /**
   * Runs deferred callbacks (and those they defer) until none is left; returns how many ran. A
   * callback that re-defers itself forever is a livelock in the code under test: it throws.
   */
  runDeferred(limit = 100_000): number {
    let ran = 0;
    while (this.deferred.length > 0) {
      const batch = this.deferred;
      this.deferred = [];
      for (const d of batch) {
        if (this.paused.has(d.owner)) {
          this.held.push(d);
          continue;
        }
        if (++ran > limit) throw new Error(`SimScheduler: more than ${limit} deferred callbacks at once (a livelock?)`);
        d.fn();
      }
    }
    return ran;
  }

  private addInterval(owner: number, fn: () => void, everyMs: number): TimerId {
    if (!(everyMs > 0)) throw new RangeError(`SimScheduler.setInterval: interval must be > 0 ms, got ${everyMs}`);
    const id = this.nextId++;
    this.timers.set(id, { owner, fn, everyMs, dueAt: this.now + everyMs });
    return id;
  }
}

/**
 * Lets every promise continuation and deferred callback run until the simulated world is idle
 * again. Promise reactions (a storage append resolving, the driver's completion chain) need a real
 * event-loop turn; nothing else runs on this process's loop meanwhile, so the order is fixed.
 */
export async function settle(sched: SimScheduler): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    await new Promise<void>((r) => setImmediate(r));
    if (sched.runDeferred() === 0) {
      await new Promise<void>((r) => setImmediate(r));
      if (sched.pendingDeferred === 0) return;
    }
  }
  throw new Error('settle: the simulated nodes never went idle');
}
