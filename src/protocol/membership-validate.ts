/**
 * Shape checks for membership data that arrives from outside the core: config entries in a
 * peer's append, a snapshot header's membership, a client's membership request, a node id typed
 * on a command line, the `members` reply a client gets, the supervisor's member record. The core
 * (src/node/raft/membership.ts) decides whether a change is allowed; this only makes sure it is
 * made of the right parts, so that nothing malformed reaches it.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Node ids: positive integers small enough to stay exact (cluster.json uses small ones). */
export const isNodeId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= 2 ** 31;
export const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
/** A node id typed as a word (command line, Redis dialect), or null: decimal digits, no sign, no leading zero. */
export function nodeIdOfWord(word: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(word)) return null;
  const n = Number(word);
  return isNodeId(n) ? n : null;
}

/** Host names and addresses: printable, no spaces, at most 255 characters (DNS's limit). */
const HOST = /^[A-Za-z0-9._:\-[\]%]{1,255}$/;
/** A cluster of more members than this is a mistake (and every heartbeat goes to each of them). */
export const MAX_MEMBERS = 64;

/** Why `v` is not a {host, port, peerPort}, naming the field as `${prefix}port`; null if it is. */
/** Why `v` is not a host name or IP address; null if it is. */
export function hostError(v: unknown): string | null {
  return typeof v === 'string' && HOST.test(v) ? null : 'host must be a host name or IP address';
}

export function addressError(v: unknown, prefix = 'address.'): string | null {
  if (!isObj(v)) return `${prefix.replace(/\.$/, '') || 'address'} must be an object {host, port, peerPort}`;
  if (hostError(v.host)) return `${prefix}${hostError(v.host)}`;
  for (const field of ['port', 'peerPort'] as const) if (!isPort(v[field])) return `${prefix}${field} must be an integer from 1 to 65535`;
  return null;
}

/** One row of the `members` reply: {id, host, port, peerPort, role}. */
export function memberInfoError(v: unknown): string | null {
  if (!isObj(v)) return 'a member must be an object {id, host, port, peerPort, role}';
  if (!isNodeId(v.id)) return 'member id must be a positive integer';
  const bad = addressError(v, '');
  if (bad) return `member ${v.id}: ${bad}`;
  if (v.role !== 'voter' && v.role !== 'learner') return `member ${v.id}: role must be voter or learner`;
  return null;
}

/** The `members` reply: an array of distinct members, at most MAX_MEMBERS. */
export function membersReplyError(v: unknown): string | null {
  if (!Array.isArray(v)) return 'members must be an array';
  if (v.length > MAX_MEMBERS) return `members has ${v.length} rows; at most ${MAX_MEMBERS}`;
  for (const row of v) {
    const bad = memberInfoError(row);
    if (bad) return bad;
  }
  if (new Set(v.map((row: { id: number }) => row.id)).size !== v.length) return 'members names an id twice';
  return null;
}

export function membershipError(v: unknown): string | null {
  if (!isObj(v)) return 'membership must be an object {voters, learners, addresses}';
  const { voters, learners, addresses } = v;
  if (!Array.isArray(voters) || !Array.isArray(learners)) return 'membership.voters and membership.learners must be arrays';
  const ids = [...voters, ...learners] as unknown[];
  if (ids.length > MAX_MEMBERS) return `membership has ${ids.length} members; at most ${MAX_MEMBERS}`;
  if (!ids.every(isNodeId)) return 'membership ids must be positive integers';
  if (new Set(ids).size !== ids.length) return 'membership ids must be distinct';
  for (const list of [voters as number[], learners as number[]]) {
    for (let i = 1; i < list.length; i++) if (list[i - 1]! >= list[i]!) return 'membership.voters and membership.learners must be ascending';
  }
  if (!isObj(addresses)) return 'membership.addresses must be an object';
  for (const [key, addr] of Object.entries(addresses)) {
    if (!ids.includes(Number(key))) return `membership.addresses names ${key}, which is not a member`;
    const bad = addressError(addr);
    if (bad) return `membership.addresses[${key}]: ${bad}`;
  }
  return null;
}

export function confChangeError(v: unknown): string | null {
  if (!isObj(v)) return 'change must be an object';
  if (!isNodeId(v.id)) return 'change.id must be a positive integer';
  switch (v.type) {
    case 'addLearner':
    case 'addVoter':
      return addressError(v.address);
    case 'promote':
    case 'remove':
      return null;
    default:
      return 'change.type must be addLearner, addVoter, promote or remove';
  }
}

/** A config entry's data: {change, membership}. */
export function configEntryError(v: unknown): string | null {
  if (!isObj(v)) return 'data must be an object {change, membership}';
  return confChangeError(v.change) ?? membershipError(v.membership);
}

