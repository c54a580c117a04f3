/**
 * The safety properties of Raft (paper Figure 3 and §5.4), checked on everything the simulator can
 * observe: what each node persisted, what it applied, which messages it sent and what its status
 * says. The cluster calls the `observe*` hooks as things happen; the first broken property throws
 * an InvariantViolation, which ends the run (everything after a violation is noise).
 *
 * What is checked, and where:
 * - ELECTION_SAFETY: at most one leader per term over the whole run (status, softState, and any
 *   append/heartbeat a node sends, which only a leader may do).
 * - LEADER_APPEND_ONLY: a leader never replaces entries in its own log (checked by the cluster,
 *   which knows who wrote each Ready).
 * - LOG_MATCHING: an (index, term) pair names one entry everywhere: same data and same term at
 *   index - 1 in every store that holds it; by induction the whole prefixes are identical.
 * - LEADER_COMPLETENESS: a node that becomes leader of term T holds every entry known to be
 *   committed in a term before T.
 * - STATE_MACHINE_SAFETY: no two nodes apply different entries at one index.
 * - COMMIT_WITHOUT_MAJORITY / COMMITTED_ENTRY_LOST / TRUNCATED_COMMITTED: a committed entry is on a
 *   majority of disks when first seen committed, stays on a majority, and no node ever replaces an
 *   entry at or below the commit index it persisted.
 * - TERM_DECREASED / VOTE_CHANGED / COMMIT_DECREASED: durable hard state only moves forward; a vote
 *   once on disk is never changed within its term (a double vote breaks election safety).
 * - APPLY_*: entries are applied in order, each once, only when committed and present in the log.
 * - SNAPSHOT_*: a snapshot (taken or installed) holds exactly the committed entries through its index.
 * - CORE_REFUSED: the core refused a message as impossible although only correct nodes sent it.
 * - REMOVED_LEADER: a node that learned its removal from the membership committed never leads again.
 *   With membership changes, "a majority" above means a majority of the voters of the membership
 *   in force at that index or of the newest one in the committing node's log (single-server
 *   changes: the leader counted with one of the two).
 * - STALE_READ: a read index is at least the index of every write applied anywhere before the read
 *   was issued (linearizable reads, thesis §6.4).
 */
import type { ConfigEntryData, Entry, HardState, Membership, Message, NodeId } from '../../src/protocol/raft-messages.js';
import type { RaftStatus } from '../../src/node/raft/types.js';
import type { DurableStore } from './durable-store.js';
import { membershipAsOf, simBootstrap } from './sim-membership.js';

export type ViolationCode =
  | 'ELECTION_SAFETY'
  | 'LOG_MATCHING'
  | 'LEADER_APPEND_ONLY'
  | 'LEADER_COMPLETENESS'
  | 'STATE_MACHINE_SAFETY'
  | 'COMMIT_WITHOUT_MAJORITY'
  | 'COMMIT_BEYOND_LOG'
  | 'COMMITTED_ENTRY_LOST'
  | 'TRUNCATED_COMMITTED'
  | 'TERM_DECREASED'
  | 'VOTE_CHANGED'
  | 'COMMIT_DECREASED'
  | 'APPLY_OUT_OF_ORDER'
  | 'APPLY_UNCOMMITTED'
  | 'APPLY_NOT_IN_LOG'
  | 'STALE_READ'
  | 'REMOVED_LEADER'
  | 'SNAPSHOT_MISMATCH'
  | 'SNAPSHOT_UNCOMMITTED'
  | 'CORE_REFUSED'
  | 'READ_UNKNOWN'
  | 'BAD_MESSAGE'
  | 'BAD_STATUS'
  | 'STORE_REFUSED'
  | 'CORE_THREW'
  | 'LIVENESS';

export class InvariantViolation extends Error {
  constructor(
    readonly code: ViolationCode,
    readonly tick: number,
    readonly detail: string,
  ) {
    super(`${code} at tick ${tick}: ${detail}`);
  }
}

/** An entry's identity for comparisons: kind and data, as JSON. */
export function entryKey(e: Entry): string {
  if (e.kind === 'config') return `config:${JSON.stringify((e.data as ConfigEntryData).change)}`;
  return e.kind === 'noop' ? 'noop' : `cmd:${JSON.stringify(e.data)}`;
}

interface LogRecord {
  key: string;
  /** Term of the entry just before it in the log that first stored it (0 before index 1). */
  prevTerm: number;
  /** Node and tick where it was first seen, for error messages. */
  firstNode: NodeId;
}

interface CommitRecord {
  term: number;
  key: string;
  /** An upper bound on the term in which the entry was committed (a node's term when it saw it). */
  commitTerm: number;
}

interface ReadRecord {
  node: NodeId;
  /** Highest index applied anywhere when the read was issued: the answer must be >= this. */
  bound: number;
  issuedAt: number;
  /** Whether the core already answered it: every read gets exactly one answer (an index or -1). */
  answered: boolean;
}

export interface ReadOutcome {
  ok: boolean;
  record: ReadRecord;
}

export class InvariantChecker {
  /** The current tick, kept up to date by the cluster so violations say when they happened. */
  now = 0;
  private readonly bootstrap: Membership;
  /** Members whose removal is committed (and who were not added again) -> the removal's index. */
  private readonly removed = new Map<NodeId, number>();
  /** The newest committed membership. */
  private committedMembership: Membership;
  /** Every config entry a node's Ready handed out or a leader sent (index/term -> entry): see votersFor. */
  private readonly configsSent = new Map<string, Entry>();
  /** term -> the one node that led it. */
  private readonly leaders = new Map<number, NodeId>();
  /** index -> term -> the entry every store holding (index, term) must agree on. */
  private readonly logRecords = new Map<number, Map<number, LogRecord>>();
  /** committed[i]: the entry committed at index i, dense from 1; [0] is a placeholder. */
  private readonly committed: CommitRecord[] = [{ term: 0, key: '', commitTerm: 0 }];
  /** applied[i]: what the first node to apply index i applied there. */
  private readonly applied: { term: number; key: string; node: NodeId }[] = [];
  /** Highest index applied by any node so far: every completed write is at or below it. */
  highestApplied = 0;
  /** Per node, per incarnation: the highest commit index its status showed (-1 after restart). */
  private readonly commitSeen = new Map<NodeId, number>();
  private readonly reads = new Map<string, ReadRecord>();

  constructor(
    readonly nodeIds: readonly NodeId[],
    private readonly stores: ReadonlyMap<NodeId, DurableStore>,
    bootstrap?: Membership,
  ) {
    this.bootstrap = bootstrap ?? simBootstrap(nodeIds);
    this.committedMembership = this.bootstrap;
  }

  /** Throw the violation (the cluster turns it into the run's result). */
  fail(code: ViolationCode, detail: string): never {
    throw new InvariantViolation(code, this.now, detail);
  }

  get highestCommitted(): number {
    return this.committed.length - 1;
  }

  /** What is known committed at `index` (undefined if not yet known). */
  committedAt(index: number): { term: number; key: string } | undefined {
    return index >= 1 ? this.committed[index] : undefined;
  }

  /** What was applied at `index` (undefined if nobody applied it yet). */
  appliedAt(index: number): { term: number; key: string } | undefined {
    return this.applied[index];
  }

  /** Whether any store ever held entry (index, term) with this key (LOG_MATCHING records). */
  everStored(index: number, term: number, key: string): boolean {
    return this.logRecords.get(index)?.get(term)?.key === key;
  }

  leaderOf(term: number): NodeId | undefined {
    return this.leaders.get(term);
  }

  // ---- election safety -------------------------------------------------------------------

  /** `id` acted as leader of `term` (seen via `how`). */
  observeLeader(id: NodeId, term: number, how: string): void {
    const prev = this.leaders.get(term);
    if (prev === undefined) this.leaders.set(term, id);
    else if (prev !== id) this.fail('ELECTION_SAFETY', `term ${term} has two leaders: ${prev} and ${id} (${how})`);
  }

  /** Every message a node hands to the network: well-formed, and leader-only types mark a leader. */
  observeSent(id: NodeId, msg: Message): void {
    if (!msg || typeof msg !== 'object' || msg.from !== id || !this.nodeIds.includes(msg.to) || !(Number.isInteger(msg.term) && msg.term >= 0)) {
      this.fail('BAD_MESSAGE', `node ${id} sent ${JSON.stringify(msg)}`);
    }
    if (msg.type === 'append' || msg.type === 'heartbeat') this.observeLeader(id, msg.term, `sent ${msg.type} to ${msg.to}`);
    if (msg.type === 'append') this.observeConfigEntries(msg.entries);
  }

  /** Entries a node's Ready handed out: remember config entries (see votersFor). */
  observeConfigEntries(entries: readonly Entry[]): void {
    for (const e of entries) if (e.kind === 'config') this.configsSent.set(`${e.index}/${e.term}`, e);
  }

  /** A status snapshot of an up node (checked once per tick). */
  observeStatus(id: NodeId, st: RaftStatus): void {
    if (st.id !== id) this.fail('BAD_STATUS', `node ${id} reports id ${st.id}`);
    if (st.commitIndex > st.lastLogIndex) this.fail('BAD_STATUS', `node ${id} commitIndex ${st.commitIndex} > lastLogIndex ${st.lastLogIndex}`);
    if (st.lastApplied > st.commitIndex) this.fail('BAD_STATUS', `node ${id} lastApplied ${st.lastApplied} > commitIndex ${st.commitIndex}`);
    if (st.role === 'leader') {
      if (st.leader !== id) this.fail('BAD_STATUS', `node ${id} is leader of term ${st.term} but names ${st.leader} as leader`);
      this.observeLeader(id, st.term, 'status');
    }
    const seen = this.commitSeen.get(id) ?? -1;
    if (st.commitIndex < seen) this.fail('COMMIT_DECREASED', `node ${id} commit index went from ${seen} to ${st.commitIndex} while up`);
    this.commitSeen.set(id, st.commitIndex);
  }

  /** A node restarted: its in-memory commit index may start lower than before the crash. */
  observeRestart(id: NodeId): void {
    this.commitSeen.set(id, -1);
  }

  // ---- durable state ----------------------------------------------------------------------

  /** Before `next` replaces the stored hard state of `id`. */
  observeHardState(id: NodeId, prev: HardState, next: HardState): void {
    if (next.term < prev.term) this.fail('TERM_DECREASED', `node ${id} persisted term ${next.term} after ${prev.term}`);
    if (next.term === prev.term && prev.vote !== 0 && next.vote !== prev.vote) {
      this.fail('VOTE_CHANGED', `node ${id} changed its vote in term ${next.term} from ${prev.vote} to ${next.vote}`);
    }
    if (next.commit < prev.commit) this.fail('COMMIT_DECREASED', `node ${id} persisted commit ${next.commit} after ${prev.commit}`);
  }

  /**
   * After a Ready's entries were written to `store` (of node `id`); `removed` are the entries the
   * write replaced, `commitBefore` the commit index that store held before this Ready.
   */
  observeAppend(id: NodeId, store: DurableStore, written: readonly Entry[], removed: readonly Entry[], commitBefore: number): void {
    if (removed.length > 0) {
      const from = removed[0]!.index;
      if (from <= commitBefore) {
        this.fail('TRUNCATED_COMMITTED', `node ${id} replaced its log from index ${from} but had persisted commit ${commitBefore}`);
      }
      for (const e of removed) {
        const c = this.committed[e.index];
        if (c && c.term === e.term && !this.onQuorum(e.index, c.term)) {
          this.fail('COMMITTED_ENTRY_LOST', `node ${id} replaced committed entry ${e.index}/${e.term}; only ${this.holders(e.index, c.term)} disks still hold it`);
        }
      }
    }
    for (const e of written) {
      const prevTerm = store.termAt(e.index - 1);
      const key = entryKey(e);
      let byTerm = this.logRecords.get(e.index);
      if (!byTerm) this.logRecords.set(e.index, (byTerm = new Map()));
      const rec = byTerm.get(e.term);
      if (!rec) {
        byTerm.set(e.term, { key, prevTerm, firstNode: id });
        continue;
      }
      if (rec.key !== key) {
        this.fail('LOG_MATCHING', `entry ${e.index}/${e.term} is ${key} on node ${id} but ${rec.key} on node ${rec.firstNode}`);
      }
      if (rec.prevTerm !== prevTerm) {
        this.fail('LOG_MATCHING', `entry ${e.index}/${e.term} follows term ${prevTerm} on node ${id} but term ${rec.prevTerm} on node ${rec.firstNode}`);
      }
    }
  }

  /**
   * After node `id` persisted commit index `commit` while in `term`: record newly committed
   * entries, which must be in its log, agree with what others saw committed, and be on a majority.
   */
  observeCommit(id: NodeId, store: DurableStore, commitBefore: number, commit: number, term: number): void {
    for (let i = Math.max(commitBefore + 1, store.firstIndex); i <= commit; i++) {
      const e = store.entryAt(i);
      if (!e) this.fail('COMMIT_BEYOND_LOG', `node ${id} persisted commit ${commit} but its log ends at ${store.lastIndex}`);
      const key = entryKey(e);
      const c = this.committed[i];
      if (c) {
        if (c.term !== e.term || c.key !== key) {
          this.fail('STATE_MACHINE_SAFETY', `node ${id} committed ${i}/${e.term} (${key}) but ${i}/${c.term} (${c.key}) was committed before`);
        }
        if (term < c.commitTerm) c.commitTerm = term;
        continue;
      }
      // Commit is a prefix property and every index below was recorded when some node first
      // persisted it, so a new record always extends the dense array by one.
      if (i !== this.committed.length) this.fail('COMMIT_BEYOND_LOG', `index ${i} committed before index ${this.committed.length} was seen committed`);
      if (!this.onQuorum(i, e.term)) {
        this.fail('COMMIT_WITHOUT_MAJORITY', `node ${id} committed ${i}/${e.term} but only ${this.holders(i, e.term)} of ${this.nodeIds.length} disks hold it (voters ${this.votersFor(i, e.term).map((m) => `[${m.voters}]`).join(' or ')})`);
      }
      this.committed[i] = { term: e.term, key, commitTerm: term };
      if (e.kind === 'config') this.observeCommittedMembership(i, (e.data as ConfigEntryData).membership);
    }
  }

  /** Leader completeness (§5.4): `id` just became leader of `term`; `store` holds its whole log. */
  observeBecameLeader(id: NodeId, term: number, store: DurableStore): void {
    // A node that still has its own removal uncommitted in its log may lead, only to commit it
    // and step down (raft.ts promotable()); once it knows the removal committed, never again.
    const removedAt = this.removed.get(id);
    if (removedAt !== undefined && store.hardState.commit >= removedAt) {
      this.fail('REMOVED_LEADER', `node ${id} became leader of term ${term} after learning its removal (index ${removedAt}) was committed`);
    }
    for (let i = 1; i < this.committed.length; i++) {
      const c = this.committed[i]!;
      if (c.commitTerm >= term) continue;
      const e = store.entryAt(i);
      if (!e || e.term !== c.term) {
        this.fail('LEADER_COMPLETENESS', `node ${id} became leader of term ${term} without committed entry ${i}/${c.term} (committed by term ${c.commitTerm}); it holds ${e ? `${e.index}/${e.term}` : 'nothing'} there`);
      }
    }
  }

  /**
   * Node `id` took (or installed) a snapshot of its state machine through `index`: state machine
   * safety for snapshots. Every entry in it must be the one committed at its index; a snapshot
   * may hold only committed state.
   */
  observeSnapshot(id: NodeId, how: 'taken' | 'installed', index: number, state: readonly Entry[]): void {
    if (state.length !== index) this.fail('SNAPSHOT_MISMATCH', `node ${id} ${how} a snapshot at ${index} holding ${state.length} entries`);
    for (let i = 1; i <= index; i++) {
      const e = state[i - 1]!;
      const c = this.committed[i];
      if (e.index !== i) this.fail('SNAPSHOT_MISMATCH', `node ${id} ${how} a snapshot whose entry ${i} says index ${e.index}`);
      if (!c) this.fail('SNAPSHOT_UNCOMMITTED', `node ${id} ${how} a snapshot through ${index}, but index ${i} was never seen committed`);
      if (c.term !== e.term || c.key !== entryKey(e)) {
        this.fail('STATE_MACHINE_SAFETY', `node ${id} ${how} a snapshot holding ${i}/${e.term} (${entryKey(e)}) but ${i}/${c.term} (${c.key}) was committed`);
      }
    }
  }

  // ---- applying ---------------------------------------------------------------------------

  /** Before node `id` applies `e` to its state machine, which has applied through `appliedBefore`. */
  /**
   * `early`: the node applies before its own write of the entry completed (the node process's
   * pipelined driver). Then the entry need not be in its own store yet, but it must already be
   * durable on a majority of stores: that, not the local copy, is what makes applying it safe.
   */
  observeApply(id: NodeId, store: DurableStore, e: Entry, appliedBefore: number, early = false): void {
    if (e.index !== appliedBefore + 1) {
      this.fail('APPLY_OUT_OF_ORDER', `node ${id} applied index ${e.index} after ${appliedBefore}`);
    }
    const key = entryKey(e);
    if (early) {
      if (!this.onQuorum(e.index, e.term, key)) {
        this.fail('APPLY_UNCOMMITTED', `node ${id} applied ${e.index}/${e.term} (${key}) before it was durable on a majority (${this.holders(e.index, e.term)} stores hold it)`);
      }
    } else {
      if (e.index > store.hardState.commit) {
        this.fail('APPLY_UNCOMMITTED', `node ${id} applied ${e.index} but its persisted commit is ${store.hardState.commit}`);
      }
      const mine = store.entryAt(e.index);
      if (!mine || mine.term !== e.term || entryKey(mine) !== key) {
        this.fail('APPLY_NOT_IN_LOG', `node ${id} applied ${e.index}/${e.term} (${key}) but its log holds ${mine ? `${mine.index}/${mine.term} (${entryKey(mine)})` : 'nothing'}`);
      }
    }
    const a = this.applied[e.index];
    if (!a) {
      this.applied[e.index] = { term: e.term, key, node: id };
    } else if (a.term !== e.term || a.key !== key) {
      this.fail('STATE_MACHINE_SAFETY', `node ${id} applied ${e.index}/${e.term} (${key}) but node ${a.node} applied ${e.index}/${a.term} (${a.key})`);
    }
    const c = this.committed[e.index];
    if (c && (c.term !== e.term || c.key !== key)) {
      this.fail('STATE_MACHINE_SAFETY', `node ${id} applied ${e.index}/${e.term} but ${e.index}/${c.term} was committed`);
    }
    if (e.index > this.highestApplied) this.highestApplied = e.index;
  }

  // ---- reads ------------------------------------------------------------------------------

  /** A client asked node `node` for a read index with context `ctx` (unique over the run). */
  observeReadIssued(node: NodeId, ctx: string): void {
    this.reads.set(ctx, { node, bound: this.highestApplied, issuedAt: this.now, answered: false });
  }

  /** Node `node` produced a read state; returns whether it was a usable (non -1) answer. */
  observeReadState(node: NodeId, ctx: string, index: number): ReadOutcome {
    const r = this.reads.get(ctx);
    if (!r) this.fail('READ_UNKNOWN', `node ${node} answered read ${JSON.stringify(ctx)} that no client issued`);
    if (r.node !== node) this.fail('READ_UNKNOWN', `node ${node} answered read ${ctx} issued on node ${r.node}`);
    if (r.answered) this.fail('READ_UNKNOWN', `node ${node} answered read ${ctx} a second time (index ${index})`);
    r.answered = true;
    if (index === -1) return { ok: false, record: r };
    if (!Number.isInteger(index) || index < 0) this.fail('READ_UNKNOWN', `node ${node} answered read ${ctx} with index ${index}`);
    if (index < r.bound) {
      this.fail('STALE_READ', `node ${node} answered read ${ctx} (issued at tick ${r.issuedAt}) with index ${index}, but index ${r.bound} was already applied`);
    }
    return { ok: true, record: r };
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** How many disks (up or down) hold entry `index` with `term`. */
  holders(index: number, term: number, among?: readonly NodeId[], key?: string): number {
    let n = 0;
    for (const [id, s] of this.stores) {
      if (among && !among.includes(id)) continue;
      const e = s.entryAt(index);
      if (e && e.term === term && (key === undefined || entryKey(e) === key)) n++;
    }
    return n;
  }

  /** The members (voters and learners) of the newest committed membership, ascending. */
  members(): NodeId[] {
    const m = this.committedMembership;
    return [...m.voters, ...m.learners].sort((a, b) => a - b);
  }

  /**
   * The memberships a leader may have counted with when committing (index, term): the one in
   * force at `index` (the same in every store holding the entry, by log matching), or the next one
   * a leader appended after it (single-server changes take effect once in the leader's log, which
   * may be before any disk holds them; one change at a time means any later one needed that one
   * committed, and `index` with it). The next one is looked up in the stores and in every config
   * entry a leader sent, per term at or after `term`.
   */
  private votersFor(index: number, term: number): Membership[] {
    const out: Membership[] = [];
    const next = new Map<number, { index: number; m: Membership }>();
    const consider = (e: Entry) => {
      if (e.kind !== 'config' || e.index <= index || e.term < term) return;
      const cur = next.get(e.term);
      if (!cur || e.index < cur.index) next.set(e.term, { index: e.index, m: (e.data as ConfigEntryData).membership });
    };
    for (const s of this.stores.values()) {
      if (s.termAt(index) !== term) continue;
      if (out.length === 0) out.push(membershipAsOf((i) => s.entryAt(i), index, this.bootstrap));
      for (let i = index + 1; i <= s.lastIndex; i++) {
        const e = s.entryAt(i);
        if (e?.kind === 'config') {
          consider(e);
          break;
        }
      }
    }
    for (const e of this.configsSent.values()) consider(e);
    for (const n of next.values()) out.push(n.m);
    return out;
  }

  /** (index, term) is on a majority of the voters of one of those memberships. */
  private onQuorum(index: number, term: number, key?: string): boolean {
    return this.votersFor(index, term).some((m) => m.voters.length > 0 && this.holders(index, term, m.voters, key) >= Math.floor(m.voters.length / 2) + 1);
  }

  private observeCommittedMembership(index: number, m: Membership): void {
    const before = this.committedMembership;
    for (const id of [...before.voters, ...before.learners]) if (!m.voters.includes(id) && !m.learners.includes(id)) this.removed.set(id, index);
    for (const id of [...m.voters, ...m.learners]) this.removed.delete(id);
    this.committedMembership = m;
  }
}
