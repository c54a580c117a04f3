/**
 * Client of the supervisor's control socket (control-server.ts), for `raftkv ctl` and the TUI.
 *
 * net-ipc quirks handled here: with reconnect off, a failed connect never settles its promise and
 * a request on a lost connection waits for its timeout; so connecting and every request race the
 * connection's 'close' event, and a dead supervisor gives a clear UNAVAILABLE at once.
 */
import { Client } from 'net-ipc';
import { errorFromJson, RaftKvError } from '../protocol/errors.js';
import type { ControlReply, ControlRequest } from './control-protocol.js';
import type { AddResult } from './member-changes.js';
import type { FaultEvent, NodeStatusRow, SupervisedNode } from './supervisor.js';

export interface ControlClient {
  status(): Promise<NodeStatusRow[]>;
  /** SIGKILL a node, or the current leader. Resolves with its state after it exited. */
  kill(target: number | 'leader'): Promise<SupervisedNode>;
  restart(id: number): Promise<SupervisedNode>;
  stop(id: number): Promise<SupervisedNode>;
  /** Snapshots on one node or all; one row per node (index/term, or error). */
  snapshot(target: number | 'all'): Promise<Array<{ id: number; index?: number; term?: number; error?: string }>>;
  /** Partitions and slow links (fault-plan.ts); each resolves with the plan after the change. */
  isolate(target: number | 'leader'): Promise<FaultEvent>;
  cut(a: number, b: number, oneWay?: boolean): Promise<FaultEvent>;
  slow(id: number, ms: number): Promise<FaultEvent>;
  heal(id?: number): Promise<FaultEvent>;
  /**
   * Starts a new node (on `host`, default the cluster file's first node's), adds it as a learner
   * and promotes it once caught up (unless `learner`).
   */
  add(options?: { learner?: boolean; host?: string }): Promise<AddResult>;
  /** Removes a member from the cluster, then stops its process for good. */
  remove(id: number): Promise<void>;
  /** Moves leadership to node `id`; resolves once it leads. */
  transfer(id: number): Promise<{ leader: number; ms: number }>;
  /** Asks the supervisor to stop every node and exit. */
  shutdown(): Promise<void>;
  close(): Promise<void>;
}

export interface ControlClientOptions {
  /** Per request. Stopping a node may take the supervisor's stop timeout (5 s). Default 15000. */
  timeoutMs?: number;
  /** Default 2000. */
  connectTimeoutMs?: number;
}

function unavailable(socketPath: string, why: string): RaftKvError {
  return new RaftKvError('UNAVAILABLE', `no supervisor answering on ${socketPath} (${why}); start one with \`raftkv up\``);
}

export async function connectControl(socketPath: string, options: ControlClientOptions = {}): Promise<ControlClient> {
  const timeoutMs = options.timeoutMs ?? 15000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const client = new Client({ path: socketPath, reconnect: false });
  let lastError = 'connection closed';
  let closed = false;
  /** Rejecters of everything waiting on the connection; called once when it closes. */
  const waiters = new Set<(err: Error) => void>();
  client.on('error', (err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    lastError = e?.code ?? e?.message ?? String(err);
  });
  client.on('close', () => {
    closed = true;
    const err = unavailable(socketPath, lastError);
    for (const reject of waiters) reject(err);
    waiters.clear();
  });

  /** Runs `work` until it settles, the connection closes, or `ms` pass. */
  function guarded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    if (closed) return Promise.reject(unavailable(socketPath, lastError));
    return new Promise<T>((resolve, reject) => {
      // Settles once; clears the timer whichever way it ends, so a closed connection leaves no
      // timer holding the process open.
      const settle = (err: Error | null, value?: T) => {
        clearTimeout(timer);
        waiters.delete(onClose);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onClose = (err: Error) => settle(err);
      const timer = setTimeout(() => settle(new RaftKvError('TIMEOUT', `supervisor on ${socketPath}: no answer to ${what} within ${ms} ms`)), ms);
      waiters.add(onClose);
      work.then(
        (v) => settle(null, v),
        (err: unknown) => settle(err instanceof RaftKvError ? err : unavailable(socketPath, err instanceof Error ? err.message : String(err))),
      );
    });
  }

  try {
    await guarded(client.connect(), connectTimeoutMs, 'connect');
  } catch (err) {
    client.destroy();
    throw err;
  }

  /** Membership changes wait for commits and (add) for a new node to catch up: longer deadlines. */
  const MEMBERSHIP_TIMEOUT_MS: Partial<Record<ControlRequest['op'], number>> = { add: 90_000, remove: 45_000, transfer: 30_000 };

  async function call(request: ControlRequest): Promise<unknown> {
    const ms = Math.max(timeoutMs, MEMBERSHIP_TIMEOUT_MS[request.op] ?? 0);
    // A request on a closed connection would only wait for net-ipc's own timeout.
    if (closed) throw unavailable(socketPath, lastError);
    // net-ipc's own timeout is a backstop; ours (with close detection) fires first.
    const reply = (await guarded(client.request(request, ms + 1000), ms, request.op)) as ControlReply | undefined;
    if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean') {
      throw new RaftKvError('PROTOCOL_ERROR', `supervisor sent a malformed reply: ${JSON.stringify(reply)}`);
    }
    if (!reply.ok) throw errorFromJson(reply.error);
    return reply.value;
  }

  return {
    async status() {
      return (await call({ op: 'status' })) as NodeStatusRow[];
    },
    async snapshot(target) {
      return (await call({ op: 'snapshot', target })) as Array<{ id: number; index?: number; term?: number; error?: string }>;
    },
    async kill(target) {
      return (await call({ op: 'kill', target })) as SupervisedNode;
    },
    async restart(id) {
      return (await call({ op: 'restart', id })) as SupervisedNode;
    },
    async stop(id) {
      return (await call({ op: 'stop', id })) as SupervisedNode;
    },
    async isolate(target) {
      return (await call({ op: 'isolate', target })) as FaultEvent;
    },
    async cut(a, b, oneWay = false) {
      return (await call({ op: 'cut', a, b, oneWay })) as FaultEvent;
    },
    async slow(id, ms) {
      return (await call({ op: 'slow', id, ms })) as FaultEvent;
    },
    async heal(id) {
      return (await call(id === undefined ? { op: 'heal' } : { op: 'heal', id })) as FaultEvent;
    },
    async add({ learner = false, host }: { learner?: boolean; host?: string } = {}) {
      return (await call({ op: 'add', learner, ...(host === undefined ? {} : { host }) })) as AddResult;
    },
    async remove(id) {
      await call({ op: 'remove', id });
    },
    async transfer(id) {
      return (await call({ op: 'transfer', id })) as { leader: number; ms: number };
    },
    async shutdown() {
      await call({ op: 'shutdown' });
    },
    async close() {
      if (closed) return;
      await client.close().catch(() => false);
      client.destroy();
    },
  };
}
