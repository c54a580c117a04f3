/**
 * Holds the ClusterSnapshot a live source hands to the UI and tells subscribers when it changed,
 * as the ClusterSource contract asks: the same object until something changed, and listeners
 * called asynchronously, coalesced to at most one call per `minIntervalMs` (a poll round that
 * changes three rows notifies once).
 */
import { EMPTY_METRICS, type ClusterSnapshot } from './model.js';

export class SnapshotStore {
  #snapshot: ClusterSnapshot;
  readonly #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | null = null;
  #lastNotifyMs = -Infinity;
  #closed = false;

  constructor(
    initial: Partial<ClusterSnapshot> = {},
    readonly minIntervalMs = 50,
  ) {
    this.#snapshot = { nodes: [], entries: {}, logTails: {}, metrics: EMPTY_METRICS, ...initial };
  }

  get snapshot(): ClusterSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: () => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice unsubscribes separately.
    const entry = (): void => listener();
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Replaces the fields of `patch` whose values are not identical (Object.is) to the current ones.
   * Callers keep unchanged parts identical (reuseNodeViews and the like), so an unchanged poll
   * makes no new snapshot. Returns true if the snapshot changed.
   */
  update(patch: Partial<ClusterSnapshot>): boolean {
    const current = this.#snapshot as unknown as Record<string, unknown>;
    const changed: Record<string, unknown> = {};
    let any = false;
    for (const [key, value] of Object.entries(patch)) {
      if (!Object.is(current[key], value)) {
        changed[key] = value;
        any = true;
      }
    }
    if (!any || this.#closed) return false;
    this.#snapshot = { ...this.#snapshot, ...(changed as Partial<ClusterSnapshot>) };
    this.#schedule();
    return true;
  }

  /** Stops notifying; the snapshot stays readable. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    const waitMs = Math.max(0, this.#lastNotifyMs + this.minIntervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#lastNotifyMs = Date.now();
      for (const l of [...this.#listeners]) l();
    }, waitMs);
  }
}
