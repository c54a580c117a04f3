/**
 * Deadline-bound waiting for tests: poll a condition until it holds or the deadline passes, then
 * fail with what was last seen. Polling (every few ms) is not a sleep: the test goes on the moment
 * the condition holds, and a slow machine only makes it take longer, never fail spuriously until
 * the deadline.
 */

export interface WaitOptions {
  /** Give up after this long. Default 3000 ms. */
  timeoutMs?: number;
  /** How often to look again. Default 5 ms. */
  intervalMs?: number;
}

/** Resolves with the first truthy value `probe` returns; rejects (WAIT_TIMEOUT) at the deadline. */
export async function waitFor<T>(
  probe: () => T | undefined | null | false,
  what: string,
  { timeoutMs = 3000, intervalMs = 5 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`WAIT_TIMEOUT: ${what} (after ${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until the rendered frame satisfies `accept` (a predicate, or a substring it must contain)
 * and returns that frame. The error names the last frame seen, so a failure shows the screen.
 */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  accept: string | RegExp | ((frame: string) => boolean),
  options?: WaitOptions,
): Promise<string> {
  const test =
    typeof accept === 'string'
      ? (f: string) => f.includes(accept)
      : accept instanceof RegExp
        ? (f: string) => accept.test(f)
        : accept;
  try {
    return await waitFor(() => {
      const f = lastFrame();
      return f !== undefined && test(f) ? f : undefined;
    }, `frame matching ${String(accept)}`, options);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast frame:\n${lastFrame() ?? '(none)'}`);
  }
}

/** Strips ANSI escape sequences (colour, bold, inverse) from a frame. */
export function plain(frame: string): string {
  // eslint-disable-next-line no-control-regex
  return frame.replace(/\u001b\[[0-9;]*m/g, '');
}
