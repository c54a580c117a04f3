/**
 * The one poll-until-deadline helper of the tests: tests wait on conditions, never on bare
 * sleeps. (test/tui/wait-for.ts builds waiting for a rendered frame on it; test/sim/script.ts
 * waits in simulated ticks.)
 */
/** Poll `cond` until it returns a truthy value, or fail with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, cond: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
