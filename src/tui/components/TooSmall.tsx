/**
 * Shown instead of the monitor when the terminal cannot hold it: says how big it is, how big it
 * must be, and how to get out. The app keeps running and redraws as soon as the window grows.
 */
import { Box, Text } from 'ink';

export interface TooSmallProps {
  columns: number;
  rows: number;
  needColumns: number;
  needRows: number;
}

export function TooSmall({ columns, rows, needColumns, needRows }: TooSmallProps) {
  return (
    <Box flexDirection="column">
      <Text color="yellow" bold wrap="truncate">
        Terminal too small
      </Text>
      <Text wrap="truncate">
        {`${columns}x${rows}, need at least ${needColumns}x${needRows}.`}
      </Text>
      <Text dimColor wrap="truncate">
        Enlarge the window, or press q to quit.
      </Text>
    </Box>
  );
}
