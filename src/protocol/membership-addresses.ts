/**
 * A membership (voters, learners, addresses: what config entries and snapshots carry) and the
 * list of members with their addresses (what cluster.json, the `members` reply, the peer
 * transport and INFO use), converted one way and the other in one place.
 */
import type { MemberInfo } from './client-requests.js';
import type { NodeAddress } from './cluster-config.js';
import type { Membership } from './raft-messages.js';

/**
 * Every member with its address and role, in id order. A member without an address (only the
 * simulator builds such memberships; a node's always come from cluster.json or an addMember)
 * gets host '' and ports 0.
 */
export function membersOf(m: Membership): MemberInfo[] {
  const rows: MemberInfo[] = [];
  for (const [ids, role] of [[m.voters, 'voter'], [m.learners, 'learner']] as const) {
    for (const id of ids) {
      const a = m.addresses[String(id)];
      rows.push({ id, host: a?.host ?? '', port: a?.port ?? 0, peerPort: a?.peerPort ?? 0, role });
    }
  }
  return rows.sort((a, b) => a.id - b.id);
}

/** The bootstrap membership of a cluster file: every node a voter. */
export function membershipOfNodes(nodes: readonly NodeAddress[]): Membership {
  const addresses: Membership['addresses'] = {};
  for (const n of nodes) addresses[String(n.id)] = { host: n.host, port: n.port, peerPort: n.peerPort };
  return { voters: nodes.map((n) => n.id).sort((a, b) => a - b), learners: [], addresses };
}
