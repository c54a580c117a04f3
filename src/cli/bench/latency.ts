/**
 * Latency recording for the bench: an HdrHistogram (hdr-histogram-js) of microseconds, 3
 * significant digits, growing as needed. The pure-JS build: the WebAssembly one must be
 * initialised asynchronously first and saves nothing measurable at a few hundred thousand
 * values per second.
 */
import * as hdr from 'hdr-histogram-js';

export type LatencyHistogram = hdr.Histogram;

export function createLatencyHistogram(): LatencyHistogram {
  return hdr.build({
    useWebAssembly: false,
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    // 10 s to start with; autoResize takes anything longer.
    highestTrackableValue: 10_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Percentiles in milliseconds; all 0 when nothing was recorded. */
export interface LatencySummaryMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export function summarizeLatency(h: LatencyHistogram): LatencySummaryMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  const ms = (us: number): number => us / 1000;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
