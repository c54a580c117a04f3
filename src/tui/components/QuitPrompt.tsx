/**
 * Asked on quit when raft-tui started the cluster itself: stop it too, or leave it running for
 * the next raft-tui (or `raftkv ctl`) to attach to? Drawn in place of the monitor, at the same
 * size, so the screen does not jump.
 */
import { Box, Text } from 'ink';
import { fit } from '../format.js';

/** What the user chose: stop the cluster, leave it running, or go back to the monitor. */
export type QuitChoice = 'stop' | 'leave' | 'cancel';

/** What a key means at the prompt; undefined for keys that mean nothing there. */
export function quitChoiceFor(input: string, key: { escape?: boolean; ctrl?: boolean }): QuitChoice | undefined {
  if (key.ctrl && input === 'c') return 'leave';
  if (key.escape) return 'cancel';
  if (input === 'y' || input === 'Y') return 'stop';
  if (input === 'n' || input === 'N') return 'leave';
  return undefined;
}

export const QUIT_QUESTION = 'Stop the cluster? (y/n)';

export interface QuitPromptProps {
  /** How many nodes the cluster has, for the question's context line. */
  nodeCount: number;
  width: number;
  height: number;
}

/** The question; its keys are handled by Root (see there why). */
export function QuitPrompt({ nodeCount, width, height }: QuitPromptProps) {
  const lines = [
    `raft-tui started this ${nodeCount}-node cluster.`,
    '',
    QUIT_QUESTION,
    '',
    'y  stop every node and the supervisor',
    'n  quit and leave the cluster running (raft-tui attaches to it next time)',
    'Esc  back to the monitor',
  ];
  return (
    <Box flexDirection="column" width={width} height={height} paddingTop={1} paddingLeft={2}>
      {lines.map((line, i) => (
        <Text key={i} bold={line === QUIT_QUESTION} color={line === QUIT_QUESTION ? 'yellow' : undefined} wrap="truncate">
          {fit(line, Math.max(0, width - 2))}
        </Text>
      ))}
    </Box>
  );
}
