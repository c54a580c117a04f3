/**
 * The most recent cluster events, newest at the bottom, one per line with its time and colour:
 * elections, leader changes, nodes going down and coming back, and what each key press did.
 * With `lines === 1` it is the k9s-style event line. Always `lines + 1` lines tall.
 */
import { Box, Text } from 'ink';
import { fit, formatClock, rule } from '../format.js';
import type { ClusterEvent } from '../model.js';
import { EVENT_COLOR } from '../theme.js';

export interface TimelineProps {
  events: readonly ClusterEvent[];
  lines: number;
  width: number;
}

export function Timeline({ events, lines, width }: TimelineProps) {
  const shown = events.slice(-lines);
  const rows = Array.from({ length: lines }, (_, i) => shown[i]);
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor wrap="truncate">
        {rule('events', width)}
      </Text>
      {rows.map((event, i) =>
        event === undefined ? (
          <Text key={i} dimColor wrap="truncate">
            {fit(i === 0 && shown.length === 0 ? '(no events yet)' : '', width)}
          </Text>
        ) : (
          <Text key={i} wrap="truncate">
            <Text dimColor>{formatClock(event.atMs)} </Text>
            <Text color={EVENT_COLOR[event.kind]}>{fit(event.text, width - 9)}</Text>
          </Text>
        ),
      )}
    </Box>
  );
}
