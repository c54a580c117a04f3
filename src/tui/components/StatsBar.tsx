/**
 * One line of numbers: requests made from the shell (count, p50 and p99 latency) and the
 * cluster's commit rate. Fixed width, so the line does not jitter as the numbers change.
 */
import { Text } from 'ink';
import { fit, formatMs } from '../format.js';
import type { ClusterMetrics } from '../model.js';

export interface StatsBarProps {
  metrics: ClusterMetrics;
  width: number;
}

/** The stats line as plain text (also used by tests). */
export function statsText(m: ClusterMetrics): string {
  const rate = m.commitRatePerSec === undefined ? '-' : `${m.commitRatePerSec.toFixed(1)}/s`;
  return (
    `shell ${fit(String(m.shellOps), 6, 'right')} ops` +
    `  p50 ${fit(formatMs(m.p50Ms), 9, 'right')}` +
    `  p99 ${fit(formatMs(m.p99Ms), 9, 'right')}` +
    `  │ commits ${fit(rate, 9, 'right')}`
  );
}

export function StatsBar({ metrics, width }: StatsBarProps) {
  return (
    <Text color="blue" wrap="truncate">
      {fit(statsText(metrics), width)}
    </Text>
  );
}
