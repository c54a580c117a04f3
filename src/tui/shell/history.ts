/**
 * Command history with ↑/↓, as in readline/linenoise (which redis-cli uses):
 * - `up(draft)` steps to older entries; the first step remembers the line being typed (`draft`);
 * - `down(current)` steps to newer ones, and past the newest gives the draft back;
 * - `push(line)` records a run line (blank lines and repeats of the newest entry are skipped) and
 *   ends the browsing.
 * Pure: no I/O. Bounded: at most `max` entries, the oldest dropped first.
 *
 * Invariant: cursor is in [0, entries.length]; entries.length means "not browsing".
 */
export class ShellHistory {
  private readonly entries: string[] = [];
  private cursor = 0;
  private draft = '';

  constructor(private readonly max = 200) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`HISTORY_BAD_MAX: ${max}`);
  }

  /** Records a line that was run. */
  push(line: string): void {
    if (line.trim() !== '' && this.entries[this.entries.length - 1] !== line) {
      this.entries.push(line);
      if (this.entries.length > this.max) this.entries.shift();
    }
    this.reset();
  }

  /** The older entry to show, or `draft` unchanged when there is none. */
  up(draft: string): string {
    if (this.cursor === this.entries.length) this.draft = draft;
    if (this.cursor === 0) return this.entries.length === 0 ? draft : this.entries[0]!;
    this.cursor--;
    return this.entries[this.cursor]!;
  }

  /**
   * The newer entry to show; past the newest, the draft saved by the first `up`. When not
   * browsing, `current` (the line being typed) is kept.
   */
  down(current: string): string {
    if (this.cursor >= this.entries.length) return current;
    this.cursor++;
    return this.cursor === this.entries.length ? this.draft : this.entries[this.cursor]!;
  }

  /** Stops browsing: the next `up` starts from the newest entry again. */
  reset(): void {
    this.cursor = this.entries.length;
    this.draft = '';
  }

  /** A copy of the entries, oldest first. */
  list(): string[] {
    return this.entries.slice();
  }

  get size(): number {
    return this.entries.length;
  }
}
