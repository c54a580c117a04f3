/**
 * Who a starting node is and which membership it bootstraps from:
 *  - a member of the cluster file (`raftkv node --id N --config F`): its address from the file,
 *    the file's nodes as the bootstrap voters (used only until the log or a snapshot says otherwise);
 *  - a node joining a running cluster (`raftkv node --id N --join host:port --host H --port P
 *    --peer-port Q`): its address from the flags and an EMPTY bootstrap membership, so it never
 *    campaigns until a config entry adds it. Timing, security and directories come from the
 *    cluster file when one is given (the same file the cluster runs from), else the defaults.
 */
import { resolve } from 'node:path';
import { loadClusterConfig, parseClusterConfig, type ClusterConfig, type NodeAddress } from '../protocol/cluster-config.js';
import { RaftKvError } from '../protocol/errors.js';
import { membershipOfNodes } from '../protocol/membership-addresses.js';
import type { Membership } from '../protocol/raft-messages.js';

export interface JoinOptions {
  /** Client address of any member, asked to add this node. */
  seed: { host: string; port: number };
  host: string;
  port: number;
  peerPort: number;
  /** Overrides the cluster file's dataDir (or ./data). */
  dataDir?: string;
}

export interface NodeIdentity {
  cfg: ClusterConfig;
  me: NodeAddress;
  bootstrap: Membership;
}

export function nodeIdentity(id: number, configPath: string | undefined, join: JoinOptions | undefined, cwd = process.cwd()): NodeIdentity {
  if (!join) {
    if (configPath === undefined) throw new RaftKvError('BAD_CONFIG', 'a node needs a cluster file, or --join to join a running cluster');
    const cfg = loadClusterConfig(configPath);
    const me = cfg.nodes.find((n) => n.id === id);
    if (!me) throw new RaftKvError('BAD_CONFIG', `${configPath}: no node with id ${id} (ids: ${cfg.nodes.map((n) => n.id).join(', ')}); to add a node to a running cluster, start it with --join`);
    return { cfg, me, bootstrap: membershipOfNodes(cfg.nodes) };
  }
  const me: NodeAddress = { id, host: join.host, port: join.port, peerPort: join.peerPort };
  // Without a file: the defaults, with this node as the only entry (parseClusterConfig checks the ports).
  const base = configPath === undefined ? parseClusterConfig({ nodes: [me] }, cwd, '--join flags') : loadClusterConfig(configPath);
  const cfg: ClusterConfig = { ...base, ...(join.dataDir === undefined ? {} : { dataDir: resolve(cwd, join.dataDir) }) };
  return { cfg, me, bootstrap: { voters: [], learners: [], addresses: {} } };
}
