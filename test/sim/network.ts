/**
 * A simulated network for the deterministic simulator: every message gets a delay in ticks and
 * may be dropped, duplicated or overtaken by later messages; links can be cut one way or both.
 *
 * Invariants:
 * - Deterministic: all randomness comes from the Prng passed in; same sends in the same order give
 *   the same deliveries.
 * - A message is delivered at most once per copy, never before `now + 1` (nothing is instant, so a
 *   node never sees a reply inside the same step that produced the request).
 * - A link that is cut when a message is sent OR when it would be delivered loses the message: a
 *   partition also swallows what was already on the wire.
 * - Messages are copied with JSON semantics at send time, as the real transport does (NDJSON), so
 *   the sender and receiver never share objects and undefined fields are lost here too.
 */
import type { Message, NodeId } from '../../src/protocol/raft-messages.js';
import type { Prng } from '../lib/prng.js';
import { wireCopy } from './wire-copy.js';

export interface NetworkOptions {
  /** Every copy waits a uniform number of ticks in [delayTicksMin, delayTicksMax]; min >= 1. */
  delayTicksMin: number;
  delayTicksMax: number;
  /** Probability that a sent message is lost. */
  dropRate: number;
  /** Probability that a sent message is delivered twice (the copy gets its own delay). */
  duplicateRate: number;
  /** Probability that a copy is held back an extra [1, reorderExtraTicksMax] ticks (overtaken). */
  reorderRate: number;
  reorderExtraTicksMax: number;
}

export const CALM_NETWORK: NetworkOptions = Object.freeze({
  delayTicksMin: 1,
  delayTicksMax: 1,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderExtraTicksMax: 0,
});

export type DropReason = 'partition' | 'random' | 'filter' | 'down';

/** Observer for the trace; the network itself keeps no history. */
export interface NetworkListener {
  dropped(msg: Message, reason: DropReason): void;
  duplicated(msg: Message): void;
}

interface InFlight {
  msg: Message;
  deliverAt: number;
  /** Send order; breaks ties between copies due in the same tick. */
  seq: number;
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

function checkOptions(o: NetworkOptions): void {
  const rates: (keyof NetworkOptions)[] = ['dropRate', 'duplicateRate', 'reorderRate'];
  for (const k of rates) {
    const v = o[k];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`NETWORK_BAD_OPTION: ${k} must be in [0, 1], got ${v}`);
  }
  if (!Number.isInteger(o.delayTicksMin) || o.delayTicksMin < 1) {
    throw new RangeError(`NETWORK_BAD_OPTION: delayTicksMin must be an integer >= 1, got ${o.delayTicksMin}`);
  }
  if (!Number.isInteger(o.delayTicksMax) || o.delayTicksMax < o.delayTicksMin) {
    throw new RangeError(`NETWORK_BAD_OPTION: delayTicksMax must be an integer >= delayTicksMin, got ${o.delayTicksMax}`);
  }
  if (!Number.isInteger(o.reorderExtraTicksMax) || o.reorderExtraTicksMax < 0) {
    throw new RangeError(`NETWORK_BAD_OPTION: reorderExtraTicksMax must be an integer >= 0, got ${o.reorderExtraTicksMax}`);
  }
}

export class SimNetwork {
  private options: NetworkOptions;
  /** Directed links that lose everything: "from>to". */
  private readonly cutLinks = new Set<string>();
  /** Per link, when the last stream message is delivered (sendReliable keeps their order). */
  private readonly streamTail = new Map<string, number>();
  /** deliverAt tick -> copies due then, in send order. */
  private readonly buckets = new Map<number, InFlight[]>();
  private inFlightCount = 0;
  private seq = 0;
  /**
   * Scenario hook: return false to lose a message (checked at send time). Scripted tests use it
   * to steer exactly which messages get through (e.g. Figure 8).
   */
  filter: ((msg: Message) => boolean) | null = null;
  listener: NetworkListener | null = null;

  constructor(
    readonly nodeIds: readonly NodeId[],
    private readonly prng: Prng,
    options: Partial<NetworkOptions> = {},
  ) {
    this.options = { ...CALM_NETWORK, ...options };
    checkOptions(this.options);
  }

  get settings(): Readonly<NetworkOptions> {
    return this.options;
  }

  setOptions(partial: Partial<NetworkOptions>): void {
    const next = { ...this.options, ...partial };
    checkOptions(next);
    this.options = next;
  }

  /** Hand a message to the network at tick `now`. */
  send(msg: Message, now: number): void {
    if (this.filter && !this.filter(msg)) return this.drop(msg, 'filter');
    if (!this.canSend(msg.from, msg.to)) return this.drop(msg, 'partition');
    if (this.prng.chance(this.options.dropRate)) return this.drop(msg, 'random');
    this.enqueue(wireCopy(msg), now);
    if (this.prng.chance(this.options.duplicateRate)) {
      const copy = wireCopy(msg);
      this.listener?.duplicated(copy);
      this.enqueue(copy, now);
    }
  }

  /**
   * A message on a stream connection (a snapshot's chunks, one TCP connection in the node): never
   * lost, duplicated or overtaken on its own, only with the link (a cut at send or delivery). The
   * sender learns of a cut as the real one learns of a closed connection: canSend() turns false.
   */
  sendReliable(msg: Message, now: number): void {
    if (!this.canSend(msg.from, msg.to)) return this.drop(msg, 'partition');
    const key = linkKey(msg.from, msg.to);
    const o = this.options;
    const at = Math.max(now + this.prng.int(o.delayTicksMin, o.delayTicksMax), this.streamTail.get(key) ?? 0);
    this.streamTail.set(key, at);
    let bucket = this.buckets.get(at);
    if (!bucket) this.buckets.set(at, (bucket = []));
    bucket.push({ msg: wireCopy(msg), deliverAt: at, seq: this.seq++ });
    this.inFlightCount++;
  }

  /**
   * Remove and return every copy due at or before `now`, oldest deadline first, send order within
   * a tick. Copies whose link was cut meanwhile are dropped instead.
   */
  due(now: number): Message[] {
    const ticks = [...this.buckets.keys()].filter((t) => t <= now).sort((a, b) => a - b);
    const out: Message[] = [];
    for (const t of ticks) {
      const bucket = this.buckets.get(t)!;
      this.buckets.delete(t);
      this.inFlightCount -= bucket.length;
      for (const f of bucket) {
        if (this.canSend(f.msg.from, f.msg.to)) out.push(f.msg);
        else this.drop(f.msg, 'partition');
      }
    }
    return out;
  }

  /** Everything still in flight, regardless of deadline (scripted tests flush the wire with it). */
  dueAll(): Message[] {
    return this.due(Number.MAX_SAFE_INTEGER);
  }

  /** Lose every copy in flight (e.g. to start a scenario from a quiet wire). */
  clear(): void {
    this.buckets.clear();
    this.inFlightCount = 0;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  canSend(from: NodeId, to: NodeId): boolean {
    return !this.cutLinks.has(linkKey(from, to));
  }

  /** One-way cut: `from` can no longer reach `to`; `to` may still reach `from`. */
  cut(from: NodeId, to: NodeId): void {
    if (from !== to) this.cutLinks.add(linkKey(from, to));
  }

  /** Cut both directions between every node of `a` and every node of `b` (default: all others). */
  partition(a: readonly NodeId[], b?: readonly NodeId[]): void {
    const other = b ?? this.nodeIds.filter((id) => !a.includes(id));
    for (const x of a) {
      for (const y of other) {
        this.cut(x, y);
        this.cut(y, x);
      }
    }
  }

  /** Cut a node off from everyone, both ways. */
  isolate(node: NodeId): void {
    this.partition([node]);
  }

  /** Restore every link (random loss settings are left as they are). */
  heal(): void {
    this.cutLinks.clear();
  }

  /** Cut links, as "from>to" strings in a stable order (for traces and tests). */
  cuts(): string[] {
    return [...this.cutLinks].sort();
  }

  private enqueue(msg: Message, now: number): void {
    const o = this.options;
    let delay = this.prng.int(o.delayTicksMin, o.delayTicksMax);
    if (o.reorderExtraTicksMax > 0 && this.prng.chance(o.reorderRate)) {
      delay += this.prng.int(1, o.reorderExtraTicksMax);
    }
    const at = now + delay;
    let bucket = this.buckets.get(at);
    if (!bucket) this.buckets.set(at, (bucket = []));
    bucket.push({ msg, deliverAt: at, seq: this.seq++ });
    this.inFlightCount++;
  }

  private drop(msg: Message, reason: DropReason): void {
    this.listener?.dropped(msg, reason);
  }
}
