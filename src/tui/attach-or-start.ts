/**
 * How raft-tui finds its cluster: if a supervisor answers on the cluster's control socket, attach
 * to it; otherwise start one (`raftkv up --config F`) in the background and remember that we did,
 * so quitting can offer to stop it.
 *
 * The supervisor we start is detached into its own process group with its output in
 * `logs/supervisor.log`: a Ctrl-C or a closed terminal reaches raft-tui only, and the cluster
 * outlives raft-tui unless the user asks to stop it.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { connectControl, type ControlClient } from '../cluster/control-client.js';
import { controlSocketPath } from '../cluster/control-protocol.js';
import { RAFTKV_CLI_PATH } from '../cluster/supervisor.js';
import type { ClusterConfig } from '../protocol/cluster-config.js';
import { RaftKvError } from '../protocol/errors.js';
import { readTail } from './log-tail.js';

export interface ClusterHandle {
  control: ControlClient;
  /** True if this process started the supervisor (then quitting asks whether to stop it). */
  started: boolean;
  /** Pid of the supervisor we started. */
  supervisorPid?: number;
  /** Where the started supervisor writes its output. */
  supervisorLog?: string;
  /** Settles when the supervisor we started has exited (with how it ended). */
  supervisorExited?: Promise<string>;
}

export interface AttachOptions {
  /** How long a started supervisor may take to open its control socket. Default 20000 ms. */
  startTimeoutMs?: number;
  /** Progress lines for the user ("starting the cluster…"). */
  say?: (line: string) => void;
}

/** A connection to the supervisor on `socketPath`, or undefined if none answers. */
export async function tryConnect(socketPath: string): Promise<ControlClient | undefined> {
  try {
    return await connectControl(socketPath, { connectTimeoutMs: 1000 });
  } catch {
    return undefined;
  }
}

export async function attachOrStart(cfg: ClusterConfig, configPath: string, options: AttachOptions = {}): Promise<ClusterHandle> {
  const socketPath = controlSocketPath(cfg.dataDir);
  const existing = await tryConnect(socketPath);
  if (existing !== undefined) return { control: existing, started: false };

  options.say?.(`raft-tui: no cluster running for ${configPath}; starting one (raftkv up)…`);
  mkdirSync(cfg.logDir, { recursive: true });
  const supervisorLog = join(cfg.logDir, 'supervisor.log');
  const fd = openSync(supervisorLog, 'a');
  let exit: string | undefined;
  let pid: number | undefined;
  let supervisorExited: Promise<string>;
  try {
    const child = spawn(process.execPath, [RAFTKV_CLI_PATH, 'up', '--config', configPath], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    pid = child.pid;
    supervisorExited = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve((exit = err.message)));
      child.once('exit', (code, signal) => resolve((exit = signal ? `signal ${signal}` : `exit code ${code}`)));
    });
    // Our exit must not wait for the cluster's.
    child.unref();
  } finally {
    closeSync(fd);
  }

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    const control = await tryConnect(socketPath);
    if (control !== undefined) {
      // The socket opens before the supervisor checks the ports and starts the nodes; wait until it
      // did (every node started once), so a failed start is reported here, not as a dead table.
      const rows = await control.status().catch(() => []);
      if (rows.length > 0 && rows.every((r) => r.starts > 0)) {
        // It is ours unless ours already gave up (a race with another raft-tui starting one).
        return { control, started: exit === undefined, supervisorPid: pid, supervisorLog, supervisorExited };
      }
      await control.close();
    }
    if (exit !== undefined || Date.now() > deadline) {
      const why = exit !== undefined ? `it stopped (${exit})` : `its control socket did not open within ${options.startTimeoutMs ?? 20_000} ms`;
      // SIGTERM, not SIGKILL: the supervisor then stops the nodes it may have started.
      if (exit === undefined && pid !== undefined) signalQuietly(pid, 'SIGTERM');
      const tail = (await readTail(supervisorLog, 4096, 8)).map((l) => `  ${l}`).join('\n');
      throw new RaftKvError('UNAVAILABLE', `could not start the cluster: ${why}. Last lines of ${supervisorLog}:\n${tail || '  (empty)'}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sends `signal` to `pid`; a process already gone is not an error. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
