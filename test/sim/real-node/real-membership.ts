/**
 * Membership churn in the real-node simulator, as `--membership churn` in the core mode
 * (../chaos.ts): spare nodes start empty outside the membership (as `raftkv node --join` does),
 * and an operator sends random addMember (mostly as learner) / promoteMember / removeMember /
 * transferLeader requests to random nodes' client ports. They go through the node's real entry
 * points: MembershipRequests (which relays a follower's request to the leader over the simulated
 * link), the driver's proposeConfChange / transferLeader and the membership waiters. A removed
 * node is never added back (a wiped node rejoins under a new id) and keeps running, as after
 * `raftkv member remove`.
 */
import type { JsonReply, MembershipRequest } from '../../../src/protocol/client-requests.js';
import { RaftKvError } from '../../../src/protocol/errors.js';
import type { Membership, NodeId } from '../../../src/protocol/raft-messages.js';
import type { Prng } from '../../lib/prng.js';
import { simAddress } from '../sim-membership.js';
import type { SimNode } from './sim-node.js';
import type { SimScheduler } from './sim-scheduler.js';

/** What the operator sends: every membership request but the `members` query. */
type ChangeRequest = Exclude<MembershipRequest, { op: 'members' }>;

export interface MembershipProfile {
  spares: number;
  /** Per fault step (10 ms): the operator sends one request. */
  changeRate: number;
}

/** Churn on half the seeds, from a stream of its own. */
export function drawMembershipProfile(prng: Prng): MembershipProfile | null {
  if (!prng.chance(0.5)) return null;
  return { spares: prng.int(1, 2), changeRate: prng.pick([0.02, 0.05, 0.1]) };
}

export interface MembershipCounts {
  /** Requests sent, and those answered OK (a change committed and applied, or a transfer done). */
  requests: number;
  changes: number;
  transfers: number;
}

export class MembershipChurn {
  readonly counts: MembershipCounts = { requests: 0, changes: 0, transfers: 0 };
  private readonly removedEver = new Set<NodeId>();

  constructor(
    private readonly nodes: readonly SimNode[],
    private readonly prng: Prng,
    private readonly sched: SimScheduler,
    private readonly linkDelay: () => number,
    private readonly say: (line: string) => void,
  ) {
    for (const n of nodes) n.relay = (to, body, _creds, timeoutMs) => this.relay(to.port, body, timeoutMs);
  }

  /** Sends one random request to a random running node. */
  step(): void {
    const up = this.nodes.filter((n) => n.driver);
    if (up.length === 0) return;
    const m = this.view(up);
    const req = this.draw(m);
    if (!req) return;
    const at = this.prng.pick(up);
    this.counts.requests++;
    if (req.op === 'removeMember') this.removedEver.add(req.nodeId);
    const what = `${req.op} ${req.nodeId}${req.op === 'addMember' ? (req.learner ? ' as learner' : ' as voter') : ''}`;
    this.say(`operator: ${what} at node ${at.cfg.id}`);
    this.sched.after(this.linkDelay(), () =>
      at.membershipRequest(req, (reply) =>
        this.sched.after(this.linkDelay(), () => {
          if (reply.ok) {
            if (req.op === 'transferLeader') this.counts.transfers++;
            else this.counts.changes++;
          }
          this.say(`operator: ${what} -> ${reply.ok ? 'OK' : `${reply.error.code} ${reply.error.message}`}`);
        }),
      ),
    );
  }

  /** The membership as the leader (or else any running node) sees it. */
  private view(up: SimNode[]): Membership {
    const leader = up.find((n) => n.driver!.soft.role === 'leader');
    return (leader ?? up[0]!).driver!.membership();
  }

  private draw(m: Membership): ChangeRequest | null {
    const inM = (id: NodeId) => m.voters.includes(id) || m.learners.includes(id);
    const addable = this.nodes.map((n) => n.cfg.id).filter((id) => !inM(id) && !this.removedEver.has(id));
    const ops: ChangeRequest[] = [];
    if (addable.length > 0) {
      const id = this.prng.pick(addable);
      const a = simAddress(id);
      ops.push({ op: 'addMember', nodeId: id, host: a.host, port: a.port, peerPort: a.peerPort, learner: this.prng.chance(0.75) });
    }
    if (m.learners.length > 0) ops.push({ op: 'promoteMember', nodeId: this.prng.pick(m.learners) });
    const members = [...m.voters, ...m.learners];
    // Keep two voters at least: with one left, a crash of it would end every client's progress
    // until the heal phase, which proves nothing the other seeds do not.
    if (m.voters.length > 2) ops.push({ op: 'removeMember', nodeId: this.prng.pick(members) });
    else if (m.learners.length > 0) ops.push({ op: 'removeMember', nodeId: this.prng.pick(m.learners) });
    if (m.voters.length > 1) ops.push({ op: 'transferLeader', nodeId: this.prng.pick(m.voters) });
    return ops.length > 0 ? this.prng.pick(ops) : null;
  }

  /** A follower relaying to the leader's client port, over the simulated client link. */
  private relay(port: number, body: MembershipRequest, timeoutMs: number): Promise<JsonReply> {
    const target = this.nodes.find((n) => simAddress(n.cfg.id).port === port);
    return new Promise<JsonReply>((resolve, reject) => {
      let settled = false;
      const timer = this.sched.after(timeoutMs, () => {
        if (settled) return;
        settled = true;
        reject(new RaftKvError('TIMEOUT', `no answer from port ${port} in ${timeoutMs} ms`));
      });
      this.sched.after(this.linkDelay(), () => {
        if (!target?.driver) {
          settled = true;
          this.sched.cancel(timer);
          return reject(new RaftKvError('UNAVAILABLE', `connection to port ${port} refused`));
        }
        target.membershipRequest(body, (reply) =>
          this.sched.after(this.linkDelay(), () => {
            if (settled) return;
            settled = true;
            this.sched.cancel(timer);
            resolve(reply);
          }),
        );
      });
    });
  }
}
