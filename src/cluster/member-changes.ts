/**
 * The supervisor's membership changes (`raftkv ctl add | remove | transfer`), done through the
 * cluster's own client ops (membership-caller.ts) so the replicated log decides, and the
 * supervisor only starts and stops processes around them:
 *
 *   add:      next free id and two ports from the OS -> record it and start its process (--join)
 *             -> once it answers, addMember as a learner (committed) -> wait until its log reaches
 *             the leader's commit index -> promoteMember (retrying NOT_CAUGHT_UP) -> its id.
 *             If it cannot be added, its process is stopped and its id recorded as removed.
 *             A learner first, because a new voter with an empty log would count toward the
 *             quorum at once and could stall commits until it caught up (Raft thesis §4.2.1).
 *   remove:   removeMember (committed; a leader that removes itself steps down) -> stop the
 *             process and record the id as removed, so `raftkv up` never starts it again.
 *   transfer: transferLeader, answered once the target leads.
 */
import { existsSync, readdirSync } from 'node:fs';
import { clientSecurityFrom } from '../client/client-security.js';
import { RaftKvClient, type NodeStatus } from '../client/raftkv-client.js';
import { RaftKvError } from '../protocol/errors.js';
import { findFreePorts } from './free-ports.js';
import type { AddedMember } from './member-registry.js';
import type { MemberInfo } from '../protocol/client-requests.js';
import { MembershipCaller } from './membership-caller.js';
import type { Supervisor } from './supervisor.js';

/** A learner whose log is within this many entries of the leader's commit index counts as caught up. */
export const CATCH_UP_SLACK_ENTRIES = 100;
/** How often the catch-up of a new member is checked. */
const CATCH_UP_POLL_MS = 20;

export interface AddResult {
  id: number;
  member: AddedMember;
  role: 'voter' | 'learner';
  /** Milliseconds from the start of `add` to each step. */
  timings: { addedMs: number; startedMs: number; caughtUpMs: number; promotedMs: number | null };
}

export interface AddOptions {
  /** Keep the new member a learner (no promotion). */
  learner?: boolean;
  /**
   * Where the new node listens and the others reach it: an address of this machine. Default the
   * host of the cluster file's first node (all of a supervised cluster usually shares one).
   */
  host?: string;
  /** Deadline of the whole add. Default 60 s (a large state machine takes a while to copy). */
  timeoutMs?: number;
}

/** The next id: above every id in use or ever used here (a removed id's data folder still exists). */
export function nextMemberId(used: Iterable<number>, dataDirEntries: readonly string[]): number {
  let max = 0;
  for (const id of used) max = Math.max(max, id);
  for (const name of dataDirEntries) {
    const m = /^node-(\d+)$/.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

function callerFor(sup: Supervisor): MembershipCaller {
  const security = clientSecurityFrom(sup.config.security);
  const nodes = sup.list().sort((a, b) => Number(b.state === 'up') - Number(a.state === 'up'));
  return new MembershipCaller(nodes, security ?? undefined);
}

/**
 * One change at a time per supervisor: two `ctl add` at once would pick the same id, and the
 * cluster takes one change at a time anyway (the second would only wait on IN_PROGRESS).
 */
const queues = new WeakMap<Supervisor, Promise<unknown>>();
function oneAtATime<T>(sup: Supervisor, run: () => Promise<T>): Promise<T> {
  const turn = (queues.get(sup) ?? Promise.resolve()).then(run, run);
  queues.set(sup, turn.catch(() => undefined));
  return turn;
}

export function addMember(sup: Supervisor, options: AddOptions = {}): Promise<AddResult> {
  return oneAtATime(sup, () => addMemberNow(sup, options));
}

async function addMemberNow(sup: Supervisor, options: AddOptions): Promise<AddResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const left = (): number => Math.max(1, started + timeoutMs - Date.now());
  const caller = callerFor(sup);
  try {
    const members = await caller.members(left());
    const dataDir = sup.config.dataDir;
    const used = [...members.map((m) => m.id), ...sup.list().map((n) => n.id), ...sup.registry.record.removed, ...sup.config.nodes.map((n) => n.id)];
    const id = nextMemberId(used, existsSync(dataDir) ? readdirSync(dataDir) : []);
    const host = options.host ?? sup.config.nodes[0]?.host ?? '127.0.0.1';
    const [port, peerPort] = await findFreePorts(2, host).catch((err: Error) => {
      // EADDRNOTAVAIL: not an address of this machine; ENOTFOUND: a name that does not resolve.
      throw new RaftKvError('BAD_REQUEST', `add: cannot listen on host ${host} (${(err as NodeJS.ErrnoException).code ?? err.message}): the new node runs on this machine, so its host must be one of its addresses`);
    });
    const member: AddedMember = { id, host, port, peerPort };
    const isOurs = (ms: MemberInfo[]): boolean => ms.some((m) => m.id === id && m.port === port && m.peerPort === peerPort);
    // A secure cluster's peers accept only members with a certificate of its CA.
    const certDir = sup.config.security?.certDir;
    if (certDir) {
      const { ensureCertificates } = await import('./certificates.js');
      await ensureCertificates(certDir, [...sup.config.nodes, { id, host }]);
    }
    // The process first, the learner once it listens: loading a node takes a second or so, and a
    // leader told of a member that does not listen yet backs off before it dials again. (The node
    // asks to be added too, with --join; whichever request comes second finds it done.)
    let startedMs = 0;
    try {
      // Inside the try: a process that fails to start must not stay recorded as added (the next
      // `raftkv up` would start it again with --join).
      await sup.addNode(member);
      startedMs = Date.now() - started;
      await waitForNode(sup, id, left(), 'answer', async () => ({ ok: true, why: '' }));
      await caller.change((c, ms) => c.addMember(id, { host, port, peerPort }, { learner: true }, { timeoutMs: ms }), { timeoutMs: left(), done: isOurs });
    } catch (err) {
      // Not a member: its process goes, and its id is not used again (its data folder exists).
      await sup.forgetNode(id).catch(() => undefined);
      throw err;
    }
    const addedMs = Date.now() - started;
    await waitForNode(sup, id, left(), 'catch up', async (mine, leader) => {
      const ok = leader !== null && mine.lastLogIndex + CATCH_UP_SLACK_ENTRIES >= leader.commitIndex;
      return { ok, why: leader === null ? 'no leader known' : `node ${id} log at ${mine.lastLogIndex}, leader ${leader.id} committed ${leader.commitIndex}` };
    });
    const caughtUpMs = Date.now() - started;
    if (options.learner) return { id, member, role: 'learner', timings: { addedMs, startedMs, caughtUpMs, promotedMs: null } };
    const isVoter = (ms: MemberInfo[]): boolean => ms.some((m) => m.id === id && m.role === 'voter');
    await caller.change((c, ms) => c.promoteMember(id, { timeoutMs: ms }), { timeoutMs: left(), done: isVoter });
    return { id, member, role: 'voter', timings: { addedMs, startedMs, caughtUpMs, promotedMs: Date.now() - started } };
  } finally {
    caller.close();
  }
}

/**
 * Polls node `id` (and the leader) until `test` holds; TIMEOUT after `timeoutMs` naming its last
 * reason. A node that does not answer yet (still starting) is asked again.
 */
async function waitForNode(
  sup: Supervisor,
  id: number,
  timeoutMs: number,
  what: string,
  test: (mine: NodeStatus, leader: NodeStatus | null) => Promise<{ ok: boolean; why: string }>,
): Promise<void> {
  const security = clientSecurityFrom(sup.config.security);
  const client = new RaftKvClient({ nodes: sup.list(), timeoutMs: 1000, ...(security ? { security } : {}) });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  try {
    while (Date.now() < deadline) {
      try {
        const mine = await client.status(id);
        const leaderId = mine.role === 'leader' ? mine.id : mine.leader;
        const leader = leaderId === id ? mine : leaderId > 0 ? await client.status(leaderId) : null;
        const verdict = await test(mine, leader);
        if (verdict.ok) return;
        last = verdict.why;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
    }
    throw new RaftKvError('TIMEOUT', `node ${id} did not ${what} within ${timeoutMs} ms (${last}); \`raftkv ctl remove ${id}\` takes it out`);
  } finally {
    client.close();
  }
}

/** Removes node `id` from the membership, then stops its process and records it as removed. */
export function removeMember(sup: Supervisor, id: number, timeoutMs = 30_000): Promise<void> {
  return oneAtATime(sup, () => removeMemberNow(sup, id, timeoutMs));
}

async function removeMemberNow(sup: Supervisor, id: number, timeoutMs: number): Promise<void> {
  const caller = callerFor(sup);
  try {
    const members = await caller.members(timeoutMs);
    if (members.some((m) => m.id === id)) {
      await caller.change((c, ms) => c.removeMember(id, { timeoutMs: ms }), { timeoutMs, done: (ms) => !ms.some((m) => m.id === id) });
    } else if (!sup.list().some((n) => n.id === id)) {
      throw new RaftKvError('BAD_REQUEST', `node ${id} is not a member (members: ${members.map((m) => m.id).join(', ')})`);
    }
    // Not a member but supervised (an add that failed half-way): only its process goes.
    await sup.forgetNode(id);
  } finally {
    caller.close();
  }
}

/** Moves leadership to node `id`; resolves with the milliseconds it took, once `id` leads. */
export async function transferLeader(sup: Supervisor, id: number, timeoutMs = 15_000): Promise<{ leader: number; ms: number }> {
  const started = Date.now();
  const caller = callerFor(sup);
  try {
    await caller.change((c, ms) => c.transferLeader(id, { timeoutMs: ms }), { timeoutMs });
    return { leader: id, ms: Date.now() - started };
  } finally {
    caller.close();
  }
}
