/**
 * The link view: one row per node, one column per peer, each cell how long ago that node last
 * heard that peer (and whether an injected fault cuts the link). Takes the place of the node
 * detail pane while on (`l`), with the same height, so the screen keeps its shape. Updates with
 * every poll of the nodes.
 */
import { Box, Text } from 'ink';
import { fit, rule } from '../format.js';
import { linkCell, linkTone } from '../link-view.js';
import type { NodeView } from '../model.js';

export interface LinkViewProps {
  nodes: readonly NodeView[];
  /** Body lines (the title line comes on top). */
  lines: number;
  width: number;
}

const HEAD_WIDTH = 28;
const TONE_COLOR = { cut: 'red', heard: 'green', quiet: undefined } as const;
const CELL_WIDTH = 14;

export function LinkView({ nodes, lines, width }: LinkViewProps) {
  const legend = '  (never: no message yet; normal between followers)';
  const header = fit('', HEAD_WIDTH) + nodes.map((n) => fit(`hears ${n.id}`, CELL_WIDTH)).join('') + legend;
  const rows = Array.from({ length: lines }, (_, i) => (i === 0 ? 'header' : nodes[i - 1]));
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor wrap="truncate">
        {rule('links: time since each node last heard each peer (l: back to the log)', width)}
      </Text>
      {rows.map((row, i) => {
        if (row === 'header') return <Text key={i} dimColor wrap="truncate">{fit(header, width)}</Text>;
        if (row === undefined) return <Text key={i} wrap="truncate">{fit('', width)}</Text>;
        const up = row.state === 'up';
        const head = fit(`node ${row.id} ${up ? (row.role ?? '') : row.state}${row.delayMs ? ` +${row.delayMs}ms` : ''}`, HEAD_WIDTH - 1) + ' ';
        return (
          <Text key={i} wrap="truncate">
            <Text dimColor={!up}>{head}</Text>
            {nodes.map((peer) => {
              if (peer.id === row.id) return <Text key={peer.id} dimColor>{fit('-', CELL_WIDTH)}</Text>;
              const l = up ? row.links?.[String(peer.id)] : undefined;
              const text = up ? linkCell(l) : '';
              return (
                <Text key={peer.id} color={up ? TONE_COLOR[linkTone(l)] : undefined} dimColor={up && linkTone(l) === 'quiet'}>
                  {fit(text, CELL_WIDTH)}
                </Text>
              );
            })}
            <Text>{fit('', Math.max(0, width - HEAD_WIDTH - nodes.length * CELL_WIDTH))}</Text>
          </Text>
        );
      })}
    </Box>
  );
}
