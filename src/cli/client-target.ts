/**
 * The flags every client subcommand shares (`--config F`, `--nodes host:port,...`, `--timeout ms`,
 * `--log-dir D`) and turning them into a connected-on-demand RaftKvClient whose events are appended
 * to `<logDir>/client.log`.
 */
import { resolve } from 'node:path';
import { openClientLogFile } from '../client/client-log.js';
import type { ClientNodeAddress } from '../client/node-connection.js';
import { RaftKvClient } from '../client/raftkv-client.js';
import { clientSecurityFrom, type ClientSecurity } from '../client/client-security.js';
import { loadClusterConfig } from '../protocol/cluster-config.js';
import { intFlag, stringFlag, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import type { CliIo } from './command.js';

export const DEFAULT_CONFIG_FILE = 'cluster.json';

export const CLIENT_FLAGS: readonly FlagSpec[] = [
  { name: 'config', type: 'string', valueName: 'F', help: `cluster file (default ./${DEFAULT_CONFIG_FILE})` },
  { name: 'nodes', type: 'string', valueName: 'H:P,...', help: 'client addresses instead of a cluster file' },
  { name: 'timeout', type: 'int', valueName: 'MS', min: 1, max: 3_600_000, help: 'give up after this long, retries included (default 5000)' },
  { name: 'log-dir', type: 'string', valueName: 'D', help: "where client.log goes (default: the cluster file's logDir, else ./logs)" },
];

/** Parses `host:port,host:port`; node ids are assigned 1, 2, ... in order. */
export function parseNodeList(list: string): ClientNodeAddress[] {
  const parts = list.split(',').map((p) => p.trim());
  return parts.map((part, i) => {
    const m = /^(.+):(\d{1,5})$/.exec(part);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw new UsageError(`--nodes: ${JSON.stringify(part)} is not host:port (port 1..65535)`);
    }
    const host = m[1].startsWith('[') && m[1].endsWith(']') ? m[1].slice(1, -1) : m[1];
    return { id: i + 1, host, port };
  });
}

export interface ClientTarget {
  nodes: ClientNodeAddress[];
  logDir: string;
  /** From the cluster file's security block: TLS and password, no flags needed. */
  security?: ClientSecurity;
}

/** Where to send requests and log events, from the shared flags. */
export function resolveClientTarget(args: ParsedArgs, io: CliIo): ClientTarget {
  const nodesFlag = stringFlag(args, 'nodes');
  const configFlag = stringFlag(args, 'config');
  const logDirFlag = stringFlag(args, 'log-dir');
  if (nodesFlag !== undefined && configFlag !== undefined) throw new UsageError('give --config or --nodes, not both');
  if (nodesFlag !== undefined) {
    return { nodes: parseNodeList(nodesFlag), logDir: resolve(io.cwd, logDirFlag ?? 'logs') };
  }
  const cfg = loadClusterConfig(resolve(io.cwd, configFlag ?? DEFAULT_CONFIG_FILE));
  const security = clientSecurityFrom(cfg.security);
  return { nodes: cfg.nodes, logDir: logDirFlag !== undefined ? resolve(io.cwd, logDirFlag) : cfg.logDir, ...(security ? { security } : {}) };
}

/**
 * Runs `work` with a client for the target (client.log lines tagged with `command`), then closes the client and its log, whatever happens.
 */
export async function withClient<T>(
  command: string,
  args: ParsedArgs,
  io: CliIo,
  work: (client: RaftKvClient) => Promise<T>,
): Promise<T> {
  const target = resolveClientTarget(args, io);
  const log = openClientLogFile(resolve(target.logDir, 'client.log'), `raftkv-${command}[${process.pid}]`);
  const client = new RaftKvClient({ nodes: target.nodes, timeoutMs: intFlag(args, 'timeout') ?? 5000, logger: log.logger, ...(target.security ? { security: target.security } : {}) });
  try {
    return await work(client);
  } finally {
    client.close();
    log.close();
  }
}
