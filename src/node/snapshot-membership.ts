/**
 * The membership a snapshot file carries in its header (`config`), both ways:
 *  - written: the state machine's membership as of the snapshot's index (config entries applied,
 *    or the snapshot it was loaded from), else the bootstrap one of cluster.json;
 *  - read: files written before membership changes existed hold only voters and learners; their
 *    addresses come from what the node knows (cluster.json), as they did when the file was written.
 */
import type { MemberAddress, Membership } from '../protocol/raft-messages.js';
import type { SnapshotConfig } from './storage/snapshot-file.js';

export function snapshotConfigOf(membership: Membership | null, bootstrap: Membership): SnapshotConfig {
  const m = membership ?? bootstrap;
  return { voters: m.voters.slice(), learners: m.learners.slice(), addresses: { ...m.addresses } };
}

/** The membership of a header's config; addresses missing from an old file are taken from `known`. */
export function membershipOfSnapshot(config: SnapshotConfig, known: Record<string, MemberAddress>): Membership {
  const addresses: Record<string, MemberAddress> = {};
  for (const id of [...config.voters, ...config.learners]) {
    const a = config.addresses?.[String(id)] ?? known[String(id)];
    if (a) addresses[String(id)] = a;
  }
  return { voters: config.voters.slice(), learners: config.learners.slice(), addresses };
}
