/**
 * Every key, listed from the same table the input handler uses (keys.ts), so help and behaviour
 * cannot drift apart. Replaces the body of the screen while open; any key closes it. Always
 * exactly `height` lines tall; at the smallest layout (layout.ts) every key still fits, and only
 * the tail of the shell command list may be cut: the keys that work anywhere go in the title
 * line, the table's membership keys in the right column above the shell's.
 */
import { Box, Text } from 'ink';
import { fit, rule } from '../format.js';
import { bindingsFor, MEMBERSHIP_ACTIONS, type KeyBinding } from '../keys.js';
import { SHELL_COMMANDS } from '../shell/commands.js';

export interface HelpOverlayProps {
  width: number;
  height: number;
}

const LABEL_WIDTH = 9;

function section(title: string, bindings: readonly KeyBinding[]): string[] {
  return [title, ...bindings.map((b) => ` ${fit(b.label, LABEL_WIDTH)} ${b.description}`)];
}

/** The overlay's text, one string per line, before fitting to the screen. */
export function helpLines(width: number): string[] {
  // The table's keys fill the left column; "Anywhere" goes right, above the shell commands (the
  // only part that may be cut at the smallest layout).
  const table = bindingsFor('table');
  const left = section('Table', table.filter((b) => !MEMBERSHIP_ACTIONS.has(b.action)));
  const members = section('Members (table)', table.filter((b) => MEMBERSHIP_ACTIONS.has(b.action)));
  const right = [...members, '', ...section('Shell', bindingsFor('shell')), '', 'Shell commands', ...SHELL_COMMANDS.map((c) => ` ${c.usage}`)];
  const half = Math.floor(width / 2);
  const count = Math.max(left.length, right.length);
  return Array.from({ length: count }, (_, i) => fit(left[i] ?? '', half) + fit(right[i] ?? '', width - half));
}

export function HelpOverlay({ width, height }: HelpOverlayProps) {
  const bodyLines = Math.max(0, height - 1);
  const body = helpLines(width);
  const rows = Array.from({ length: bodyLines }, (_, i) => body[i] ?? '');
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {rule(`help (any key closes)  anywhere: ${bindingsFor('global').map((b) => `${b.label} ${b.description}`).join(', ')}`, width)}
      </Text>
      {rows.map((line, i) => (
        <Text key={i} wrap="truncate">
          {fit(line, width)}
        </Text>
      ))}
    </Box>
  );
}
