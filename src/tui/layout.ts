/**
 * Where everything goes on the screen, decided from the terminal size, the node count and how many
 * lines the shell has printed (never from the cluster's data), so the screen keeps its shape from
 * one refresh to the next. The shell pane takes what its output needs, at most a third of the
 * screen; the node detail (raft log and node log) takes everything else, so it grows with the
 * terminal.
 *
 * The app draws `rows - 1` lines, never `rows`: when Ink's output is as tall as the terminal it
 * clears the whole screen on the next render (full-screen flicker); one line short, it rewrites
 * only the lines it drew. Likewise lines are `columns - 1` wide: a line that fills the last column
 * leaves some terminals' cursor in a pending-wrap state, and Ink's line erasing then miscounts.
 */

export const MIN_COLUMNS = 80;

/** Smallest useful heights of the flexible parts. */
export const MIN_DETAIL_LINES = 3;
export const MIN_TIMELINE_LINES = 1;
export const MAX_TIMELINE_LINES = 4;
export const MIN_SHELL_OUTPUT_LINES = 2;

export interface Layout {
  /** Characters per line the app draws: columns - 1. */
  width: number;
  /** Lines the app draws: rows - 1. */
  height: number;
  /** Node rows in the table (every node: nodes are never hidden). */
  tableRows: number;
  detailLines: number;
  timelineLines: number;
  shellOutputLines: number;
}

export type LayoutResult =
  | { ok: true; layout: Layout }
  | { ok: false; columns: number; rows: number; needColumns: number; needRows: number };

/**
 * Lines that do not stretch: title bar, table header, detail title, timeline title, stats bar,
 * shell title and prompt.
 */
const FIXED_LINES = 7;

/** Terminal rows needed to show `nodeCount` nodes. */
export function minRows(nodeCount: number): number {
  return FIXED_LINES + nodeCount + MIN_DETAIL_LINES + MIN_TIMELINE_LINES + MIN_SHELL_OUTPUT_LINES + 1;
}

/** The shell pane (title, output, prompt) takes at most this share of the lines drawn. */
export const MAX_SHELL_SHARE = 1 / 3;
/** Shell lines besides its output: its title and its prompt. */
const SHELL_FRAME_LINES = 2;

/**
 * `shellLines`: lines of output the shell holds (0 when empty); the pane grows with it up to a
 * third of the screen, and the output scrolls within that.
 */
export function computeLayout(columns: number, rows: number, nodeCount: number, shellLines = 0): LayoutResult {
  const needRows = minRows(nodeCount);
  if (columns < MIN_COLUMNS || rows < needRows) {
    return { ok: false, columns, rows, needColumns: MIN_COLUMNS, needRows };
  }
  const height = rows - 1;
  let spare = height - (FIXED_LINES + nodeCount + MIN_DETAIL_LINES + MIN_TIMELINE_LINES + MIN_SHELL_OUTPUT_LINES);
  // The timeline grows first, a little: a few recent events matter more than a longer log.
  const timelineExtra = Math.min(spare, MAX_TIMELINE_LINES - MIN_TIMELINE_LINES);
  spare -= timelineExtra;
  // Then the shell takes what its output needs, up to a third; the detail panels get the rest.
  const shellCap = Math.max(MIN_SHELL_OUTPUT_LINES, Math.floor(height * MAX_SHELL_SHARE) - SHELL_FRAME_LINES);
  const shellExtra = Math.min(spare, Math.max(0, Math.min(shellLines, shellCap) - MIN_SHELL_OUTPUT_LINES));
  const detailExtra = spare - shellExtra;
  return {
    ok: true,
    layout: {
      width: columns - 1,
      height,
      tableRows: nodeCount,
      detailLines: MIN_DETAIL_LINES + detailExtra,
      timelineLines: MIN_TIMELINE_LINES + timelineExtra,
      shellOutputLines: MIN_SHELL_OUTPUT_LINES + shellExtra,
    },
  };
}
