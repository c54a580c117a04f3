/**
 * `raftkv node --join`: a node started empty asks a member of a running cluster to add it as a
 * learner, catches up (InstallSnapshot or the log, as any follower), and has itself promoted to
 * voter once the leader agrees it caught up (NOT_CAUGHT_UP until then, retried). Requests go to
 * the member named by --join, which relays them to its leader.
 *
 * Steps already done are skipped, so restarting a joined node with the same command is harmless:
 * a node whose own log already makes it a voter asks nothing, and one whose log shows it was
 * removed asks nothing either (ids are not reused: a wiped node rejoins under a new id).
 */
import { RaftKvError } from '../protocol/errors.js';
import { retryMembershipCall } from '../protocol/membership-retry.js';
import type { MemberInfo } from '../protocol/client-requests.js';
import type { Membership } from '../protocol/raft-messages.js';
import type { NodeAddress } from '../protocol/cluster-config.js';
import { requestClientPort, type ClientPortCredentials } from './client-port-request.js';
import type { Logger } from './logger.js';

export interface JoinClusterOptions {
  me: NodeAddress;
  seed: { host: string; port: number };
  credentials: ClientPortCredentials;
  log: Logger;
  /** The core's membership in force. */
  membership: () => Membership;
  /** The cluster's members as the seed reported them: peers to accept and dial until we are in. */
  onSeedMembers: (members: MemberInfo[]) => void;
  /** True once the node is stopping: give up quietly. */
  stopping: () => boolean;
  /** Between tries. Default 300 ms. */
  retryMs?: number;
}

const REQUEST_TIMEOUT_MS = 5000;

export async function joinCluster(o: JoinClusterOptions): Promise<void> {
  const { me, log } = o;
  const where = `${o.seed.host}:${o.seed.port}`;
  const isVoter = () => o.membership().voters.includes(me.id);
  const isMember = () => isVoter() || o.membership().learners.includes(me.id);
  if (isVoter()) return;
  const known = o.membership();
  if (!isMember() && known.voters.length > 0) {
    // Our own log has a membership without us: we were removed. Coming back under the same id is
    // not safe (the votes this node cast are on its disk, the cluster forgot them): refuse.
    log.error(`joining: this node's data says node ${me.id} was removed from the cluster (voters now ${known.voters.join(', ')}); not asking to be added again. To rejoin, delete its data directory and join under a new id`);
    return;
  }
  const members = (await ask(o, { op: 'members' }, 'list the members')) as MemberInfo[] | null;
  if (members === null) return;
  o.onSeedMembers(members);
  if (!isMember() && !members.some((m) => m.id === me.id)) {
    log.info(`joining: asking ${where} to add node ${me.id} (${me.host}:${me.port}:${me.peerPort}) as a learner`);
    // Refused (BAD_REQUEST) after a try whose answer was lost: that try may have added us.
    const listsMe = async () => ((await ask(o, { op: 'members' }, 'list the members')) as MemberInfo[] | null)?.some((m) => m.id === me.id) ?? false;
    const added = await ask(o, { op: 'addMember', nodeId: me.id, host: me.host, port: me.port, peerPort: me.peerPort, learner: true }, 'add this node', { inEffect: listsMe });
    if (added === null) return;
    log.info(`joining: added as a learner; catching up`);
  }
  const promoted = await ask(o, { op: 'promoteMember', nodeId: me.id }, 'promote this node', { done: isVoter });
  if (promoted !== null) log.info('joining: promoted to voter');
}

/**
 * Sends `body` to the seed until it succeeds (its value, or true when `inEffect` found it done),
 * it is refused for good (logged; null), `done()` holds (null) or the node stops (null). Every
 * failure that is not final (NOT_CAUGHT_UP, IN_PROGRESS, no leader, the seed unreachable...) is
 * retried, for as long as the node runs.
 */
async function ask(o: JoinClusterOptions, body: Record<string, unknown>, what: string, { done = () => false, inEffect }: { done?: () => boolean; inEffect?: () => Promise<boolean> } = {}): Promise<unknown> {
  let lastLogged = '';
  try {
    const outcome = await retryMembershipCall(
      async () => {
        const reply = await requestClientPort(o.seed, body, o.credentials, REQUEST_TIMEOUT_MS);
        if (!reply.ok) throw reply.error;
        return reply.value;
      },
      {
        retryable: (err) => err.retry !== 'never',
        deadline: Infinity,
        delayMs: () => o.retryMs ?? 300,
        stopped: () => o.stopping() || done(),
        ...(inEffect ? { inEffect } : {}),
        onRetry: (err) => {
          // One line per kind of wait, not one per try.
          if (err.code !== lastLogged) o.log.info(`joining: ${what}: ${err.code} (${err.message}); retrying`);
          lastLogged = err.code;
        },
      },
    );
    return 'value' in outcome ? outcome.value : outcome.settled === 'in effect' ? true : null;
  } catch (err) {
    const e = err as RaftKvError;
    o.log.error(`joining: cannot ${what}: ${e.code}: ${e.message}`);
    return null;
  }
}
