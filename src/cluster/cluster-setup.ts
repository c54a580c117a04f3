/**
 * Building and preparing a cluster to supervise: a config for N nodes on free or given ports,
 * a check that the ports are free, and the cluster file the nodes will read.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseClusterConfig, writeClusterConfig, type ClusterConfig } from '../protocol/cluster-config.js';
import { RaftKvError } from '../protocol/errors.js';
import { findFreePorts, isPortFree } from './free-ports.js';

/** DESIGN.md's default timing. */
export const DEFAULT_ELECTION_TIMEOUT_MS = Object.freeze({ min: 150, max: 300 });
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 50;
/** Peer port = client port + this, with --base-port (DESIGN.md "Command line"). */
export const PEER_PORT_OFFSET = 100;
export const MAX_GENERATED_NODES = 99;

export interface GenerateClusterOptions {
  /** Number of nodes, 1..99. */
  nodes: number;
  /** Node i (from 1) gets client port basePort+i-1 and peer port basePort+100+i-1; absent = free ports from the OS. */
  basePort?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Absolute or relative to the process's cwd. */
  dataDir: string;
  logDir: string;
  electionTimeoutMs?: { min: number; max: number };
  heartbeatIntervalMs?: number;
}

/** A validated config for a local cluster of `nodes` nodes (ports checked free only when from the OS). */
export async function generateClusterConfig(options: GenerateClusterOptions): Promise<ClusterConfig> {
  const n = options.nodes;
  if (!Number.isInteger(n) || n < 1 || n > MAX_GENERATED_NODES) {
    throw new RaftKvError('BAD_CONFIG', `nodes: must be an integer 1..${MAX_GENERATED_NODES}, got ${n}`);
  }
  const host = options.host ?? '127.0.0.1';
  let ports: number[];
  let peerPorts: number[];
  if (options.basePort !== undefined) {
    const p = options.basePort;
    if (!Number.isInteger(p) || p < 1 || p + PEER_PORT_OFFSET + n - 1 > 65535) {
      throw new RaftKvError('BAD_CONFIG', `base port: ${p} leaves no room for ${n} nodes (needs ${p}..${p + PEER_PORT_OFFSET + n - 1} <= 65535)`);
    }
    ports = Array.from({ length: n }, (_, i) => p + i);
    peerPorts = Array.from({ length: n }, (_, i) => p + PEER_PORT_OFFSET + i);
  } else {
    const free = await findFreePorts(2 * n, host);
    ports = free.slice(0, n);
    peerPorts = free.slice(n);
  }
  const raw = {
    nodes: ports.map((port, i) => ({ id: i + 1, host, port, peerPort: peerPorts[i] })),
    electionTimeoutMs: options.electionTimeoutMs ?? { ...DEFAULT_ELECTION_TIMEOUT_MS },
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    dataDir: resolve(options.dataDir),
    logDir: resolve(options.logDir),
  };
  return parseClusterConfig(raw, process.cwd(), 'generated cluster');
}

/** Hosts whose ports this machine can check by binding them (every 127.x.x.x is loopback). */
const LOCAL_HOSTS = new Set(['localhost', '::1', '0.0.0.0', '::']);
const isLocalHost = (host: string): boolean => LOCAL_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * Throws UNAVAILABLE naming every client or peer port of a local node that is already taken (most
 * often: a cluster is already running), so `up` fails at once instead of starting nodes that die.
 */
export async function checkPortsFree(cfg: ClusterConfig): Promise<void> {
  const busy: string[] = [];
  for (const node of cfg.nodes) {
    const bind = node.listenHost ?? node.host;
    if (!isLocalHost(bind)) continue;
    for (const [what, port] of [['port', node.port], ['peerPort', node.peerPort]] as const) {
      if (!(await isPortFree(port, bind))) busy.push(`node ${node.id} ${what} ${bind}:${port}`);
    }
  }
  if (busy.length > 0) {
    throw new RaftKvError('UNAVAILABLE', `ports already in use (is a cluster already running?): ${busy.join(', ')}`);
  }
}

/** The name of the cluster file a supervised cluster's nodes read, in its data directory. */
export const RUN_CONFIG_FILE = 'cluster.json';

/** `<dataDir>/cluster.json`: where a supervised cluster's nodes read their config from. */
export function runConfigPath(cfg: ClusterConfig): string {
  return join(cfg.dataDir, RUN_CONFIG_FILE);
}

/**
 * Creates the data and log folders and writes the cluster file the nodes run from,
 * `<dataDir>/cluster.json`, so other tools can read the addresses. Returns its path.
 */
export function writeRunConfig(cfg: ClusterConfig): string {
  mkdirSync(cfg.dataDir, { recursive: true });
  mkdirSync(cfg.logDir, { recursive: true });
  const path = runConfigPath(cfg);
  writeClusterConfig(path, cfg);
  return path;
}
