/**
 * The one seam between raft-tui and the outside world. Components never open sockets: the App is
 * handed a ClusterSource, reads it through `useClusterSource`, and calls its methods on key presses.
 * The real implementation (client library + supervisor control socket) is wired in by the bin;
 * tests use a fake (test/tui/fake-cluster-source.ts).
 */
import type { NodeId } from '../../protocol/raft-messages.js';
import type { ClusterSnapshot } from '../model.js';
import type { ShellReply } from '../shell/reply.js';

export interface ClusterSource {
  /**
   * Registers `listener`, called with no arguments after the snapshot changed (at most a few dozen
   * times a second: a source polling nodes should coalesce). Returns a function that unregisters it;
   * calling that twice is harmless. Must not call `listener` synchronously from inside `subscribe`.
   */
  subscribe(listener: () => void): () => void;

  /**
   * The current picture. Must return the *same object* until something changed (React compares
   * snapshots with Object.is and would otherwise re-render forever), must be cheap, and must never
   * throw or block: a dead node shows as `down`/`unreachable`, it does not stall the snapshot.
   */
  getSnapshot(): ClusterSnapshot;

  /** kill -9 the node's process. Resolves once the supervisor did it; rejects with a coded Error. */
  kill(id: NodeId): Promise<void>;

  /** kill -9 whichever node the supervisor finds is leader; resolves with its id. Rejects (code NO_LEADER) if none. */
  killLeader(): Promise<NodeId>;

  /** Start the node again (whatever its state); resolves when the process was spawned. */
  restart(id: NodeId): Promise<void>;

  /** Stop the node cleanly (SIGTERM, then wait); resolves when it exited. */
  stop(id: NodeId): Promise<void>;

  /**
   * Cut a node (or whichever the supervisor finds is leader) off from every other member, both
   * ways. Resolves with the faults now in force, as text (`1<->2, 2<->3`).
   */
  isolate(target: NodeId | 'leader'): Promise<string>;

  /** Remove every injected cut and delay; resolves with the faults now in force (`no faults`). */
  heal(): Promise<string>;

  /**
   * Start a new node and add it to the cluster (a learner, promoted once caught up; the
   * supervisor's `ctl add`). Resolves with its id once it is a voter. Needs a supervisor.
   */
  addNode(): Promise<NodeId>;

  /** Remove node `id` from the cluster's membership, then stop its process. */
  removeNode(id: NodeId): Promise<void>;

  /** Move leadership to node `id` (Raft thesis §3.10); resolves once it leads. */
  transferLeader(id: NodeId): Promise<void>;

  /**
   * Run one shell command. `argv[0]` is the command name: GET, SET, DEL, CAS, KEYS, EXISTS and PING
   * (upper case, arity checked) go through the client library; any other word is sent to the
   * shell's node as a Redis command, as typed. The rest are the arguments as typed. Resolves with the reply to print;
   * errors from the cluster (NOT_LEADER after retries, TIMEOUT, …) are resolved as `error` replies
   * (see replyFromError). Must settle within the client's request deadline, so the shell never hangs;
   * a rejection is printed as an error too.
   */
  execute(argv: readonly string[]): Promise<ShellReply>;

  /**
   * Points the shell at node `id` (`:node 2`): commands the shell does not know go to that node,
   * and `shellTarget` names it. Returns null, or why not (no such node) for the shell to print.
   */
  selectShellNode(id: NodeId): string | null;
}
