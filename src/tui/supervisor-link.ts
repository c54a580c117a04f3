/**
 * raft-tui's line to the supervisor (`raftkv up`) over its control socket: which node processes
 * run (pid, up / down / stopped), the faults injected into the network, and the chaos keys'
 * actions (kill, kill leader, restart, stop, isolate, heal) and membership keys' (add, remove,
 * transfer: the supervisor's `ctl add|remove|transfer`).
 *
 * Polled every few hundred ms (and at once after an action, or when a node stops answering), since
 * the control protocol has no push. If the supervisor goes away the link says so on the timeline,
 * reports no process info (rows show what the nodes themselves answer), makes actions fail with
 * UNAVAILABLE, and tries to reconnect every `reconnectMs`.
 */
import { connectControl, type ControlClient } from '../cluster/control-client.js';
import { describePlan, type FaultPlanView } from '../cluster/fault-plan.js';
import type { FaultEvent, NodeStatusRow, SupervisedNode } from '../cluster/supervisor.js';
import { RaftKvError, toRaftKvError } from '../protocol/errors.js';
import type { ClusterEventKind } from './model.js';

export interface SupervisorLinkOptions {
  socketPath: string;
  /** An already connected control client (the bin's), used until it fails. */
  control?: ControlClient;
  /** Called after the process rows or the connection changed. */
  onChange: () => void;
  /** A line for the timeline. */
  onEvent: (text: string, kind: ClusterEventKind) => void;
  /** Wait between reconnect attempts. Default 1000 ms. */
  reconnectMs?: number;
}

/** The supervisor's word on one node process. */
export type ProcessRow = Pick<SupervisedNode, 'id' | 'state' | 'pid' | 'exitCode' | 'exitSignal'> &
  Partial<Pick<NodeStatusRow, 'faults' | 'member'>> &
  Partial<Pick<SupervisedNode, 'restarts' | 'restartAt' | 'host' | 'port'>>;

/** The supervisor's fault plan, put back together from each node's share. */
export function planOfRows(rows: ReadonlyMap<number, ProcessRow>): FaultPlanView {
  const cuts = new Map<string, [number, number]>();
  const slow: Record<string, number> = {};
  for (const [id, row] of rows) {
    for (const to of row.faults?.dropTo ?? []) cuts.set(`${id}>${to}`, [id, to]);
    for (const from of row.faults?.dropFrom ?? []) cuts.set(`${from}>${id}`, [from, id]);
    if (row.faults?.delayMs) slow[String(id)] = row.faults.delayMs;
  }
  return { cuts: [...cuts.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]), slow };
}

/** A timeline line when the injected faults changed between two sets of rows, else null. */
export function faultEvent(prev: ReadonlyMap<number, ProcessRow>, next: ReadonlyMap<number, ProcessRow>): string | null {
  const before = describePlan(planOfRows(prev));
  const after = describePlan(planOfRows(next));
  if (before === after) return null;
  return after === 'no faults' ? 'network healed: no faults' : `network faults now: ${after}`;
}

function exitText(row: ProcessRow): string {
  if (row.exitSignal) return `signal ${row.exitSignal}`;
  return row.exitCode !== null ? `code ${row.exitCode}` : 'no exit status';
}

/** Timeline lines for what changed between two sets of rows (process exits and starts). */
export function processEvents(prev: ReadonlyMap<number, ProcessRow>, next: ReadonlyMap<number, ProcessRow>): string[] {
  const out: string[] = [];
  for (const [id, row] of next) {
    const was = prev.get(id);
    if (was === undefined) continue;
    const restartIn = row.restartAt != null ? `; the supervisor restarts it in ${Math.max(0, Math.ceil((row.restartAt - Date.now()) / 1000))} s` : '';
    const byTheSupervisor = (row.restarts ?? 0) > (was.restarts ?? 0);
    if (was.state === 'up' && row.state !== 'up') out.push(`node ${id} (pid ${was.pid}) exited: ${exitText(row)}${restartIn}`);
    else if (row.state === 'up' && was.state !== 'up' && byTheSupervisor) out.push(`node ${id} restarted by the supervisor (restart ${row.restarts}), pid ${row.pid}`);
    else if (row.state === 'up' && was.state !== 'up') out.push(`node ${id} started, pid ${row.pid}`);
    else if (row.state === 'up' && was.pid !== row.pid) out.push(`node ${id} restarted, pid ${was.pid} -> ${row.pid}`);
  }
  return out;
}

function noSupervisor(socketPath: string): RaftKvError {
  return new RaftKvError('UNAVAILABLE', `no supervisor answering on ${socketPath}; start the cluster with \`raftkv up\``);
}

export class SupervisorLink {
  readonly #opts: SupervisorLinkOptions;
  #control: ControlClient | undefined;
  #rows: ReadonlyMap<number, ProcessRow> | undefined;
  #refreshing: Promise<void> | null = null;
  /**
   * Bumped when an action completes. A status asked before that may describe the world before the
   * action (the supervisor snapshots its rows when the request arrives) and is dropped, so a stale
   * reply cannot undo what the action showed.
   */
  #actionsDone = 0;
  #again = false;
  #connecting = false;
  #lastConnectAttemptMs = 0;
  #closed = false;
  /** False once quiesce() was called: no more status requests. */
  #polling = true;
  /** True once a connection was lost, so a reconnect is worth a line on the timeline. */
  #lost = false;

  constructor(options: SupervisorLinkOptions) {
    this.#opts = options;
    this.#control = options.control;
  }

  /** Process rows by node id; undefined while no supervisor answers. */
  get rows(): ReadonlyMap<number, ProcessRow> | undefined {
    return this.#rows;
  }

  get connected(): boolean {
    return this.#control !== undefined;
  }

  /** One step of the poll loop: refresh the rows, or try to reconnect when it is time. */
  tick(): void {
    if (this.#closed || !this.#polling) return;
    if (this.#control !== undefined) {
      void this.refresh();
      return;
    }
    const now = Date.now();
    if (this.#connecting || now - this.#lastConnectAttemptMs < (this.#opts.reconnectMs ?? 1000)) return;
    this.#lastConnectAttemptMs = now;
    this.#connecting = true;
    connectControl(this.#opts.socketPath, { connectTimeoutMs: 1000 }).then(
      (control) => {
        this.#connecting = false;
        if (this.#closed) return void control.close();
        this.#control = control;
        if (this.#lost) this.#opts.onEvent('reconnected to the supervisor', 'info');
        void this.refresh();
      },
      () => {
        this.#connecting = false;
      },
    );
  }

  /** Asks for the rows now; a request already under way is followed by one more. Never rejects. */
  refresh(): Promise<void> {
    if (this.#refreshing !== null) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        const control = this.#control;
        if (control === undefined || this.#closed || !this.#polling) break;
        const asOf = this.#actionsDone;
        try {
          const rows = await control.status();
          if (asOf !== this.#actionsDone) this.#again = true;
          else this.#setRows(new Map(rows.map((r) => [r.id, r])));
        } catch (err) {
          this.#fail(control, err);
        }
      } while (this.#again);
      this.#refreshing = null;
    })();
    return this.#refreshing;
  }

  kill(id: number): Promise<SupervisedNode> {
    return this.#act((c) => c.kill(id));
  }

  killLeader(): Promise<SupervisedNode> {
    return this.#act((c) => c.kill('leader'));
  }

  restart(id: number): Promise<SupervisedNode> {
    return this.#act((c) => c.restart(id));
  }

  stop(id: number): Promise<SupervisedNode> {
    return this.#act((c) => c.stop(id));
  }

  isolate(target: number | 'leader'): Promise<FaultEvent> {
    return this.#call((c) => c.isolate(target));
  }

  heal(): Promise<FaultEvent> {
    return this.#call((c) => c.heal());
  }

  /** `ctl add`: a new node, promoted once caught up; resolves with its id. */
  async add(): Promise<number> {
    return (await this.#call((c) => c.add())).id;
  }

  /** `ctl remove`: out of the membership, then its process stopped. */
  remove(id: number): Promise<void> {
    return this.#call((c) => c.remove(id));
  }

  /** `ctl transfer`: resolves once `id` leads. */
  async transfer(id: number): Promise<void> {
    await this.#call((c) => c.transfer(id));
  }

  /** Asks the supervisor to stop every node and exit. */
  async shutdown(): Promise<void> {
    const control = this.#require();
    await control.shutdown();
  }

  /**
   * Stops polling and waits for a status request under way to be answered, so the connection can
   * then close with nothing pending. (A request still pending when the connection closes keeps a
   * timer of the control client alive for its whole timeout, delaying the process's exit.)
   */
  async quiesce(): Promise<void> {
    this.#polling = false;
    await this.#refreshing;
  }

  /** Closes the control connection, after the request under way; nothing is polled after this. */
  async close(): Promise<void> {
    await this.quiesce();
    this.#closed = true;
    const control = this.#control;
    this.#control = undefined;
    await control?.close();
  }

  #require(): ControlClient {
    if (this.#control === undefined || this.#closed) throw noSupervisor(this.#opts.socketPath);
    return this.#control;
  }

  async #act(run: (c: ControlClient) => Promise<SupervisedNode>): Promise<SupervisedNode> {
    const control = this.#require();
    try {
      const node = await run(control);
      this.#actionsDone++;
      // Show the outcome at once (a kill resolves after the process is gone), then the full rows.
      if (this.#rows !== undefined) this.#setRows(new Map(this.#rows).set(node.id, node));
      void this.refresh();
      return node;
    } catch (err) {
      this.#fail(control, err);
      throw err;
    }
  }

  /** A request whose outcome shows in the next rows (faults, membership), which it asks for at once. */
  async #call<T>(run: (c: ControlClient) => Promise<T>): Promise<T> {
    const control = this.#require();
    try {
      const ev = await run(control);
      this.#actionsDone++;
      void this.refresh();
      return ev;
    } catch (err) {
      this.#fail(control, err);
      throw err;
    }
  }

  #setRows(rows: ReadonlyMap<number, ProcessRow>): void {
    if (this.#rows !== undefined) {
      for (const line of processEvents(this.#rows, rows)) this.#opts.onEvent(line, 'info');
      // Partitions and heals, whoever ordered them (these keys, or `raftkv ctl` elsewhere).
      const faults = faultEvent(this.#rows, rows);
      if (faults !== null) this.#opts.onEvent(faults, faults.startsWith('network healed') ? 'up' : 'down');
    }
    this.#rows = rows;
    this.#opts.onChange();
  }

  /** A failed call: if the connection is gone, drop it and say so; other errors are the caller's. */
  #fail(control: ControlClient, err: unknown): void {
    if (toRaftKvError(err).code !== 'UNAVAILABLE' || this.#control !== control) return;
    this.#control = undefined;
    this.#rows = undefined;
    this.#lost = true;
    void control.close();
    if (!this.#closed) {
      this.#opts.onEvent('lost the supervisor: keys k/K/r/s/i/I/h/a do nothing until it is back', 'error');
      this.#opts.onChange();
    }
  }
}
