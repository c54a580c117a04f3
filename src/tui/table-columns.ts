/**
 * The node table's columns as data: title, width, alignment, how to print a cell, and which
 * columns give way first on a narrow terminal (like htop dropping meters). Widths depend only on
 * the terminal width and the configured addresses, never on changing values, so nothing jitters.
 */
import { fit, formatBytes, formatDuration, numOrDash } from './format.js';
import { addressOf, lagOf, type NodeView } from './model.js';

export type ColumnKey =
  | 'id'
  | 'address'
  | 'state'
  | 'role'
  | 'term'
  | 'leader'
  | 'last'
  | 'commit'
  | 'applied'
  | 'snap'
  | 'lag'
  | 'uptime'
  | 'pid'
  | 'restarts';

export interface CellContext {
  /** The cluster's leader as leaderOf() sees it. */
  leader: NodeView | undefined;
}

export interface Column {
  key: ColumnKey;
  title: string;
  width: number;
  align: 'left' | 'right';
  /** 0 = never dropped; higher numbers are dropped first when the table does not fit. */
  dropOrder: number;
  cell: (node: NodeView, ctx: CellContext) => string;
}

/** Characters before the first column: selection marker and leader marker. */
export const MARKER_WIDTH = 2;
/** Characters between two columns. */
export const GAP = 1;

// Raft fields of a node that is not up are stale: shown, but the role is not (a dead "leader" is
// not a leader).
const raft = (n: NodeView, v: number | undefined): string => numOrDash(v);

export function nodeColumns(nodes: readonly NodeView[]): Column[] {
  const addressWidth = Math.min(21, Math.max('ADDRESS'.length, ...nodes.map((n) => addressOf(n).length)));
  return [
    { key: 'id', title: 'ID', width: 3, align: 'right', dropOrder: 0, cell: (n) => String(n.id) },
    { key: 'address', title: 'ADDRESS', width: addressWidth, align: 'left', dropOrder: 0, cell: (n) => addressOf(n) },
    { key: 'state', title: 'STATE', width: 11, align: 'left', dropOrder: 0, cell: (n) => n.state },
    {
      key: 'role',
      title: 'ROLE',
      width: 13,
      align: 'left',
      dropOrder: 0,
      // A learner follows the leader but has no vote: that is what a person needs to see.
      cell: (n) => (n.state === 'up' && n.role !== undefined ? (n.member === 'learner' && n.role === 'follower' ? 'learner' : n.role) : '-'),
    },
    { key: 'term', title: 'TERM', width: 5, align: 'right', dropOrder: 0, cell: (n) => raft(n, n.term) },
    {
      key: 'leader',
      title: 'LEADER',
      width: 6,
      align: 'right',
      dropOrder: 2,
      cell: (n) => (n.leader === undefined ? '-' : n.leader === 0 ? 'none' : String(n.leader)),
    },
    {
      key: 'last',
      title: 'LAST I/T',
      width: 10,
      align: 'right',
      dropOrder: 0,
      cell: (n) => (n.lastLogIndex === undefined ? '-' : `${n.lastLogIndex}/${numOrDash(n.lastLogTerm)}`),
    },
    { key: 'commit', title: 'COMMIT', width: 6, align: 'right', dropOrder: 1, cell: (n) => raft(n, n.commitIndex) },
    { key: 'applied', title: 'APPLIED', width: 7, align: 'right', dropOrder: 4, cell: (n) => raft(n, n.lastApplied) },
    {
      // The newest snapshot's index; while a follower installs one, how much has arrived.
      key: 'snap',
      title: 'SNAP',
      width: 8,
      align: 'right',
      // The first to go on a narrow terminal (it needs 115 columns).
      dropOrder: 6,
      cell: (n) => (n.state === 'up' && n.receivingSnapshotBytes !== undefined ? `rx ${formatBytes(n.receivingSnapshotBytes)}` : raft(n, n.snapshotIndex)),
    },
    { key: 'lag', title: 'LAG', width: 4, align: 'right', dropOrder: 1, cell: (n, ctx) => numOrDash(lagOf(n, ctx.leader)) },
    {
      key: 'uptime',
      title: 'UPTIME',
      width: 6,
      align: 'right',
      dropOrder: 3,
      cell: (n) => (n.state === 'up' && n.uptimeMs !== undefined ? formatDuration(n.uptimeMs) : '-'),
    },
    { key: 'pid', title: 'PID', width: 7, align: 'right', dropOrder: 5, cell: (n) => numOrDash(n.pid) },
    // Restarts the supervisor made after crashes (the last exit is on the timeline).
    { key: 'restarts', title: 'RESTARTS', width: 8, align: 'right', dropOrder: 6, cell: (n) => numOrDash(n.restarts) },
  ];
}

/** Total characters a row of these columns takes. */
export function rowWidth(columns: readonly Column[]): number {
  return MARKER_WIDTH + columns.reduce((sum, c, i) => sum + c.width + (i === 0 ? 0 : GAP), 0);
}

/**
 * The columns that fit in `width`, dropping the highest dropOrder first (among equals, the
 * rightmost). Columns with dropOrder 0 are always kept; the caller guarantees the width for them
 * (MIN_COLUMNS).
 */
export function fitColumns(columns: readonly Column[], width: number): Column[] {
  const kept = columns.slice();
  while (rowWidth(kept) > width) {
    let victim = -1;
    kept.forEach((c, i) => {
      if (c.dropOrder > 0 && (victim === -1 || c.dropOrder >= kept[victim]!.dropOrder)) victim = i;
    });
    if (victim === -1) break;
    kept.splice(victim, 1);
  }
  return kept;
}

/** One cell's text at its column's width. */
export function cellText(column: Column, node: NodeView, ctx: CellContext): string {
  return fit(column.cell(node, ctx), column.width, column.align);
}

/** A header cell's text. */
export function headerText(column: Column): string {
  return fit(column.title, column.width, column.align);
}
