/**
 * The stats bar's numbers: latency percentiles of the shell's requests, and the cluster's commit
 * rate (how fast the leader's commitIndex grows). Pure bookkeeping; callers pass times in.
 */
import type { ClusterMetrics, NodeView } from './model.js';

/** Percentile (0..100) of an ascending list by the nearest-rank method; undefined if empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Latencies of the most recent `capacity` requests (a ring), and how many completed in all. A
 * person types a few requests a minute, so sorting a copy per request costs nothing.
 */
export class LatencyWindow {
  readonly #samples: number[] = [];
  #next = 0;
  #count = 0;
  /** Cached until the next sample. */
  #summary: { p50Ms?: number; p99Ms?: number } | undefined;

  constructor(readonly capacity = 1000) {}

  add(latencyMs: number): void {
    this.#summary = undefined;
    this.#count++;
    if (this.#samples.length < this.capacity) this.#samples.push(latencyMs);
    else this.#samples[this.#next] = latencyMs;
    this.#next = (this.#next + 1) % this.capacity;
  }

  get count(): number {
    return this.#count;
  }

  /** p50 and p99 of the window, in ms; undefined before the first sample. */
  summary(): { p50Ms?: number; p99Ms?: number } {
    if (this.#summary === undefined) {
      const sorted = [...this.#samples].sort((a, b) => a - b);
      this.#summary = { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    }
    return this.#summary;
  }
}

interface CommitSample {
  atMs: number;
  commitIndex: number;
}

/**
 * Entries committed per second on the leader, over the last `windowMs`. Samples of one leader
 * (same id and term) only: a new leader's commitIndex is another node's counter, and mixing the
 * two would show a jump that never happened.
 */
export class CommitRate {
  #leaderKey: string | undefined;
  #samples: CommitSample[] = [];

  constructor(readonly windowMs = 5000) {}

  /** Records the leader's commitIndex as seen at `atMs` (pass undefined when there is no leader). */
  observe(leader: Pick<NodeView, 'id' | 'term' | 'commitIndex'> | undefined, atMs: number): void {
    const key = leader === undefined || leader.commitIndex === undefined ? undefined : `${leader.id}/${leader.term}`;
    if (key !== this.#leaderKey) {
      this.#leaderKey = key;
      this.#samples = [];
    }
    if (key === undefined) return;
    this.#samples.push({ atMs, commitIndex: leader!.commitIndex! });
    while (this.#samples.length > 1 && this.#samples[0]!.atMs < atMs - this.windowMs) this.#samples.shift();
  }

  /**
   * Commits per second, rounded to 0.1 (finer would only make the snapshot churn); undefined with
   * no leader, or until the samples span at least a second.
   */
  ratePerSec(): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (first === undefined || last === undefined || last.atMs - first.atMs < 1000) return undefined;
    const rate = ((last.commitIndex - first.commitIndex) * 1000) / (last.atMs - first.atMs);
    return Math.round(Math.max(0, rate) * 10) / 10;
  }
}

/** The stats bar's numbers now; `previous` itself when nothing changed (React sees no change). */
export function currentMetrics(previous: ClusterMetrics, latency: LatencyWindow, commits: CommitRate): ClusterMetrics {
  const { p50Ms, p99Ms } = latency.summary();
  const next: ClusterMetrics = { shellOps: latency.count, p50Ms, p99Ms, commitRatePerSec: commits.ratePerSec() };
  const same =
    previous.shellOps === next.shellOps &&
    previous.p50Ms === next.p50Ms &&
    previous.p99Ms === next.p99Ms &&
    previous.commitRatePerSec === next.commitRatePerSec;
  return same ? previous : next;
}
