/**
 * The top line: what is being watched and who leads, with the keys a newcomer needs first on the
 * right. Fixed width.
 */
import { Text } from 'ink';
import { fit } from '../format.js';
import { leaderOf, type NodeView } from '../model.js';

export interface TitleBarProps {
  nodes: readonly NodeView[];
  focus: 'table' | 'shell';
  width: number;
}

export function titleText(nodes: readonly NodeView[]): string {
  const up = nodes.filter((n) => n.state === 'up').length;
  const leader = leaderOf(nodes);
  const who = leader === undefined ? 'no leader' : `leader: node ${leader.id} (term ${leader.term ?? '?'})`;
  return `raft-tui  ${nodes.length} nodes, ${up} up  ${who}`;
}

export function TitleBar({ nodes, focus, width }: TitleBarProps) {
  // In the shell, `?` and `q` are text; only Tab/Esc and Ctrl-C are keys there.
  const hints = focus === 'table' ? '[table]  Tab shell  ? help  q quit' : '[shell]  Tab/Esc table  Ctrl-C quit';
  const left = titleText(nodes);
  const hasLeader = leaderOf(nodes) !== undefined;
  return (
    <Text wrap="truncate">
      <Text bold color={hasLeader ? 'green' : 'yellow'}>
        {fit(left, Math.max(0, width - hints.length))}
      </Text>
      <Text dimColor>{fit(hints, Math.min(width, hints.length))}</Text>
    </Text>
  );
}
