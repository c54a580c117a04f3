/**
 * A RaftDriver around a real RawNode and KvStateMachine, with everything else by hand: a fake
 * clock (test/lib/fake-clock.ts), storage whose appends stay pending until the test resolves
 * them, and a transport that records what was sent. One event log (`events`) interleaves storage
 * calls, resolutions and sends, so tests can assert their order.
 */
import type { Message } from '../../src/protocol/raft-messages.js';
import { silentLogger } from '../../src/node/logger.js';
import { KvStateMachine } from '../../src/node/kv-state-machine.js';
import { RaftDriver, type DriverSnapshots, type DriverStorage, type DriverTransport } from '../../src/node/raft-driver.js';
import { RawNode } from '../../src/node/raft/raw-node.js';
import type { Ready } from '../../src/node/raft/types.js';
import { FakeClock } from '../lib/fake-clock.js';
import { Prng } from '../lib/prng.js';

export interface StorageCall {
  kind: 'append' | 'markSnapshot';
  hardState: Ready['hardState'];
  entries: Ready['entries'];
  snapshot?: { index: number; term: number };
  resolve: () => void;
  reject: (err: Error) => void;
}

/** DriverStorage whose writes become durable only when the test says so. */
export class ManualStorage implements DriverStorage {
  readonly calls: StorageCall[] = [];

  constructor(private readonly events: string[]) {}

  append(hardState: Ready['hardState'], entries: Ready['entries']): Promise<void> {
    const n = this.calls.length;
    this.events.push(`append#${n} [${entries.map((e) => e.index).join(',')}]${hardState ? ` commit=${hardState.commit}` : ''}`);
    return this.pending(n, { kind: 'append', hardState, entries });
  }

  markSnapshot(index: number, term: number): Promise<void> {
    const n = this.calls.length;
    this.events.push(`markSnapshot#${n} ${index}/${term}`);
    return this.pending(n, { kind: 'markSnapshot', hardState: null, entries: [], snapshot: { index, term } });
  }

  /** Makes every call so far durable, oldest first. */
  resolveAll(): void {
    for (const c of this.calls) c.resolve();
  }

  private pending(n: number, call: Omit<StorageCall, 'resolve' | 'reject'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.calls.push({
        ...call,
        resolve: () => {
          this.events.push(`durable#${n}`);
          resolve();
        },
        reject,
      });
    });
  }
}

/** DriverTransport that keeps every message, in order. */
export class RecordingTransport implements DriverTransport {
  readonly sent: Message[] = [];

  constructor(private readonly events: string[]) {}

  send(messages: Message[]): void {
    for (const m of messages) {
      this.sent.push(m);
      this.events.push(`send ${m.type}->${m.to}${'index' in m ? ` index=${m.index}` : ''}`);
    }
  }

  /** The messages of `type` sent so far (and forgets none). */
  ofType<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.sent.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }
}

export interface DriverRig {
  driver: RaftDriver;
  raw: RawNode;
  sm: KvStateMachine;
  clock: FakeClock;
  storage: ManualStorage;
  transport: RecordingTransport;
  events: string[];
  fatal: Error[];
  /** Lets promise chains and deferred turns run until the driver is idle. */
  settle(): Promise<void>;
}

/** Ticks are 10 ms: an election timeout is 500-1000 ms, a heartbeat 20 ms (generous on purpose). */
export const TICK_MS = 10;

export function driverRig(opts: { id?: number; peers?: number[]; pipelineDepth?: number; requestTimeoutMs?: number; snapshots?: DriverSnapshots } = {}): DriverRig {
  const id = opts.id ?? 1;
  const events: string[] = [];
  const fatal: Error[] = [];
  const clock = new FakeClock();
  const pipelineDepth = opts.pipelineDepth ?? 1;
  const raw = new RawNode(
    { id, peers: opts.peers ?? [id], electionTicksMin: 50, electionTicksMax: 100, heartbeatTicks: 2, random: new Prng(id).asFunction() },
    undefined,
    { maxPendingReadies: pipelineDepth },
  );
  const sm = new KvStateMachine();
  const storage = new ManualStorage(events);
  const transport = new RecordingTransport(events);
  const driver = new RaftDriver({
    nodeId: id,
    raw,
    storage,
    transport,
    sm,
    log: silentLogger,
    tickMs: TICK_MS,
    pipelineDepth,
    requestTimeoutMs: opts.requestTimeoutMs ?? 3000,
    onFatal: (err) => fatal.push(err),
    clock,
    ...(opts.snapshots ? { snapshots: opts.snapshots } : {}),
  });
  const settle = async (): Promise<void> => {
    // Microtasks (storage promises, completion chains) need a real turn; deferred work a fake one.
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setImmediate(r));
      if (clock.runDeferred() === 0) {
        await new Promise((r) => setImmediate(r));
        if (clock.pendingDeferred === 0) return;
      }
    }
    throw new Error('driverRig.settle: the driver never went idle');
  };
  return { driver, raw, sm, clock, storage, transport, events, fatal, settle };
}

/** A single-voter node elects itself and makes its no-op durable: a leader ready for writes. */
export async function singleNodeLeader(): Promise<DriverRig> {
  const rig = driverRig();
  rig.driver.start();
  for (let i = 0; i < 50 && rig.raw.status().role !== 'leader'; i++) {
    rig.clock.advance(100);
    await rig.settle();
    rig.storage.resolveAll();
    await rig.settle();
  }
  if (rig.raw.status().role !== 'leader') throw new Error('singleNodeLeader: no election in 5 s of fake time');
  rig.storage.resolveAll();
  await rig.settle();
  return rig;
}

/** Node 1 of {1, 2, 3} wins an election with node 2's votes; its no-op (index 1) is durable but not committed. */
export async function threeNodeLeader(opts: { pipelineDepth?: number; requestTimeoutMs?: number } = {}): Promise<DriverRig> {
  const rig = driverRig({ peers: [1, 2, 3], ...opts });
  const { driver, clock, transport, storage } = rig;
  driver.start();
  const grant = async (pre: boolean): Promise<void> => {
    for (let i = 0; i < 50; i++) {
      const req = transport.ofType('vote').find((m) => m.pre === pre && m.to === 2);
      if (req) {
        driver.step({ type: 'voteResp', from: 2, to: 1, term: req.term, pre, granted: true });
        return settleDurable(rig);
      }
      clock.advance(100);
      await settleDurable(rig);
    }
    throw new Error(`threeNodeLeader: no ${pre ? 'pre-' : ''}vote request to node 2`);
  };
  await grant(true);
  await grant(false);
  if (rig.raw.status().role !== 'leader') throw new Error(`threeNodeLeader: node 1 is ${rig.raw.status().role}`);
  storage.resolveAll();
  await rig.settle();
  return rig;
}

/** settle, make every write durable, settle again. */
export async function settleDurable(rig: DriverRig): Promise<void> {
  await rig.settle();
  rig.storage.resolveAll();
  await rig.settle();
}
