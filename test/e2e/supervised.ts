/**
 * A supervised cluster for e2e tests: real node processes under an in-process Supervisor with its
 * control socket (as `raftkv up` runs them), on ports from the OS, in a temp folder. Teardown
 * stops the supervisor and SIGKILLs anything still mentioning the folder, also when a test fails.
 * Faults (isolate, cut, slow, heal) can only be ordered through a supervisor, hence this harness.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClusterConfig } from '../../src/cluster/cluster-setup.js';
import { startCluster, type RunningCluster } from '../../src/cluster/start-cluster.js';
import type { ClusterConfig } from '../../src/protocol/cluster-config.js';
import { jsonRequest, killProcessesMentioning, waitForAgreedLeader, type Tap } from './harness.js';

export interface Supervised extends RunningCluster {
  dir: string;
  cfg: ClusterConfig;
  port(id: number): number;
  /** A node's JSON status, or null if it does not answer within 1 s. */
  status(id: number): Promise<any | null>;
  /** The leader that every node in `among` agrees on, once they do. */
  waitForLeader(among?: number[], timeoutMs?: number): Promise<number>;
}

export interface SupervisedOptions {
  nodes?: number;
  /** Generous by default: tests share 2 cores with other tests. */
  electionTimeoutMs?: { min: number; max: number };
  /** Extra cluster.json fields (metricsPort per node is set by `edit`). */
  edit?: (cfg: ClusterConfig) => ClusterConfig;
}

export async function startSupervised(t: Tap, opts: SupervisedOptions = {}): Promise<Supervised> {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-sup-'));
  let cfg = await generateClusterConfig({
    nodes: opts.nodes ?? 3,
    dataDir: join(dir, 'data'),
    logDir: join(dir, 'logs'),
    electionTimeoutMs: opts.electionTimeoutMs ?? { min: 400, max: 800 },
    heartbeatIntervalMs: 50,
  });
  if (opts.edit) cfg = opts.edit(cfg);
  let running: RunningCluster | null = null;
  t.teardown(async () => {
    await running?.stop().catch(() => {});
    await killProcessesMentioning(dir);
    if (process.env.KEEP_E2E_DIR) t.comment(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  running = await startCluster(cfg, { stopTimeoutMs: 3000 });
  const port = (id: number) => cfg.nodes.find((n) => n.id === id)!.port;
  const status = async (id: number) => {
    try {
      const r = await jsonRequest(port(id), { op: 'status' }, 1000);
      return r.ok ? r.value : null;
    } catch {
      return null;
    }
  };
  return {
    ...running,
    dir,
    cfg,
    port,
    status,
    waitForLeader: (among = cfg.nodes.map((n) => n.id), timeoutMs = 20_000) => waitForAgreedLeader(status, among, timeoutMs),
  };
}
