/**
 * A ClusterSource for tests only: the snapshot is whatever the test sets, every call is recorded,
 * actions succeed unless told to fail, and the shell talks to a tiny in-memory KV store (through
 * replyFromResult, as the real source will). Nothing here opens a socket or starts a timer.
 */
import type { NodeId } from '../../src/protocol/raft-messages.js';
import type { ClusterSource } from '../../src/tui/hooks/cluster-source.js';
import { EMPTY_METRICS, type ClusterSnapshot, type NodeView } from '../../src/tui/model.js';
import { replyFromError, replyFromResult, type ShellReply } from '../../src/tui/shell/reply.js';

export type FakeMethod = 'kill' | 'killLeader' | 'restart' | 'stop' | 'isolate' | 'heal' | 'execute' | 'addNode' | 'removeNode' | 'transferLeader';

export interface FakeCall {
  method: FakeMethod;
  args: unknown[];
}

/** An Error with a stable code, like the client library's and the supervisor's. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Three healthy nodes on 127.0.0.1:7001-7003, node 2 leading in term 5. */
export function threeNodes(): NodeView[] {
  return [1, 2, 3].map((id) => ({
    id,
    host: '127.0.0.1',
    port: 7000 + id,
    state: 'up',
    role: id === 2 ? 'leader' : 'follower',
    term: 5,
    leader: 2,
    lastLogIndex: id === 3 ? 40 : 42,
    lastLogTerm: 5,
    commitIndex: 42,
    lastApplied: id === 3 ? 40 : 42,
    uptimeMs: 65_000,
    pid: 4000 + id,
  }));
}

export class FakeClusterSource implements ClusterSource {
  readonly calls: FakeCall[] = [];
  /** The in-memory store behind `execute`. */
  readonly store = new Map<string, string>();
  private snapshot: ClusterSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly failures = new Map<FakeMethod, Error>();
  /** Replace to control replies (e.g. a promise the test resolves later). */
  executeImpl: (argv: readonly string[]) => Promise<ShellReply> = (argv) => Promise.resolve(this.kv(argv));
  /** What killLeader resolves with; by default the node that says it leads. */
  leaderId: () => NodeId | undefined = () => this.snapshot.nodes.find((n) => n.role === 'leader' && n.state === 'up')?.id;

  constructor(initial: Partial<ClusterSnapshot> = {}) {
    this.snapshot = { nodes: threeNodes(), entries: {}, logTails: {}, metrics: EMPTY_METRICS, shellTarget: '127.0.0.1:7001', ...initial };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  getSnapshot(): ClusterSnapshot {
    return this.snapshot;
  }

  /** Publishes a new snapshot (a new object, as the contract requires) and notifies listeners. */
  update(patch: Partial<ClusterSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of [...this.listeners]) l();
  }

  /** Changes some fields of one node. */
  patchNode(id: NodeId, patch: Partial<NodeView>): void {
    this.update({ nodes: this.snapshot.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n)) });
  }

  /** The next call of `method` rejects with `error`. */
  failNext(method: FakeMethod, error: Error): void {
    this.failures.set(method, error);
  }

  callsOf(method: FakeMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  kill(id: NodeId): Promise<void> {
    return this.record('kill', [id], undefined);
  }

  killLeader(): Promise<NodeId> {
    const id = this.leaderId();
    if (id === undefined && !this.failures.has('killLeader')) {
      this.calls.push({ method: 'killLeader', args: [] });
      return Promise.reject(new CodedError('NO_LEADER', 'no node is leader'));
    }
    return this.record('killLeader', [], id ?? 0);
  }

  restart(id: NodeId): Promise<void> {
    return this.record('restart', [id], undefined);
  }

  stop(id: NodeId): Promise<void> {
    return this.record('stop', [id], undefined);
  }

  isolate(target: NodeId | 'leader'): Promise<string> {
    const id = target === 'leader' ? this.leaderId() : target;
    return this.record('isolate', [target], `isolated ${id}`);
  }

  heal(): Promise<string> {
    return this.record('heal', [], 'no faults');
  }

  /** Resolves with the next id after the snapshot's nodes. */
  addNode(): Promise<NodeId> {
    return this.record('addNode', [], Math.max(0, ...this.snapshot.nodes.map((n) => n.id)) + 1);
  }

  removeNode(id: NodeId): Promise<void> {
    return this.record('removeNode', [id], undefined);
  }

  transferLeader(id: NodeId): Promise<void> {
    return this.record('transferLeader', [id], undefined);
  }

  execute(argv: readonly string[]): Promise<ShellReply> {
    this.calls.push({ method: 'execute', args: [...argv] });
    const failure = this.failures.get('execute');
    if (failure !== undefined) {
      this.failures.delete('execute');
      return Promise.reject(failure);
    }
    return this.executeImpl(argv);
  }

  /** The node `:node` picked; ids outside the snapshot are refused as the live source does. */
  shellNode: NodeId | null = null;

  selectShellNode(id: NodeId): string | null {
    const node = this.getSnapshot().nodes.find((n) => n.id === id);
    if (node === undefined) return `no node ${id}`;
    this.shellNode = id;
    this.update({ shellTarget: `node ${id} ${node.host}:${node.port}` });
    return null;
  }

  private record<T>(method: FakeMethod, args: unknown[], value: T): Promise<T> {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure !== undefined) {
      this.failures.delete(method);
      return Promise.reject(failure);
    }
    return Promise.resolve(value);
  }

  /** Just enough of the KV semantics (DESIGN.md) to exercise the shell end to end. */
  private kv(argv: readonly string[]): ShellReply {
    const [name = '', ...args] = argv;
    const cmd = name.toLowerCase();
    try {
      switch (cmd) {
        case 'get':
          return replyFromResult(cmd, this.store.get(args[0]!) ?? null);
        case 'set':
          this.store.set(args[0]!, args[1]!);
          return replyFromResult(cmd, 'OK');
        case 'del':
          return replyFromResult(cmd, args.filter((k) => this.store.delete(k)).length);
        case 'exists':
          return replyFromResult(cmd, args.filter((k) => this.store.has(k)).length);
        case 'cas': {
          const swap = this.store.get(args[0]!) === args[1];
          if (swap) this.store.set(args[0]!, args[2]!);
          return replyFromResult(cmd, swap);
        }
        case 'keys':
          return replyFromResult(cmd, [...this.store.keys()].sort());
        case 'ping':
          return replyFromResult(cmd, args[0] ?? 'PONG');
        case 'config':
          // A nested reply, as a node answers CONFIG GET: name, value pairs.
          return { type: 'array', items: [{ type: 'bulk', value: args[1] ?? '' }, { type: 'bulk', value: '' }] };
        case 'raft.info':
          return { type: 'array', items: [{ type: 'integer', value: 1 }, { type: 'array', items: [{ type: 'bulk', value: 'role' }, { type: 'simple', value: 'leader' }] }] };
        default:
          // What a node answers to a command it does not know (Redis's words).
          return { type: 'error', message: `ERR unknown command '${name}', with args beginning with: ${args.map((a) => `'${a}'`).join(' ')}`.trimEnd() };
      }
    } catch (e) {
      return replyFromError(e);
    }
  }
}
