/**
 * The selected node up close: its most recent Raft log entries (index, term, command) on the
 * left, the tail of its `logs/node-<id>.log` on the right. Always exactly `lines + 1` lines tall
 * (a title, then the body), whatever the data, so the screen never changes shape.
 */
import { Box, Text } from 'ink';
import { fit, rule } from '../format.js';
import type { LogEntryView, NodeView } from '../model.js';
import { EVENT_COLOR, STATE_COLOR } from '../theme.js';

export interface NodeDetailProps {
  node: NodeView | undefined;
  entries: readonly LogEntryView[];
  logTail: readonly string[];
  /** Body lines (the title line comes on top). */
  lines: number;
  width: number;
}

/** Width of the log-entries pane: enough for a command, leaving the rest to the log file. */
export function entriesPaneWidth(width: number): number {
  return Math.min(48, Math.floor(width * 0.45));
}

export function NodeDetail({ node, entries, logTail, lines, width }: NodeDetailProps) {
  const left = entriesPaneWidth(width);
  const right = width - left - 1;
  // The address is in the table already; the title names the node and what the pane holds.
  const title = node === undefined ? 'no node selected' : `node ${node.id}: raft log, newest last`;
  const fileTitle = node === undefined ? '' : `logs/node-${node.id}.log`;
  const shownEntries = entries.slice(-lines);
  const shownTail = logTail.slice(-lines);
  const rows = Array.from({ length: lines }, (_, i) => i);
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor wrap="truncate">
        {rule(title, left)} {rule(fileTitle, right)}
      </Text>
      {rows.map((i) => (
        <Text key={i} wrap="truncate">
          <EntryCell entry={shownEntries[i]} width={left} down={node !== undefined && node.state !== 'up'} empty={i === 0 && shownEntries.length === 0} />
          {' '}
          <Text dimColor>{fit(shownTail[i] ?? (i === 0 && shownTail.length === 0 ? '(no log lines)' : ''), right)}</Text>
        </Text>
      ))}
    </Box>
  );
}

const INDEX_WIDTH = 7;
const TERM_WIDTH = 5;

function EntryCell({ entry, width, down, empty }: { entry: LogEntryView | undefined; width: number; down: boolean; empty: boolean }) {
  if (entry === undefined) {
    const text = empty ? (down ? '(node not up: no entries)' : '(no entries)') : '';
    return <Text dimColor>{fit(text, width)}</Text>;
  }
  const head = `${fit(String(entry.index), INDEX_WIDTH, 'right')} ${fit(`t${entry.term}`, TERM_WIDTH)} `;
  const rest = width - head.length;
  return (
    <Text>
      <Text color={down ? STATE_COLOR.down : undefined} dimColor>
        {head}
      </Text>
      {entry.kind === 'noop' ? (
        <Text dimColor>{fit('(no-op)', rest)}</Text>
      ) : entry.kind === 'config' ? (
        <Text color={EVENT_COLOR.member}>{fit(`(config) ${entry.command}`, rest)}</Text>
      ) : (
        fit(entry.command, rest)
      )}
    </Text>
  );
}
