/**
 * The partitions and slow links the supervisor has ordered, as one plan: a set of directed cuts
 * (a -> b: messages from a to b are lost) and a delay per node. The supervisor keeps the plan and
 * gives each node its share (faultsFor), also again when a node restarts, so a partition outlives
 * a kill -9 on either side until someone heals it. Pure data, no I/O.
 */
import { RaftKvError } from '../protocol/errors.js';
import type { FaultSettingsWire } from '../protocol/fault-messages.js';

/** What `ctl status` and the TUI show. */
export interface FaultPlanView {
  /** Directed cuts [from, to], sorted. */
  cuts: Array<[number, number]>;
  /** Node id -> delay in ms of its peer traffic, both ways. */
  slow: Record<string, number>;
}

export class FaultPlan {
  private readonly cuts = new Set<string>();
  private readonly slow = new Map<number, number>();

  private readonly members: Set<number>;

  constructor(members: readonly number[]) {
    this.members = new Set(members);
  }

  /** A member joined (`ctl add`): it can be cut from now on. */
  addMember(id: number): void {
    this.members.add(id);
  }

  /** A member left (`ctl remove`): its cuts and delay go with it. */
  removeMember(id: number): void {
    if (!this.members.has(id)) return;
    this.heal(id);
    this.members.delete(id);
  }

  /** Cut `id` off from every other member, both ways. */
  isolate(id: number): void {
    this.check(id);
    for (const other of [...this.members]) if (other !== id) this.cut(id, other, false);
  }

  /** Lose messages from a to b, and from b to a unless `oneWay`. */
  cut(a: number, b: number, oneWay: boolean): void {
    this.check(a);
    this.check(b);
    if (a === b) throw new RaftKvError('BAD_REQUEST', `cannot cut node ${a} from itself`);
    this.cuts.add(key(a, b));
    if (!oneWay) this.cuts.add(key(b, a));
  }

  /** Delay `id`'s peer traffic, both ways, by `ms` (0 = no delay). */
  setSlow(id: number, ms: number): void {
    this.check(id);
    if (ms === 0) this.slow.delete(id);
    else this.slow.set(id, ms);
  }

  /** Remove every cut and delay, or only those that involve `id`. */
  heal(id?: number): void {
    if (id === undefined) {
      this.cuts.clear();
      this.slow.clear();
      return;
    }
    this.check(id);
    for (const k of [...this.cuts]) {
      const [a, b] = parse(k);
      if (a === id || b === id) this.cuts.delete(k);
    }
    this.slow.delete(id);
  }

  /** Node `id`'s share: both ends enforce a cut, so it holds while either end restarts. */
  faultsFor(id: number): FaultSettingsWire {
    const dropTo: number[] = [];
    const dropFrom: number[] = [];
    for (const k of this.cuts) {
      const [a, b] = parse(k);
      if (a === id) dropTo.push(b);
      if (b === id) dropFrom.push(a);
    }
    return { dropTo: dropTo.sort((x, y) => x - y), dropFrom: dropFrom.sort((x, y) => x - y), delayMs: this.slow.get(id) ?? 0 };
  }

  view(): FaultPlanView {
    const cuts = [...this.cuts].map(parse).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    return { cuts, slow: Object.fromEntries([...this.slow].sort((x, y) => x[0] - y[0]).map(([id, ms]) => [String(id), ms])) };
  }

  get empty(): boolean {
    return this.cuts.size === 0 && this.slow.size === 0;
  }

  private check(id: number): void {
    if (!this.members.has(id)) throw new RaftKvError('BAD_REQUEST', `no node with id ${id} (nodes: ${[...this.members].sort((a, b) => a - b).join(', ')})`);
  }
}

function key(a: number, b: number): string {
  return `${a}>${b}`;
}

function parse(k: string): [number, number] {
  const [a, b] = k.split('>');
  return [Number(a), Number(b)];
}

/** "1<->2, 2->3, 3 slow 200 ms": a pair cut both ways is shown once, as a<->b. */
export function describePlan(v: FaultPlanView): string {
  const set = new Set(v.cuts.map(([a, b]) => key(a, b)));
  const parts: string[] = [];
  for (const [a, b] of v.cuts) {
    if (set.has(key(b, a))) {
      if (a < b) parts.push(`${a}<->${b}`);
    } else parts.push(`${a}->${b}`);
  }
  for (const [id, ms] of Object.entries(v.slow)) parts.push(`${id} slow ${ms} ms`);
  return parts.length ? parts.join(', ') : 'no faults';
}
