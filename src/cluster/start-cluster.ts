/**
 * A supervised cluster with its control socket, as `raftkv up` runs it and as the TUI starts one:
 * listens on `<dataDir>/supervisor.sock` (so `raftkv ctl` can reach it, and a second supervisor
 * on the same data directory is refused), checks the ports, writes `<dataDir>/cluster.json` and
 * starts every node.
 */
import { mkdirSync } from 'node:fs';
import type { ClusterConfig } from '../protocol/cluster-config.js';
import { checkPortsFree, runConfigPath, writeRunConfig } from './cluster-setup.js';
import { controlSocketPath } from './control-protocol.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { Supervisor, type SupervisorOptions } from './supervisor.js';

export interface RunningCluster {
  supervisor: Supervisor;
  control: ControlServer;
  /** The cluster file the nodes read. */
  configPath: string;
  /**
   * Stops every node (SIGTERM, then SIGKILL after the deadline) and closes the control socket.
   * Idempotent; resolves when all is done.
   */
  stop(): Promise<void>;
  /** Resolves when the cluster was stopped, by stop() or by a `shutdown` control request. */
  stopped: Promise<void>;
}

export interface StartClusterOptions extends Omit<SupervisorOptions, 'config' | 'configPath'> {
  /** Skip the free-port check (tests that know better). Default false. */
  skipPortCheck?: boolean;
}

export async function startCluster(cfg: ClusterConfig, options: StartClusterOptions = {}): Promise<RunningCluster> {
  const socketPath = controlSocketPath(cfg.dataDir);
  mkdirSync(cfg.dataDir, { recursive: true });
  const configPath = runConfigPath(cfg);
  const supervisor = new Supervisor({ ...options, config: cfg, configPath });
  let control: ControlServer;
  try {
    // First, so a second `up` on the same data directory is refused before it touches anything
    // (not even the running cluster's cluster.json).
    control = await startControlServer(supervisor, socketPath, { onShutdown: () => void stop() });
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
  let stopping: Promise<void> | null = null;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  function stop(): Promise<void> {
    stopping ??= (async () => {
      try {
        await supervisor.stop();
      } finally {
        await control.close();
        markStopped();
      }
    })();
    return stopping;
  }
  try {
    if (!options.skipPortCheck) await checkPortsFree(cfg);
    writeRunConfig(cfg);
    await supervisor.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { supervisor, control, configPath, stop, stopped };
}
