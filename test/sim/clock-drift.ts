/**
 * Bounded clock drift for the simulator: every node's clock runs at its own fixed rate within
 * ±maxDrift of simulated time, the assumption leader leases rest on (src/node/raft/lease.ts).
 *
 * Node i's clock has counted floor(rate_i * now + phase_i) ticks at simulated tick `now`, so in
 * one simulated tick it ticks 0, 1 or 2 times; over any n simulated ticks it ticks within one of
 * rate_i * n. Rates are drawn from the seed, favouring the extremes (where lease bugs show):
 * a third of the nodes run at 1 - maxDrift, a third at 1 + maxDrift, the rest anywhere between.
 *
 * Invariants: deterministic (a pure function of the seed, the node and `now`: calling it draws
 * nothing, so pausing or crashing a node does not shift anyone else's clock); 0 <= maxDrift < 1.
 */
import type { NodeId } from '../../src/protocol/raft-messages.js';
import type { Prng } from '../lib/prng.js';

export class DriftClocks {
  private readonly clocks = new Map<NodeId, { rate: number; phase: number }>();

  constructor(
    ids: readonly NodeId[],
    readonly maxDrift: number,
    prng: Prng,
  ) {
    if (!(maxDrift >= 0 && maxDrift < 1)) throw new RangeError(`SIM_BAD_OPTION: maxDrift must be in [0, 1), got ${maxDrift}`);
    for (const id of ids) {
      const kind = prng.pick(['slow', 'fast', 'between'] as const);
      const u = kind === 'slow' ? -1 : kind === 'fast' ? 1 : 2 * prng.next() - 1;
      this.clocks.set(id, { rate: 1 + maxDrift * u, phase: prng.next() });
    }
  }

  rate(id: NodeId): number {
    return this.clock(id).rate;
  }

  /** How many times node `id` ticks during simulated tick `now` (>= 1). */
  ticksAt(id: NodeId, now: number): number {
    const { rate, phase } = this.clock(id);
    return Math.floor(rate * now + phase) - Math.floor(rate * (now - 1) + phase);
  }

  private clock(id: NodeId): { rate: number; phase: number } {
    const c = this.clocks.get(id);
    if (!c) throw new RangeError(`SIM_NO_SUCH_NODE: ${id}`);
    return c;
  }
}
