/**
 * A FIFO that hands each item on `delayMs` after it was put in, never earlier than the item before
 * it (so lowering the delay cannot reorder: a Raft link per peer must stay FIFO, as TCP is).
 * Bounded: past `maxItems` new items are dropped (the caller counts them), as a congested link
 * would lose them.
 */
export class DelayLine<T> {
  private items: Array<{ due: number; item: T }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliver: (item: T) => void,
    private readonly maxItems: number,
    private readonly now: () => number,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** False (and the item is dropped) when the line is full. */
  put(item: T, delayMs: number): boolean {
    if (this.items.length >= this.maxItems) return false;
    const last = this.items[this.items.length - 1];
    this.items.push({ due: Math.max(this.now() + delayMs, last?.due ?? 0), item });
    this.arm();
    return true;
  }

  /** Keeps only the held items that pass `keep`; the rest are never delivered. */
  filter(keep: (item: T) => boolean): void {
    this.items = this.items.filter((x) => keep(x.item));
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.items = [];
  }

  private arm(): void {
    if (this.timer || this.items.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = this.now();
      while (this.items.length > 0 && this.items[0]!.due <= now) this.deliver(this.items.shift()!.item);
      this.arm();
    }, Math.max(0, this.items[0]!.due - this.now()));
  }
}
