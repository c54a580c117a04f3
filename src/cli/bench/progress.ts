/**
 * The progress line on stderr while a test runs: `SET  [#########.........]  45%  45000/100000
 * 31250 req/s`, redrawn in place with `\r`. Only for a person watching: callers enable it when
 * stderr is a terminal and CI is not set, so logs and pipes get no control characters.
 */
import type { TestProgress } from './engine.js';

const BAR_WIDTH = 20;

/** The line for one progress tick (no `\r`, no newline). */
export function formatProgress(p: TestProgress, label = p.test.toUpperCase()): string {
  const fraction =
    p.requests !== null ? p.completed / p.requests : p.durationSeconds !== null ? p.elapsedSeconds / p.durationSeconds : 0;
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const count =
    p.requests !== null ? `${p.completed}/${p.requests}` : `${p.elapsedSeconds.toFixed(1)}/${p.durationSeconds}s ${p.completed}`;
  const rps = p.elapsedSeconds > 0 ? Math.round(p.completed / p.elapsedSeconds) : 0;
  return `${label}  ${bar} ${String(Math.floor(f * 100)).padStart(3)}%  ${count}  ${rps} req/s`;
}

export interface ProgressLine {
  update(p: TestProgress, label?: string): void;
  /** Erases the line (before the report is printed). */
  clear(): void;
}

/** `write` goes to stderr; when disabled, every call does nothing. */
export function progressLine(enabled: boolean, write: (s: string) => void): ProgressLine {
  let shown = false;
  return {
    update(p, label) {
      if (!enabled) return;
      write(`\r${formatProgress(p, label)}\x1b[K`);
      shown = true;
    },
    clear() {
      if (!enabled || !shown) return;
      write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Whether a person is watching stderr: a terminal, and not a CI job. */
export function progressWanted(stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.CI;
}
