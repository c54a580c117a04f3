/**
 * Membership changes, one server at a time (Raft thesis §4.1), as pure functions.
 *
 * Why single-server changes and not joint consensus (§4.3): adding, promoting or removing one
 * member at a time is all that `raftkv member` and `ctl add/remove` need, any majority of the old
 * configuration overlaps any majority of the new one, so no intermediate joint configuration is
 * needed, and the rules fit in a few lines. The price is two known conditions, both enforced by
 * the leader in raft.ts:
 *   - a configuration takes effect on each node as soon as its entry is in that node's log
 *     (committed or not; a truncated entry reverts it), so every node always uses the newest
 *     configuration it has heard of (§4.1);
 *   - a leader proposes a change only when the previous one is committed AND it has committed an
 *     entry of its own term (the fix published in the thesis errata / raft-dev, 2015: without it a
 *     new leader could add a change on top of an uncommitted one from an older term and two
 *     disjoint majorities could elect leaders).
 * Learners (non-voting members) receive the log but never vote or count toward commitment; a
 * learner is promoted to voter by a change of its own once it has caught up.
 */
import type { ConfChange, MemberAddress, Membership, NodeId } from '../../protocol/raft-messages.js';

export function emptyMembership(): Membership {
  return { voters: [], learners: [], addresses: {} };
}

/** The bootstrap membership of RaftConfig (voters, learners and addresses from cluster.json). */
export function bootstrapMembership(voters: NodeId[], learners: NodeId[] = [], addresses: Record<string, MemberAddress> = {}): Membership {
  const v = [...new Set(voters)].sort((a, b) => a - b);
  const l = [...new Set(learners)].filter((id) => !v.includes(id)).sort((a, b) => a - b);
  return { voters: v, learners: l, addresses: { ...addresses } };
}

export function isMember(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.learners.includes(id);
}

export function memberIds(m: Membership): NodeId[] {
  return [...m.voters, ...m.learners].sort((a, b) => a - b);
}

export type ChangeRefusal = { code: 'BAD_REQUEST'; reason: string };

/**
 * The membership after `cc`, or why the change is not allowed in `m`. Whether now is a good time
 * (one change at a time, the learner caught up) is the leader's call, not this function's.
 */
export function applyConfChange(m: Membership, cc: ConfChange): Membership | ChangeRefusal {
  const bad = (reason: string): ChangeRefusal => ({ code: 'BAD_REQUEST', reason });
  const without = (list: NodeId[]) => list.filter((x) => x !== cc.id);
  const sorted = (list: NodeId[]) => [...list, cc.id].sort((a, b) => a - b);
  switch (cc.type) {
    case 'addLearner':
    case 'addVoter': {
      if (isMember(m, cc.id)) return bad(`node ${cc.id} is already a member`);
      const a = cc.address;
      for (const [id, other] of Object.entries(m.addresses)) {
        if (other.host !== a.host) continue;
        const used = [other.port, other.peerPort];
        if (used.includes(a.port) || used.includes(a.peerPort)) return bad(`address ${a.host}:${a.port}:${a.peerPort} clashes with node ${id} (${other.host}:${other.port}:${other.peerPort})`);
      }
      if (a.port === a.peerPort) return bad('port and peerPort must differ');
      const addresses = { ...m.addresses, [String(cc.id)]: { host: a.host, port: a.port, peerPort: a.peerPort } };
      return cc.type === 'addLearner' ? { voters: m.voters, learners: sorted(m.learners), addresses } : { voters: sorted(m.voters), learners: m.learners, addresses };
    }
    case 'promote':
      if (m.voters.includes(cc.id)) return bad(`node ${cc.id} is already a voter`);
      if (!m.learners.includes(cc.id)) return bad(`node ${cc.id} is not a member`);
      return { voters: sorted(m.voters), learners: without(m.learners), addresses: m.addresses };
    case 'remove': {
      if (!isMember(m, cc.id)) return bad(`node ${cc.id} is not a member`);
      if (m.voters.length === 1 && m.voters[0] === cc.id) return bad(`node ${cc.id} is the last voter`);
      const addresses = { ...m.addresses };
      delete addresses[String(cc.id)];
      return { voters: without(m.voters), learners: without(m.learners), addresses };
    }
  }
}

export function isRefusal(r: Membership | ChangeRefusal): r is ChangeRefusal {
  return 'code' in r;
}
