/**
 * Log lines about things strangers can cause (refused connections, protocol errors, disconnected
 * clients) at a bounded rate: whoever can open connections as fast as the kernel accepts them
 * must not be able to fill the disk or spend the node's CPU on logging. Within each window the
 * first `perWindow` lines are written; the rest are counted and summed up in one line when the
 * next line after the window comes.
 */
import type { Logger } from './logger.js';

export class RateLimitedLog {
  private windowStart = 0;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(msg: string): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.log.warn(`(${this.suppressed} more such lines not logged in the last ${Math.round((t - this.windowStart) / 1000)} s)`);
      this.windowStart = t;
      this.written = 0;
      this.suppressed = 0;
    }
    if (this.written < this.perWindow) {
      this.written++;
      this.log.warn(msg);
    } else {
      this.suppressed++;
    }
  }
}
