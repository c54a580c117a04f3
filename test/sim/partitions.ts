/**
 * The network faults both simulator modes inject (chaos.ts for the pure core, real-node/real-seed.ts
 * for the node's real code): a symmetric split, an isolated node or leader, a one-way cut, and a
 * leader that can only send (deaf) or only hear (mute), which check-quorum must notice.
 */
import type { NodeId } from '../../src/protocol/raft-messages.js';
import type { Prng } from '../lib/prng.js';
import type { SimNetwork } from './network.js';

export const PARTITION_KINDS = ['split', 'isolate', 'isolate-leader', 'one-way', 'leader-deaf', 'leader-mute'] as const;

/** Cuts links of `network` by a random kind; `leader` 0 when none is known. Returns a trace line. */
export function injectPartition(network: SimNetwork, ids: readonly NodeId[], leader: NodeId, prng: Prng): string {
  const kind = prng.pick(PARTITION_KINDS);
  switch (kind) {
    case 'split': {
      const shuffled = prng.shuffle(ids);
      const size = prng.int(1, ids.length - 1);
      network.partition(shuffled.slice(0, size), shuffled.slice(size));
      break;
    }
    case 'isolate':
      network.isolate(prng.pick(ids));
      break;
    case 'isolate-leader':
      network.isolate(leader || prng.pick(ids));
      break;
    case 'one-way': {
      const a = prng.pick(ids);
      const b = prng.pick(ids.filter((x) => x !== a));
      network.cut(a, b);
      break;
    }
    case 'leader-deaf': {
      // The leader can still send but hears nobody: check-quorum must make it step down.
      const l = leader || prng.pick(ids);
      for (const x of ids) if (x !== l) network.cut(x, l);
      break;
    }
    case 'leader-mute': {
      const l = leader || prng.pick(ids);
      for (const x of ids) if (x !== l) network.cut(l, x);
      break;
    }
  }
  return `partition ${kind}: cut ${network.cuts().join(' ') || '(none)'}`;
}
