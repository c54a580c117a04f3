#!/usr/bin/env node
/**
 * The `raft-tui` bin: `raft-tui [--config F]`.
 *
 * Order matters: the command line first (a bad flag is a usage error, exit 2, terminal or not),
 * then the terminal (raft-tui needs one on both ends; a pipe or CI gets one clear line, exit 1),
 * then the cluster file, then the cluster: attach to the supervisor answering on its control
 * socket, or start one. On quit, a cluster raft-tui started is stopped only if the user says so;
 * one it attached to is left alone.
 *
 * Exit codes: 0 quit normally, 1 could not run (no terminal, bad cluster file, cluster would not
 * start), 2 bad command line.
 */
import { writeSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { clientSecurityFrom } from '../client/client-security.js';
import { RaftKvClient } from '../client/raftkv-client.js';
import { controlSocketPath } from '../cluster/control-protocol.js';
import { loadClusterConfig, type ClusterConfig } from '../protocol/cluster-config.js';
import { attachOrStart, type ClusterHandle } from './attach-or-start.js';
import { LiveClusterSource } from './live-cluster-source.js';
import { ttyProblem } from './tty-check.js';
import { DEFAULT_TUI_CONFIG, parseTuiArgs, TUI_USAGE, type TuiArgs } from './tui-args.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

/** How long a stopping cluster may take: the supervisor gives each node 5 s after SIGTERM. */
const STOP_DEADLINE_MS = 15_000;

// Writes to a terminal that went away (SIGHUP) fail with EIO; nothing is left to tell then.
const say = (text: string): void => void process.stdout.write(text, () => undefined);
const complain = (text: string): void => void process.stderr.write(text, () => undefined);

/** A synchronous write for an exit handler (no more event loop turns then); errors ignored. */
function writeQuietly(text: string): void {
  try {
    writeSync(1, text);
  } catch {
    // the terminal is gone
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True if some node answers `status`: nodes started by hand, without a supervisor, can still be watched. */
async function anyNodeAnswers(cfg: ClusterConfig): Promise<boolean> {
  const security = clientSecurityFrom(cfg.security);
  const client = new RaftKvClient({ nodes: cfg.nodes, timeoutMs: 1000, ...(security ? { security } : {}) });
  try {
    await Promise.any(cfg.nodes.map((n) => client.status(n.id, { timeoutMs: 1000 })));
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Resolves when `p` settles or `ms` pass, whichever is first; true if `p` settled. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => true, () => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

async function runTui(argv: readonly string[]): Promise<number> {
  let args: TuiArgs;
  try {
    args = parseTuiArgs(argv);
  } catch (err) {
    complain(`raft-tui: ${messageOf(err)}\n\n${TUI_USAGE}`);
    return EXIT_USAGE;
  }
  if (args.help) {
    say(TUI_USAGE);
    return EXIT_OK;
  }
  const problem = ttyProblem(process.stdin, process.stdout);
  if (problem !== undefined) {
    complain(`${problem.message}\n`);
    return EXIT_FAILED;
  }
  const configArg = args.config ?? DEFAULT_TUI_CONFIG;
  const configPath = resolve(process.cwd(), configArg);
  let cfg: ClusterConfig;
  try {
    cfg = loadClusterConfig(configPath);
    // Refuses a data directory too deep for a Unix socket path, here rather than mid-start.
    controlSocketPath(cfg.dataDir);
  } catch (err) {
    complain(`raft-tui: ${messageOf(err)}\n`);
    return EXIT_FAILED;
  }

  let handle: ClusterHandle | undefined;
  try {
    handle = await attachOrStart(cfg, configPath, { say: (line) => say(`${line}\n`) });
  } catch (err) {
    if (!(await anyNodeAnswers(cfg))) {
      complain(`raft-tui: ${messageOf(err)}\n`);
      return EXIT_FAILED;
    }
  }

  const source = new LiveClusterSource({ config: cfg, control: handle?.control });
  const logDir = relative(process.cwd(), cfg.logDir) || '.';
  if (handle === undefined) source.note('no supervisor: watching the nodes only (k/K/r/s need `raftkv up`)', 'error');
  else if (handle.started) source.note(`started the cluster: supervisor pid ${handle.supervisorPid}, output in ${logDir}/supervisor.log`, 'info');
  else source.note('attached to the running cluster', 'info');

  // Ink draws nothing until exit when it believes it runs in CI (the CI variable is set). Both
  // ends were just checked to be terminals, so this is interactive whatever CI says; Ink reads the
  // variable when it is first loaded, hence the late import.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const { createElement } = await import('react');
  const { render } = await import('ink');
  const { Root } = await import('./components/Root.js');

  // When the terminal goes away (SIGHUP), Ink's last writes and reads fail with EIO: that must not
  // crash raft-tui before it has stopped the cluster it started.
  process.stdout.on('error', () => undefined);
  process.stdin.on('error', () => undefined);

  let choice = 'leave' as 'stop' | 'leave';
  // The alternate screen, as htop, k9s and less use: a clean canvas the size of the window, and
  // the user's scrollback untouched when raft-tui quits.
  say(ENTER_ALT_SCREEN);
  // Even if something below throws, give the user their screen back.
  const leaveAltScreen = (): void => void writeQuietly(LEAVE_ALT_SCREEN);
  process.once('exit', leaveAltScreen);
  const app = render(createElement(Root, { source, askOnQuit: handle?.started === true, onExit: (c) => (choice = c) }), {
    exitOnCtrlC: false,
    // Ink's standard renderer: each frame is one synchronized update (DEC 2026) that terminals
    // supporting it show at once, and frames are only written when the output changed. Ink 6.8's
    // incremental renderer was tried and drew a full-height frame one row off in tmux.
  });
  // A kill, or the terminal closing: nobody can answer the question, so a cluster we started goes too.
  const onSignal = (): void => {
    choice = handle?.started === true ? 'stop' : 'leave';
    app.unmount();
  };
  const signals = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
  for (const s of signals) process.on(s, onSignal);
  try {
    await app.waitUntilExit();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', leaveAltScreen);
    say(LEAVE_ALT_SCREEN);
  }

  if (choice === 'stop' && handle !== undefined) {
    say('raft-tui: stopping the cluster…\n');
    try {
      await source.shutdownCluster();
      const gone = handle.supervisorExited === undefined || (await within(handle.supervisorExited, STOP_DEADLINE_MS));
      say(gone ? 'raft-tui: cluster stopped\n' : `raft-tui: the supervisor (pid ${handle.supervisorPid}) is still stopping\n`);
    } catch (err) {
      complain(`raft-tui: could not stop the cluster: ${messageOf(err)}\n`);
    }
  } else if (handle?.started) {
    say(`raft-tui: the cluster keeps running (supervisor pid ${handle.supervisorPid}); stop it with \`npx raftkv ctl shutdown --config ${configArg}\`\n`);
  }
  await source.close();
  return EXIT_OK;
}

process.exitCode = await runTui(process.argv.slice(2));
