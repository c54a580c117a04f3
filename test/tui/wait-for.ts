/**
 * The TUI tests' frame-oriented waiting, on top of the one poll-until-deadline helper
 * (test/lib/wait-for.ts): a slow machine only makes a wait take longer, never fail spuriously
 * before the deadline.
 */
import { waitFor } from '../lib/wait-for.js';

export interface WaitOptions {
  /** Give up after this long. Default 3000 ms. */
  timeoutMs?: number;
  /** How often to look again. Default 5 ms. */
  intervalMs?: number;
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
    const f = () => {
      const frame = lastFrame();
      return frame !== undefined && test(frame) ? frame : undefined;
    };
    return await waitFor(`frame matching ${String(accept)}`, f, options?.timeoutMs ?? 3000, options?.intervalMs ?? 5);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast frame:\n${lastFrame() ?? '(none)'}`);
  }
}

/** Strips ANSI escape sequences (colour, bold, inverse) from a frame. */
export function plain(frame: string): string {
  // eslint-disable-next-line no-control-regex
  return frame.replace(/\u001b\[[0-9;]*m/g, '');
}
