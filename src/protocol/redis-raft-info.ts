/**
 * RAFT.INFO as Redis-Raft answers it: a bulk string in INFO's layout with a `# Raft` section (this
 * node, the leader, the term, one `nodeK:` line per peer) and a `# Log` section (indices and the
 * size of the log on disk). Field names follow Redis-Raft where it has them; what it lacks and
 * raftkv knows (last contact, match index, link state) is added to the peer lines.
 */
import { renderSections, type InfoFacts, type InfoFields } from './redis-info.js';

export function renderRaftInfo(f: InfoFacts): string {
  const peers = f.raftPeers ?? [];
  const address = (id: number) => f.nodes?.find((n) => n.id === id);
  const raft: InfoFields = [
    ['node_id', f.nodeId],
    ['state', 'up'],
    ['role', f.role],
    ['is_voting', f.learners?.includes(f.nodeId) ? 'no' : 'yes'],
    ['leader_id', f.leader === 0 ? -1 : f.leader],
    ['current_term', f.term],
    ['voted_for', f.vote],
    ['num_nodes', peers.length + 1],
    ['num_voting_nodes', f.voters?.length ?? peers.length + 1],
    ...peers.map((p, k): [string, string] => {
      const a = address(p.id);
      const state = p.link === 'up' ? 'connected' : p.link === 'cut' ? 'cut' : 'disconnected';
      const lastContact = p.lastContactMs === null ? -1 : p.lastContactMs;
      return [
        `node${k}`,
        `id=${p.id},state=${state},voting=${p.role === 'learner' ? 'no' : 'yes'},role=${p.role ?? 'voter'},addr=${a?.host ?? '?'},port=${a?.port ?? 0}${a?.peerPort !== undefined ? `,peer_port=${a.peerPort}` : ''}${p.match !== undefined ? `,match_index=${p.match}` : ''},last_contact_ms=${lastContact}`,
      ];
    }),
  ];
  const log: InfoFields = [
    ['log_entries', f.firstIndex === undefined ? undefined : Math.max(0, f.lastLogIndex - f.firstIndex + 1)],
    ['current_index', f.lastLogIndex],
    ['first_index', f.firstIndex],
    ['commit_index', f.commitIndex],
    ['last_applied_index', f.lastApplied],
    ['file_size', f.persistence?.walSizeBytes],
  ];
  return renderSections([
    ['raft', raft],
    ['log', log],
  ]);
}
