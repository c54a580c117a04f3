/**
 * The redis-cli-like shell: its output scrolled so the newest lines are just above the prompt,
 * then `127.0.0.1:7001> ` and the line being typed. Always `lines + 2` lines tall (title, output,
 * prompt). A line too long for the screen scrolls sideways, so the cursor stays visible.
 */
import { Box, Text } from 'ink';
import { displayWidth, fit, rule, tailWithin } from '../format.js';
import type { ShellLine, ShellLineTone } from '../shell/commands.js';

export interface ShellProps {
  prompt: string;
  input: string;
  output: readonly ShellLine[];
  /** Output lines shown above the prompt. */
  lines: number;
  focused: boolean;
  /** A request is in flight. */
  pending: boolean;
  /** Lines waiting behind it. */
  queued?: number;
  width: number;
}

const TONE_COLOR: Record<ShellLineTone, string | undefined> = {
  input: undefined,
  reply: undefined,
  error: 'red',
  info: 'gray',
};

export function Shell({ prompt, input, output, lines, focused, pending, queued = 0, width }: ShellProps) {
  const shown = output.slice(-lines);
  // Top-aligned while output is short, like a fresh terminal.
  const rows = Array.from({ length: lines }, (_, i) => shown[i]);
  const status = pending ? ` (waiting for reply…${queued > 0 ? `, ${queued} queued` : ''})` : '';
  // Room for the prompt, the cursor cell and the status; the input shows its tail when too long.
  const room = Math.max(1, width - displayWidth(prompt) - 1 - status.length);
  const visible = displayWidth(input) > room ? '…' + tailWithin(input, room - 1) : input;
  const used = displayWidth(prompt) + displayWidth(visible) + 1 + status.length;
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor wrap="truncate">
        {rule(focused ? 'shell' : 'shell (Tab to type)', width)}
      </Text>
      {rows.map((line, i) => (
        <Text key={i} color={line === undefined ? undefined : TONE_COLOR[line.tone]} wrap="truncate">
          {fit(line?.text ?? '', width)}
        </Text>
      ))}
      <Text wrap="truncate" dimColor={!focused}>
        {prompt}
        {visible}
        <Text inverse={focused}>{' '}</Text>
        <Text dimColor>{status}</Text>
        {' '.repeat(Math.max(0, width - used))}
      </Text>
    </Box>
  );
}
