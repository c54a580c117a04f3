/**
 * The client port's membership requests (members, addMember, promoteMember, removeMember,
 * transferLeader). Only the leader can change the membership, but any node takes the request: a
 * follower relays it to the leader's client port (the address is in the membership) and passes the
 * answer back, so `raftkv member ...` works against whichever node it reaches.
 *
 * A relayed request is marked `forwarded`; a node that gets one and is not the leader (leadership
 * moved while it was on its way) answers NOT_LEADER rather than relaying it again, so it cannot go
 * round in circles. The client library retries NOT_LEADER on its own.
 */
import type { JsonReply, MembershipRequest } from '../protocol/client-requests.js';
import { membersOf } from '../protocol/membership-addresses.js';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import type { ConfChange, MemberAddress, Membership, NodeId } from '../protocol/raft-messages.js';
import type { Completion } from './client-waiters.js';
import { requestClientPort, type ClientPortCredentials } from './client-port-request.js';
import type { Logger } from './logger.js';
import type { RaftDriver } from './raft-driver.js';

export interface MembershipRequestsOptions {
  self: NodeId;
  driver: Pick<RaftDriver, 'proposeConfChange' | 'transferLeader' | 'membership' | 'soft'>;
  log: Logger;
  /** What this node shows another node's client port when it relays (TLS, password). */
  credentials: ClientPortCredentials;
  /** How long a relayed request may take. */
  timeoutMs: number;
  /**
   * Sends a request to another node's client port (default requestClientPort over TCP/TLS; the
   * real-node simulator passes its simulated link). Rejects as requestClientPort does.
   */
  relay?: (to: MemberAddress, body: MembershipRequest, credentials: ClientPortCredentials, timeoutMs: number) => Promise<JsonReply>;
}

export class MembershipRequests {
  constructor(private readonly opts: MembershipRequestsOptions) {}

  run(req: MembershipRequest, done: Completion<unknown>): void {
    const { driver, self } = this.opts;
    if (req.op === 'members' && req.consistency === 'stale') return done(null, membersOf(driver.membership()));
    const leader = driver.soft.leader;
    if (leader !== self) return this.relay(req, leader, done);
    const ok: Completion<void> = (err) => (err ? this.notLeaderAfterAll(req, err, done) : done(null, 'OK'));
    switch (req.op) {
      case 'members':
        return done(null, membersOf(driver.membership()));
      case 'transferLeader':
        return driver.transferLeader(req.nodeId, ok);
      default:
        return driver.proposeConfChange(changeOf(req), ok);
    }
  }

  /** The core said NOT_LEADER (leadership moved since we looked): relay to the new leader. */
  private notLeaderAfterAll(req: MembershipRequest, err: RaftKvError, done: Completion<unknown>): void {
    const leader = err.code === 'NOT_LEADER' ? err.details?.leader : undefined;
    if (typeof leader === 'number' && leader !== this.opts.self) this.relay(req, leader, done);
    else done(err);
  }

  private relay(req: MembershipRequest, leader: NodeId, done: Completion<unknown>): void {
    if (leader === 0) return done(new RaftKvError('NO_LEADER', 'no leader is known, try again'));
    if (req.forwarded) return done(new RaftKvError('NOT_LEADER', `node ${this.opts.self} is not the leader; node ${leader} is`, { leader }));
    const address = this.opts.driver.membership().addresses[String(leader)];
    if (!address) return done(new RaftKvError('UNAVAILABLE', `the address of the leader, node ${leader}, is not known here`, { leader }));
    const relay = this.opts.relay ?? ((to, body, creds, ms) => requestClientPort(to, { ...body }, creds, ms));
    relay(address, { ...req, forwarded: true }, this.opts.credentials, this.opts.timeoutMs).then(
      (reply) => (reply.ok ? done(null, reply.value) : done(reply.error)),
      (err: unknown) => {
        const e = toRaftKvError(err);
        this.opts.log.warn(`could not relay ${req.op} to the leader, node ${leader} (${address.host}:${address.port}): ${e.message}`);
        done(new RaftKvError(e.code, `relaying to the leader, node ${leader}: ${e.message}`, { leader }));
      },
    );
  }
}

function changeOf(req: Exclude<MembershipRequest, { op: 'members' | 'transferLeader' }>): ConfChange {
  switch (req.op) {
    case 'addMember':
      return { type: req.learner ? 'addLearner' : 'addVoter', id: req.nodeId, address: { host: req.host, port: req.port, peerPort: req.peerPort } };
    case 'promoteMember':
      return { type: 'promote', id: req.nodeId };
    case 'removeMember':
      return { type: 'remove', id: req.nodeId };
  }
}
