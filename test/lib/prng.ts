/**
 * A small seeded PRNG for tests and the simulator. Nothing under test/ may use Math.random:
 * every random choice must come from a seed that a failure report can print.
 *
 * The generator is mulberry32 (32-bit state, period 2^32): fast, good enough for choosing faults,
 * and trivially reproducible across platforms because it uses only 32-bit integer arithmetic.
 * `fork(label)` derives an independent stream, so that adding draws in one part of the simulator
 * (say, the network) does not shift the choices another part (say, a node's election timeouts) sees.
 */

/** Mix a 32-bit value (splitmix32 finaliser); used to derive seeds for forked streams. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** FNV-1a over a label's UTF-16 code units: a stable 32-bit id for a fork label. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Prng {
  /** Current mulberry32 state; the whole future of the stream is a function of it. */
  private state: number;
  /** The seed this stream started from (for forks and for printing). */
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`PRNG_BAD_SEED: seed must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** A float uniformly distributed in [0, 1). */
  next(): number {
    let z = (this.state = (this.state + 0x6d2b79f5) | 0);
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer uniformly distributed in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    if (hi < lo) throw new RangeError(`PRNG_BAD_RANGE: [${lo}, ${hi}]`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. chance(0) is always false and draws nothing, so it never shifts the stream. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    return this.next() < p;
  }

  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('PRNG_EMPTY_PICK: cannot pick from an empty array');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A new array with the same elements in a uniformly random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /**
   * An independent stream derived from this stream's seed and `label`. Forking does not advance
   * this stream, so the same label always yields the same child.
   */
  fork(label: string): Prng {
    return new Prng(mix32(this.seed ^ mix32(hashLabel(label))));
  }

  /** A `() => number` in [0, 1) for APIs that take a bare function (RaftConfig.random). */
  asFunction(): () => number {
    return () => this.next();
  }
}
