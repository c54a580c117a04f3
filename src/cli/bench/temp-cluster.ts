/**
 * A throwaway 3-node cluster for `raftkv bench --suite`: a temp folder, ports from the OS, the
 * same supervised start as `raftkv up` (startCluster), and a wait until every node agrees on one
 * leader (so no request of the first test meets an election). stop() stops the nodes and removes
 * the folder; callers call it in a `finally`, so an error or Ctrl-C leaves nothing behind (and
 * the supervisor SIGKILLs its nodes if this process exits without stopping them).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClusterConfig } from '../../cluster/cluster-setup.js';
import { startCluster, type RunningCluster } from '../../cluster/start-cluster.js';
import { parseClusterConfig, type ClusterConfig } from '../../protocol/cluster-config.js';
import { RaftKvError } from '../../protocol/errors.js';
import { BenchInterrupted } from './engine.js';
import type { BenchNode } from './options.js';

/**
 * Cluster settings a suite entry may change (timing today; the read mode once cluster.json has
 * one). Addresses and folders always come from the temp cluster.
 */
export type ClusterOverrides = Partial<Omit<ClusterConfig, 'nodes' | 'dataDir' | 'logDir'>>;

export interface TempCluster {
  config: ClusterConfig;
  nodes: BenchNode[];
  leader: number;
  /** The last lines of every node's log, for an error message (read before stop() removes them). */
  logTails(lines: number): string;
  /** Stops every node and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

const NODES = 3;
const LEADER_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

export async function startTempCluster(overrides: ClusterOverrides = {}, signal?: AbortSignal): Promise<TempCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-bench-'));
  let running: RunningCluster | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        await running?.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    })());
  try {
    const base = await generateClusterConfig({ nodes: NODES, dataDir: join(dir, 'data'), logDir: join(dir, 'logs') });
    // Re-validated, so a bad override is refused like a bad cluster.json.
    const config = parseClusterConfig({ ...base, ...overrides }, dir, 'bench suite cluster');
    running = await startCluster(config);
    const leader = await waitForLeader(running, signal);
    const logTails = (lines: number): string =>
      running!.supervisor
        .list()
        .map((n) => {
          let text = '';
          try {
            text = readFileSync(n.logFile, 'utf8');
          } catch {
            text = '(no log)';
          }
          return `--- node ${n.id} (${n.logFile}) ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
        })
        .join('\n');
    return { config, nodes: config.nodes.map((n) => ({ host: n.host, port: n.port })), leader, logTails, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls the nodes until one is leader and every node names it; fails after LEADER_TIMEOUT_MS. */
async function waitForLeader(cluster: RunningCluster, signal?: AbortSignal): Promise<number> {
  const deadline = Date.now() + LEADER_TIMEOUT_MS;
  let last = '';
  for (;;) {
    if (signal?.aborted) throw new BenchInterrupted();
    const rows = await cluster.supervisor.status();
    const leaders = rows.filter((r) => r.role === 'leader');
    if (leaders.length === 1 && rows.every((r) => r.leader === leaders[0]!.id)) return leaders[0]!.id;
    last = rows.map((r) => `node ${r.id}: ${r.role ?? r.statusError}`).join(', ');
    if (Date.now() > deadline) throw new RaftKvError('NO_LEADER', `the bench cluster elected no leader within ${LEADER_TIMEOUT_MS} ms (${last})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
