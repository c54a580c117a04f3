/**
 * `raftkv up`: a supervised cluster in the foreground (DESIGN.md "Command line"). Starts every
 * node as a child process, prints where each listens, serves `raftkv ctl` on
 * `<dataDir>/supervisor.sock`, and on Ctrl-C / SIGTERM / SIGHUP / `ctl shutdown` stops the nodes
 * cleanly and removes the socket. A second Ctrl-C while stopping kills the nodes at once.
 * Restarts a node that exits on its own, with backoff (supervisor.ts); not one killed or stopped on request.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { generateClusterConfig, RUN_CONFIG_FILE } from '../../cluster/cluster-setup.js';
import { secureCluster } from '../../cluster/secure-setup.js';
import { startCluster } from '../../cluster/start-cluster.js';
import { loadClusterConfig, type ClusterConfig } from '../../protocol/cluster-config.js';
import { boolFlag, expectPositionals, intFlag, stringFlag, UsageError, type ParsedArgs } from '../args.js';
import { DEFAULT_CONFIG_FILE } from '../client-target.js';
import { EXIT_OK, type CliIo, type Command } from '../command.js';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The cluster to run, from a cluster file or generated from --nodes / --base-port. */
async function clusterFromFlags(args: ParsedArgs, io: CliIo): Promise<ClusterConfig> {
  const configFlag = stringFlag(args, 'config');
  const nodes = intFlag(args, 'nodes');
  const basePort = intFlag(args, 'base-port');
  const dataDir = stringFlag(args, 'data-dir');
  const logDir = stringFlag(args, 'log-dir');
  if (configFlag !== undefined && (nodes !== undefined || basePort !== undefined)) {
    throw new UsageError('--nodes and --base-port make a new cluster; they cannot be combined with --config');
  }
  // No cluster named and none in the current folder: 3 nodes on free ports (DESIGN.md), rather
  // than an error about a file the user never mentioned.
  const defaultMissing = configFlag === undefined && !existsSync(resolve(io.cwd, DEFAULT_CONFIG_FILE));
  // A cluster this command generated before runs again from the file it wrote into its data
  // directory: the same ports, so the addresses in its replicated membership still hold.
  const previousRun = resolve(io.cwd, dataDir ?? 'data', RUN_CONFIG_FILE);
  const rerun = defaultMissing && nodes === undefined && basePort === undefined && existsSync(previousRun);
  if (nodes === undefined && basePort === undefined && (!defaultMissing || rerun)) {
    const cfg = loadClusterConfig(rerun ? previousRun : resolve(io.cwd, configFlag ?? DEFAULT_CONFIG_FILE));
    return {
      ...cfg,
      dataDir: dataDir !== undefined ? resolve(io.cwd, dataDir) : cfg.dataDir,
      logDir: logDir !== undefined ? resolve(io.cwd, logDir) : cfg.logDir,
    };
  }
  return generateClusterConfig({
    nodes: nodes ?? 3,
    basePort,
    dataDir: resolve(io.cwd, dataDir ?? 'data'),
    logDir: resolve(io.cwd, logDir ?? 'logs'),
  });
}

/** A path as short as it can be shown: relative to cwd when inside it. */
function shown(io: CliIo, path: string): string {
  const rel = relative(io.cwd, path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

export const upCommand: Command = {
  usage: 'raftkv up [--config F] [--nodes N] [--base-port P] [--data-dir D] [--log-dir D] [--secure]',
  flags: [
    { name: 'config', type: 'string', valueName: 'F', help: `cluster file (default ./${DEFAULT_CONFIG_FILE}; without one, 3 nodes on free ports)` },
    { name: 'nodes', type: 'int', valueName: 'N', min: 1, max: 99, help: 'a new cluster of N nodes (ports from the OS unless --base-port)' },
    { name: 'base-port', type: 'int', valueName: 'P', min: 1, max: 65535, help: 'node i gets client port P+i-1, peer port P+100+i-1' },
    { name: 'data-dir', type: 'string', valueName: 'D', help: 'data directory (default: the cluster file\'s, or ./data)' },
    { name: 'log-dir', type: 'string', valueName: 'D', help: 'log directory (default: the cluster file\'s, or ./logs)' },
    { name: 'secure', type: 'boolean', help: 'mutual TLS between nodes, TLS + AUTH for clients; makes <data-dir>/certs and <data-dir>/password when missing' },
  ],
  notes:
    'The cluster file the nodes run from is written to <data-dir>/cluster.json; without a cluster file\n' +
    'or --nodes, `up` runs the one of an earlier run from there again. Members added (`ctl add`) and\n' +
    'removed (`ctl remove`) are kept in <data-dir>/members.json: `up` restarts the added ones, not the removed.\n' +
    'Control it from another terminal with `raftkv ctl status|kill|restart|stop|add|remove|transfer|...` (`raftkv ctl --help`).',
  async run(args, io) {
    expectPositionals(args, 0, 0, 'no arguments (flags only)');
    let cfg = await clusterFromFlags(args, io);
    if (boolFlag(args, 'secure')) {
      const secured = await secureCluster(cfg);
      cfg = secured.config;
      if (secured.written.length > 0) io.out(`raftkv: made ${secured.written.map((p) => shown(io, p)).join(' ')}\n`);
    }
    const cluster = await startCluster(cfg);

    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        io.err(`\n${signal}: stopping the cluster (again to kill it at once)\n`);
        void cluster.stop();
      } else {
        // The supervisor's exit hook SIGKILLs every node still up.
        io.err(`${signal}: killing the nodes\n`);
        process.exit(130);
      }
    };
    for (const s of SHUTDOWN_SIGNALS) process.on(s, onSignal);
    cluster.supervisor.on('node-exit', (e) => {
      io.out(`node ${e.id} (pid ${e.pid}) exited: ${e.signal ? `signal ${e.signal}` : `code ${e.code}`} -> ${e.state}\n`);
    });
    cluster.supervisor.on('node-start', (e) => io.out(`node ${e.id} started, pid ${e.pid}\n`));

    const running = cluster.supervisor.list();
    const { added, removed } = cluster.supervisor.registry.record;
    const changes = added.length + removed.length > 0 ? ` (${[added.length ? `added later: ${added.map((m) => m.id).join(', ')}` : '', removed.length ? `removed: ${removed.join(', ')}` : ''].filter(Boolean).join('; ')}, from ${shown(io, cluster.supervisor.registry.path)})` : '';
    const lines = [`raftkv: ${running.length}-node cluster up; cluster file ${shown(io, cluster.configPath)}${changes}`];
    for (const n of running) {
      lines.push(
        `  node ${n.id}  client ${n.host}:${n.port}  peer ${n.host}:${n.peerPort}  pid ${n.pid ?? '-'}  log ${shown(io, n.logFile)}`,
      );
    }
    const dataFlag = shown(io, cfg.dataDir) === 'data' ? '' : ` --data-dir ${shown(io, cfg.dataDir)}`;
    lines.push(`control socket ${shown(io, cluster.control.socketPath)}  (raftkv ctl status${dataFlag})`);
    const sec = cfg.security;
    lines.push(
      sec
        ? `security: peers ${sec.certDir ? 'mutual TLS 1.3' : 'clear text'}; clients ${sec.clientTls === 'off' ? 'clear text' : `TLS${sec.clientTls === 'mutual' ? ' + client certificate' : ''}`}${sec.passwordFile ? ` + AUTH (password in ${shown(io, sec.passwordFile)})` : ''}; CA ${sec.certDir ? shown(io, join(sec.certDir, 'ca.crt')) : '-'}`
        : 'security: off (clear text, no password): for a trusted network only; `raftkv up --secure` turns it on',
    );
    lines.push('Ctrl-C stops the cluster.');
    io.out(`${lines.join('\n')}\n`);

    await cluster.stopped;
    for (const s of SHUTDOWN_SIGNALS) process.off(s, onSignal);
    io.out('raftkv: cluster stopped\n');
    return EXIT_OK;
  },
};
