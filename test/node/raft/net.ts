/**
 * A tiny synchronous network for unit tests of the core (etcd's raft_test "network"): every node
 * is a RawNode with an in-memory "disk"; deliver() runs Ready batches and hands messages over until
 * the system is quiet. Links can be cut per direction. Deterministic: no timers, seeded randomness.
 */
import type { Entry, HardState, Message, NodeId } from '../../../src/protocol/raft-messages.js';
import { RawNode } from '../../../src/node/raft/raw-node.js';
import type { RaftConfig, ReadState, Ready } from '../../../src/node/raft/types.js';
import { Prng } from '../../lib/prng.js';

export interface Disk {
  hard: HardState;
  entries: Entry[];
}

export class TestNet {
  nodes = new Map<NodeId, RawNode>();
  disks = new Map<NodeId, Disk>();
  applied = new Map<NodeId, Entry[]>();
  reads = new Map<NodeId, ReadState[]>();
  /** "a->b" entries are dropped. */
  cut = new Set<string>();
  /** Every message delivered, for assertions. */
  delivered: Message[] = [];
  ids: NodeId[];
  /** The bootstrap voters every node started with (joiners start with none). */
  readonly bootstrap: NodeId[];
  private readonly joiners = new Set<NodeId>();
  /** Fixed election-timeout draws per node (0 = shortest, 0.999 = longest), used by elect(). */
  bias = new Map<NodeId, number>();

  constructor(n: number, private readonly opts: Partial<RaftConfig> = {}, seed = 1) {
    this.ids = Array.from({ length: n }, (_, i) => i + 1);
    this.bootstrap = this.ids.slice();
    for (const id of this.ids) {
      this.disks.set(id, { hard: { term: 0, vote: 0, commit: 0 }, entries: [] });
      this.start(id, seed * 100 + id);
    }
  }

  start(id: NodeId, seed = id): void {
    const disk = this.disks.get(id)!;
    const rand = new Prng(seed).asFunction();
    const random = () => this.bias.get(id) ?? rand();
    this.applied.set(id, []);
    this.reads.set(id, []);
    this.nodes.set(
      id,
      new RawNode(
        { id, peers: this.joiners.has(id) ? [] : this.bootstrap, electionTicksMin: 10, electionTicksMax: 20, heartbeatTicks: 1, random, ...this.opts },
        { hardState: { ...disk.hard }, entries: disk.entries.slice(), snapshotIndex: 0, snapshotTerm: 0, applied: 0 },
      ),
    );
  }

  /** A new, empty node that knows no members (`raftkv node --join`): it learns them from the log. */
  startJoiner(id: NodeId): void {
    this.ids.push(id);
    this.joiners.add(id);
    this.disks.set(id, { hard: { term: 0, vote: 0, commit: 0 }, entries: [] });
    this.start(id);
  }

  node(id: NodeId): RawNode {
    return this.nodes.get(id)!;
  }

  isolate(id: NodeId): void {
    for (const o of this.ids) if (o !== id) { this.cut.add(`${id}->${o}`); this.cut.add(`${o}->${id}`); }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Run every node's Ready loop and deliver messages until nothing moves (or a step budget ends). */
  deliver(budget = 10_000): void {
    for (let i = 0; i < budget; i++) {
      let moved = false;
      for (const id of this.ids) if (this.runReady(id)) moved = true;
      if (!moved) return;
    }
    throw new Error('network did not settle');
  }

  /**
   * Process one Ready of node `id` in the driver's order (persist, apply, record reads, advance,
   * send) and return it; null when it has none. Tests use it to look at exactly one batch.
   */
  runReady(id: NodeId): Ready | null {
    const n = this.nodes.get(id);
    if (!n || !n.hasReady()) return null;
    const rd = n.ready();
    const disk = this.disks.get(id)!;
    if (rd.hardState) disk.hard = { ...rd.hardState };
    if (rd.entries.length) {
      const first = rd.entries[0]!.index;
      disk.entries = disk.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    this.applied.get(id)!.push(...rd.committedEntries);
    this.reads.get(id)!.push(...rd.readStates);
    n.advance(rd);
    for (const m of rd.messages) this.send(m);
    return rd;
  }

  /** Extra message filter: return true to drop. */
  drop: (m: Message) => boolean = () => false;

  send(m: Message): void {
    if (this.cut.has(`${m.from}->${m.to}`) || this.drop(m)) return;
    const n = this.nodes.get(m.to);
    if (!n) return;
    this.delivered.push(m);
    n.step(m);
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.nodes.get(id)?.tick();
      this.deliver();
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const id of this.ids) this.nodes.get(id)?.tick();
      this.deliver();
    }
  }

  /**
   * Let time pass on every node until `id` is leader: `id` draws the shortest election timeout,
   * everyone else the longest, so it campaigns first once the old leader's lease has run out.
   */
  elect(id: NodeId): void {
    for (const o of this.ids) this.bias.set(o, o === id ? 0 : 0.999);
    for (let i = 0; i < 200 && this.node(id).status().role !== 'leader'; i++) this.tickAll();
    this.bias.clear();
  }

  leaderIds(): NodeId[] {
    return this.ids.filter((id) => this.nodes.get(id)?.status().role === 'leader');
  }

  appliedData(id: NodeId): unknown[] {
    return this.applied.get(id)!.filter((e) => e.kind === 'cmd').map((e) => e.data);
  }
}
