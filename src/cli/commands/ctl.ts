/**
 * `raftkv ctl status | kill <id> | kill leader | restart <id> | stop <id> | shutdown`: talks to a
 * running `raftkv up` through its control socket. The socket is `<dataDir>/supervisor.sock`, the
 * data directory coming from --socket, --data-dir, the cluster file (--config or ./cluster.json),
 * or ./data, in that order.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectControl } from '../../cluster/control-client.js';
import { CONTROL_SOCKET_NAME } from '../../cluster/control-protocol.js';
import type { NodeStatusRow, SupervisedNode } from '../../cluster/supervisor.js';
import { loadClusterConfig } from '../../protocol/cluster-config.js';
import { boolFlag, expectPositionals, stringFlag, UsageError, type ParsedArgs } from '../args.js';
import { DEFAULT_CONFIG_FILE } from '../client-target.js';
import { EXIT_OK, type CliIo, type Command } from '../command.js';
import { formatTable } from '../format-table.js';

const ACTIONS = ['status', 'kill', 'restart', 'stop', 'shutdown'] as const;
type Action = (typeof ACTIONS)[number];

function socketPathFrom(args: ParsedArgs, io: CliIo): string {
  const socket = stringFlag(args, 'socket');
  if (socket !== undefined) return resolve(io.cwd, socket);
  const dataDir = stringFlag(args, 'data-dir');
  if (dataDir !== undefined) return join(resolve(io.cwd, dataDir), CONTROL_SOCKET_NAME);
  const configFlag = stringFlag(args, 'config');
  const configPath = resolve(io.cwd, configFlag ?? DEFAULT_CONFIG_FILE);
  if (configFlag !== undefined || existsSync(configPath)) return join(loadClusterConfig(configPath).dataDir, CONTROL_SOCKET_NAME);
  return join(resolve(io.cwd, 'data'), CONTROL_SOCKET_NAME);
}

function parseNodeId(word: string, action: string): number {
  if (!/^[1-9]\d{0,8}$/.test(word)) throw new UsageError(`ctl ${action}: node id must be a positive integer, got ${JSON.stringify(word)}`);
  return Number(word);
}

/** The `ctl status` table: id, address, pid, state, role, term, leader, commit, applied. */
export function formatStatusTable(rows: readonly NodeStatusRow[]): string {
  return formatTable(
    ['id', 'address', 'pid', 'state', 'role', 'term', 'leader', 'commit', 'applied', 'restarts', 'last exit'],
    rows.map((r) => [
      r.id,
      `${r.host}:${r.port}`,
      r.pid,
      r.state === 'up' && r.role === null ? 'up (no answer)' : r.state,
      r.role,
      r.term,
      r.leader || null,
      r.commitIndex,
      r.lastApplied,
      r.restarts,
      lastExit(r),
    ]),
  );
}

/** How the last process ended, and when the supervisor restarts it if it plans to. */
function lastExit(n: SupervisedNode): string | null {
  const exit = n.exitSignal ? `signal ${n.exitSignal}` : n.exitCode !== null ? `code ${n.exitCode}` : null;
  if (exit === null) return null;
  return n.restartAt === null ? exit : `${exit}, restart in ${Math.max(0, Math.ceil((n.restartAt - Date.now()) / 1000))} s`;
}

function describeNode(n: SupervisedNode): string {
  const exit = lastExit(n);
  return `node ${n.id}: ${n.state}${n.pid !== null ? `, pid ${n.pid}` : ''}${exit && n.state !== 'up' ? ` (exit ${exit})` : ''}`;
}

export const ctlCommand: Command = {
  name: 'ctl',
  summary: 'control a running `raftkv up`: status, kill, restart, stop, shutdown',
  usage:
    'raftkv ctl status\n' +
    '       raftkv ctl kill <id>|leader     (SIGKILL, as a crash)\n' +
    '       raftkv ctl restart <id>         (start a stopped or killed node; kills it first if up)\n' +
    '       raftkv ctl stop <id>            (SIGTERM, clean stop)\n' +
    '       raftkv ctl shutdown             (stop every node and the supervisor)',
  flags: [
    { name: 'config', type: 'string', valueName: 'F', help: `cluster file whose dataDir holds the socket (default ./${DEFAULT_CONFIG_FILE})` },
    { name: 'data-dir', type: 'string', valueName: 'D', help: `data directory of the running cluster (the socket is D/${CONTROL_SOCKET_NAME})` },
    { name: 'socket', type: 'string', valueName: 'PATH', help: 'the control socket itself' },
    { name: 'json', type: 'boolean', help: 'print the reply as JSON' },
  ],
  async run(args, io) {
    const [action, ...rest] = expectPositionals(args, 1, 2, 'an action: status, kill <id|leader>, restart <id>, stop <id>, shutdown');
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`ctl: unknown action ${JSON.stringify(action)} (expected ${ACTIONS.join(', ')})`);
    }
    const act = action as Action;
    const needsId = act === 'kill' || act === 'restart' || act === 'stop';
    if (needsId && rest.length === 0) throw new UsageError(`ctl ${act}: missing node id${act === 'kill' ? ' (or "leader")' : ''}`);
    if (!needsId && rest.length > 0) throw new UsageError(`ctl ${act}: takes no argument, got ${JSON.stringify(rest[0])}`);
    const target = act === 'kill' && rest[0] === 'leader' ? 'leader' : needsId ? parseNodeId(rest[0], act) : null;

    const ctl = await connectControl(socketPathFrom(args, io));
    try {
      let result: unknown;
      switch (act) {
        case 'status': {
          const rows = await ctl.status();
          result = rows;
          if (!boolFlag(args, 'json')) io.out(`${formatStatusTable(rows)}\n`);
          break;
        }
        case 'kill':
          result = await ctl.kill(target as number | 'leader');
          break;
        case 'restart':
          result = await ctl.restart(target as number);
          break;
        case 'stop':
          result = await ctl.stop(target as number);
          break;
        case 'shutdown':
          await ctl.shutdown();
          result = null;
          if (!boolFlag(args, 'json')) io.out('supervisor is shutting down\n');
          break;
      }
      if (boolFlag(args, 'json')) io.out(`${JSON.stringify(result)}\n`);
      else if (needsId) io.out(`${describeNode(result as SupervisedNode)}\n`);
      return EXIT_OK;
    } finally {
      await ctl.close();
    }
  },
};
