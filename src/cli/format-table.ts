/**
 * Plain aligned text tables for the CLI (`raftkv status`, `raftkv ctl status`): a header row,
 * columns padded to their widest cell, two spaces between columns, no trailing blanks.
 * Numbers are right-aligned so indexes line up; text is left-aligned.
 */

export type Cell = string | number | null | undefined;

/** `-` stands for a missing value (a node that is down has no role or term). */
function text(cell: Cell): string {
  return cell === null || cell === undefined || cell === '' ? '-' : String(cell);
}

export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((r) => header.map((_, i) => text(r[i])));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header.map((h, i) => (numeric[i] ? h.padStart(widths[i]) : h))), ...cells.map(line)].join('\n');
}
