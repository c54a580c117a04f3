/**
 * The most recent N durations, for percentiles in INFO (fsync latency): a ring buffer, sorted only
 * when asked. "Recent" is what an operator looking at a live node wants; Prometheus histograms
 * (metrics.ts) keep the all-time distribution.
 */
export class LatencyWindow {
  private readonly buf: Float64Array;
  private next = 0;
  private filled = 0;
  /** Every sample ever recorded. */
  count = 0;

  constructor(size = 1024) {
    this.buf = new Float64Array(size);
  }

  record(ms: number): void {
    this.buf[this.next] = ms;
    this.next = (this.next + 1) % this.buf.length;
    if (this.filled < this.buf.length) this.filled++;
    this.count++;
  }

  /** Percentiles (0..100) of the window in ms, nearest-rank; null when empty. */
  percentiles(ps: readonly number[]): Array<number | null> {
    if (this.filled === 0) return ps.map(() => null);
    const sorted = Array.from(this.buf.subarray(0, this.filled)).sort((a, b) => a - b);
    return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
  }
}
