/**
 * Text helpers for fixed-width rendering. Every cell the UI draws goes through `fit`, so a value
 * changing from `9` to `10` never shifts a column: widths depend on the layout, never on the data.
 * Widths are terminal columns as `string-width` counts them (the measure Ink itself uses): keys
 * and values on screen may hold wide characters (CJK, emoji, two columns each) and combining
 * marks (none), which UTF-16 length gets wrong.
 */
import stringWidth from 'string-width';

const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Columns `text` takes on a terminal. */
export function displayWidth(text: string): number {
  // Fast path: most cells are printable ASCII, one column per character.
  return PLAIN_ASCII.test(text) ? text.length : stringWidth(text);
}

/** The longest head of `text` (whole grapheme clusters) that fits in `width` columns, and its width. */
function headWithin(text: string, width: number): { head: string; used: number } {
  let head = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width) break;
    head += segment;
    used += w;
  }
  return { head, used };
}

/** The longest tail of `text` (whole grapheme clusters) that fits in `width` columns. */
export function tailWithin(text: string, width: number): string {
  const parts = [...graphemes.segment(text)].map((s) => s.segment);
  let used = 0;
  let start = parts.length;
  while (start > 0 && used + stringWidth(parts[start - 1]!) <= width) used += stringWidth(parts[--start]!);
  return parts.slice(start).join('');
}

/**
 * `text` padded or cut to exactly `width` characters. A cut text ends in `…` so it is visibly
 * incomplete. `align: 'right'` pads on the left (numbers).
 */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const w = displayWidth(text);
  if (w > width) {
    if (width === 1) return '…';
    // A wide character that would straddle the edge is left out and its column padded.
    const { head, used } = headWithin(text, width - 1);
    return head + ' '.repeat(width - 1 - used) + '…';
  }
  const pad = ' '.repeat(width - w);
  return align === 'right' ? pad + text : text + pad;
}

/**
 * A duration in the two largest units, like top/htop/k9s: `42s`, `3m05s`, `1h02m`, `2d03h`.
 * At most 6 characters for anything under 100 days. Negative or non-finite input gives `-`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}

/** A byte count in at most 5 characters: `812B`, `4.1K`, `37M`, `1.2G`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** Local wall-clock time `HH:MM:SS` of an epoch time in ms. */
export function formatClock(atMs: number): string {
  const d = new Date(atMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A latency in ms with sensible precision (`0.42 ms`, `3.1 ms`, `120 ms`); `-` when unknown. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** An optional number as text, `-` when unknown. */
export function numOrDash(n: number | undefined): string {
  return n === undefined ? '-' : String(n);
}

/** A section title drawn as a rule of exactly `width` characters: `── title ─────…`. */
export function rule(title: string, width: number): string {
  const head = title === '' ? '' : `── ${title} `;
  return fit(head + '─'.repeat(Math.max(0, width - displayWidth(head))), width);
}
