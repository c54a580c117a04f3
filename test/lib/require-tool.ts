/**
 * Gates the tests that drive outside tools (`nc`, `redis-cli`, `redis-benchmark`, `tmux`).
 * A newcomer with only Node and npm gets a green `npm test` with one skip line per missing tool
 * naming the Debian package; CI (`CI=true`, set by `.ci/run`) installs them, so there a missing
 * tool is a failure rather than a quiet skip that would hide the tests.
 */
import t from 'tap';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The Debian package that ships each tool the tests run. */
export const TOOL_PACKAGES = {
  nc: 'netcat-openbsd',
  'redis-cli': 'redis-tools',
  'redis-benchmark': 'redis-tools',
  tmux: 'tmux',
} as const;

export type Tool = keyof typeof TOOL_PACKAGES;

/** Whether `tool` is an executable file in one of PATH's folders (no shell: PATH may lack `sh`). */
export function onPath(tool: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The skip reason for a test that needs `tools`, or `false` when all are there. */
export function missingToolsReason(tools: readonly Tool[], path?: string): string | false {
  const missing = tools.filter((tool) => !onPath(tool, path));
  if (missing.length === 0) return false;
  const packages = [...new Set(missing.map((tool) => TOOL_PACKAGES[tool]))];
  return `needs ${missing.join(', ')} (apt-get install ${packages.join(' ')})`;
}

/**
 * For a test's `skip` option: `false` when every tool is on PATH, else the reason, which tap
 * prints on the skipped test's line. With `CI=true` a missing tool also fails the run.
 */
export function requireTools(...tools: Tool[]): string | false {
  const reason = missingToolsReason(tools);
  if (reason && process.env.CI === 'true') t.fail(`${reason}: CI=true requires every tool the tests use`);
  return reason;
}
