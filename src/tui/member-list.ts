/**
 * Which nodes raft-tui shows, and one poller per node that follows the list.
 *
 * The cluster's own membership (the `members` op, asked of the leader) is the truth once a node
 * answered it: members added after the start (`raftkv ctl add`, `raftkv node --join`) appear, and
 * removed ones leave, whatever cluster.json says. Until then cluster.json's nodes stand in. Nodes
 * the supervisor runs are shown too even when not (or not yet) members, so no process it runs is
 * invisible.
 */
import { RaftKvClient } from '../client/raftkv-client.js';
import type { ClientSecurity } from '../client/client-security.js';
import type { MemberInfo } from '../protocol/client-requests.js';
import type { NodeAddress } from '../protocol/cluster-config.js';
import { NodePoller, type NodePollerOptions } from './node-poller.js';

/** A row's identity: where the node is reached, and its place in the membership when known. */
export interface ListedNode {
  id: number;
  host: string;
  port: number;
  member?: 'voter' | 'learner';
}

/** The nodes to show, by id: the membership (else the bootstrap nodes) plus supervised ones with an address. */
export function listedNodes(
  bootstrap: readonly Pick<NodeAddress, 'id' | 'host' | 'port'>[],
  membership: readonly MemberInfo[] | undefined,
  supervised: Iterable<{ id: number; host?: string; port?: number }>,
): ListedNode[] {
  const out = new Map<number, ListedNode>();
  if (membership !== undefined) for (const m of membership) out.set(m.id, { id: m.id, host: m.host, port: m.port, member: m.role });
  else for (const n of bootstrap) out.set(n.id, { id: n.id, host: n.host, port: n.port });
  for (const r of supervised) {
    if (!out.has(r.id) && r.host !== undefined && r.port !== undefined) out.set(r.id, { id: r.id, host: r.host, port: r.port });
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}

/** True if both lists name the same nodes at the same addresses with the same roles. */
export function sameListedNodes(a: readonly ListedNode[], b: readonly ListedNode[]): boolean {
  return a.length === b.length && a.every((n, i) => n.id === b[i]!.id && n.host === b[i]!.host && n.port === b[i]!.port && n.member === b[i]!.member);
}

interface Polled {
  node: ListedNode;
  client: RaftKvClient;
  poller: NodePoller;
}

/** One NodePoller (with its own client connection) per listed node, kept in step with the list. */
export class MemberPollers {
  readonly #byId = new Map<number, Polled>();
  readonly #security: ClientSecurity | undefined;
  readonly #options: NodePollerOptions & { requestTimeoutMs: number };
  #list: ListedNode[] = [];

  constructor(options: NodePollerOptions & { requestTimeoutMs: number }, security?: ClientSecurity) {
    this.#options = options;
    this.#security = security;
  }

  get list(): readonly ListedNode[] {
    return this.#list;
  }

  get pollers(): NodePoller[] {
    return [...this.#byId.values()].map((p) => p.poller);
  }

  poller(id: number): NodePoller | undefined {
    return this.#byId.get(id)?.poller;
  }

  client(id: number): RaftKvClient | undefined {
    return this.#byId.get(id)?.client;
  }

  /** Follows `list`; returns false when nothing changed. A node whose address changed gets a new poller. */
  set(list: ListedNode[]): boolean {
    if (sameListedNodes(this.#list, list)) return false;
    const wanted = new Map(list.map((n) => [n.id, n]));
    for (const [id, p] of this.#byId) {
      const w = wanted.get(id);
      if (w === undefined || w.host !== p.node.host || w.port !== p.node.port) {
        p.client.close();
        this.#byId.delete(id);
      }
    }
    for (const n of list) {
      const p = this.#byId.get(n.id);
      if (p !== undefined) {
        p.node = n;
        continue;
      }
      const timeoutMs = this.#options.requestTimeoutMs;
      const client = new RaftKvClient({ nodes: [n], timeoutMs, connectTimeoutMs: Math.min(500, timeoutMs), ...(this.#security ? { security: this.#security } : {}) });
      this.#byId.set(n.id, { node: n, client, poller: new NodePoller(n.id, client, this.#options) });
    }
    this.#list = list;
    return true;
  }

  close(): void {
    for (const p of this.#byId.values()) p.client.close();
    this.#byId.clear();
  }
}
