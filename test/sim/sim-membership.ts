/**
 * Membership in the simulator: the bootstrap configuration, fake addresses, and the membership
 * as of an index of a simulated disk (the state machine is the list of applied entries, so a
 * snapshot's membership is the newest config entry in it).
 */
import type { ConfigEntryData, Entry, MemberAddress, Membership, NodeId } from '../../src/protocol/raft-messages.js';
import { bootstrapMembership } from '../../src/node/raft/membership.js';

export function simAddress(id: NodeId): MemberAddress {
  return { host: 'sim', port: 1000 + id, peerPort: 2000 + id };
}

export function simBootstrap(voters: readonly NodeId[]): Membership {
  return bootstrapMembership(voters.slice(), [], Object.fromEntries(voters.map((id) => [String(id), simAddress(id)])));
}

/** The membership in force right after `index`: the newest config entry at or below it, else the bootstrap one. */
export function membershipAsOf(entryAt: (i: number) => Entry | undefined, index: number, bootstrap: Membership): Membership {
  for (let i = index; i >= 1; i--) {
    const e = entryAt(i);
    if (!e) break;
    if (e.kind === 'config') return (e.data as ConfigEntryData).membership;
  }
  return bootstrap;
}
