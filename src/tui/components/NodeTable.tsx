/**
 * One row per configured node, always all of them: a node that died or never came up is shown
 * dimmed in red, never hidden. The leader's row is bold with `*` and its role in green; the
 * selected row has `>` and, while the table has the focus, is drawn inverse (k9s/htop habit).
 */
import { Box, Text } from 'ink';
import { leaderOf, type NodeView } from '../model.js';
import { cellText, fitColumns, GAP, headerText, nodeColumns, rowWidth, type Column } from '../table-columns.js';
import { LEADER_MARKER, ROLE_COLOR, SELECTED_MARKER, STATE_COLOR } from '../theme.js';

export interface NodeTableProps {
  nodes: readonly NodeView[];
  /** Id of the selected node; no row is selected when it matches none. */
  selectedId: number | undefined;
  /** Whether the table has the keyboard focus. */
  focused: boolean;
  /** Characters available; columns that do not fit are dropped by their dropOrder. */
  width: number;
}

export function NodeTable({ nodes, selectedId, focused, width }: NodeTableProps) {
  const columns = fitColumns(nodeColumns(nodes), width);
  const leader = leaderOf(nodes);
  const padding = ' '.repeat(Math.max(0, width - rowWidth(columns)));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {'  '}
        {columns.map(headerText).join(' '.repeat(GAP))}
        {padding}
      </Text>
      {nodes.map((node) => (
        <NodeRow
          key={node.id}
          node={node}
          columns={columns}
          isLeader={leader?.id === node.id}
          leader={leader}
          selected={node.id === selectedId}
          focused={focused}
          padding={padding}
        />
      ))}
    </Box>
  );
}

interface NodeRowProps {
  node: NodeView;
  columns: readonly Column[];
  isLeader: boolean;
  leader: NodeView | undefined;
  selected: boolean;
  focused: boolean;
  padding: string;
}

function NodeRow({ node, columns, isLeader, leader, selected, focused, padding }: NodeRowProps) {
  const dead = node.state === 'down' || node.state === 'unreachable';
  const stopped = node.state === 'stopped';
  const marker = (selected ? SELECTED_MARKER : ' ') + (isLeader ? LEADER_MARKER : ' ');
  return (
    <Text
      wrap="truncate"
      bold={isLeader}
      color={dead ? 'red' : undefined}
      dimColor={dead || stopped}
      inverse={selected && focused}
    >
      {marker}
      {columns.map((column, i) => {
        const text = cellText(column, node, { leader });
        const gap = i === 0 ? '' : ' '.repeat(GAP);
        if (column.key === 'role' && node.state === 'up' && node.role !== undefined) {
          return (
            <Text key={column.key}>
              {gap}
              <Text color={ROLE_COLOR[node.role]}>{text}</Text>
            </Text>
          );
        }
        if (column.key === 'state') {
          return (
            <Text key={column.key}>
              {gap}
              <Text color={STATE_COLOR[node.state]}>{text}</Text>
            </Text>
          );
        }
        return gap + text;
      })}
      {padding}
    </Text>
  );
}
