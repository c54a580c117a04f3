/**
 * raft-tui needs a real terminal on both ends: it reads keys in raw mode (Ink throws "Raw mode is
 * not supported" on a pipe) and draws by rewriting lines. The bin checks this first and, instead of
 * a stack trace, prints one clear message and exits non-zero.
 */

export const NO_TTY = 'NO_TTY';

export interface TtyProblem {
  code: typeof NO_TTY;
  message: string;
}

/** Undefined when both streams are terminals; otherwise what is wrong and what to do instead. */
export function ttyProblem(stdin: { isTTY?: boolean }, stdout: { isTTY?: boolean }): TtyProblem | undefined {
  const missing = [stdin.isTTY ? undefined : 'input', stdout.isTTY ? undefined : 'output'].filter(
    (s): s is string => s !== undefined,
  );
  if (missing.length === 0) return undefined;
  return {
    code: NO_TTY,
    message:
      `raft-tui needs an interactive terminal, but its ${missing.join(' and ')} ` +
      `${missing.length === 1 ? 'is' : 'are'} not one (a pipe, a file or CI?). ` +
      'Run it in a terminal, or use `npx raftkv ctl status` and `npx raftkv get|set|del|cas` instead.',
  };
}
