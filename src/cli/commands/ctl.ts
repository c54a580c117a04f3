/**
 * `raftkv ctl status | kill <id> | kill leader | restart <id> | stop <id> | shutdown`, the
 * membership changes `add [--learner] [--host H] | remove <id> | transfer <id>`, and the network faults `isolate <id|leader> | cut <a> <b> [--one-way] | slow <id> <ms> | heal [<id>]`:
 * talks to a running `raftkv up` through its control socket. The socket is `<dataDir>/supervisor.sock`, the
 * data directory coming from --socket, --data-dir, the cluster file (--config or ./cluster.json),
 * or ./data, in that order.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectControl } from '../../cluster/control-client.js';
import { CONTROL_SOCKET_NAME, MAX_SLOW_MS } from '../../cluster/control-protocol.js';
import { describePlan } from '../../cluster/fault-plan.js';
import type { FaultEvent, NodeStatusRow, SupervisedNode } from '../../cluster/supervisor.js';
import type { FaultSettingsWire } from '../../protocol/fault-messages.js';
import { loadClusterConfig } from '../../protocol/cluster-config.js';
import { hostError, nodeIdOfWord } from '../../protocol/membership-validate.js';
import { boolFlag, expectPositionals, stringFlag, UsageError, type ParsedArgs } from '../args.js';
import { DEFAULT_CONFIG_FILE } from '../client-target.js';
import { EXIT_FAILED, EXIT_OK, type CliIo, type Command } from '../command.js';
import { formatTable } from '../format-table.js';

const ACTIONS = ['status', 'kill', 'restart', 'stop', 'snapshot', 'shutdown', 'isolate', 'cut', 'slow', 'heal', 'add', 'remove', 'transfer'] as const;
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
  const id = nodeIdOfWord(word);
  if (id === null) throw new UsageError(`ctl ${action}: node id must be a positive integer, got ${JSON.stringify(word)}`);
  return id;
}

/** A node's share of the faults for the status table: "drops to 2,3; from 2,3; +200ms", or null. */
export function formatNodeFaults(f: FaultSettingsWire | undefined): string | null {
  if (!f) return null;
  const parts: string[] = [];
  if (f.dropTo.length) parts.push(`drops to ${f.dropTo.join(',')}`);
  if (f.dropFrom.length) parts.push(`from ${f.dropFrom.join(',')}`);
  if (f.delayMs) parts.push(`+${f.delayMs}ms`);
  return parts.length ? parts.join('; ') : null;
}

/** The `ctl status` table: id, address, pid, state, member (voter/learner), role, term, leader, commit, applied, faults. */
export function formatStatusTable(rows: readonly NodeStatusRow[]): string {
  return formatTable(
    ['id', 'address', 'pid', 'state', 'member', 'role', 'term', 'leader', 'commit', 'applied', 'faults', 'restarts', 'last exit'],
    rows.map((r) => [
      r.id,
      `${r.host}:${r.port}`,
      r.pid,
      r.state === 'up' && r.role === null ? 'up (no answer)' : r.state,
      r.member,
      r.role,
      r.term,
      r.leader || null,
      r.commitIndex,
      r.lastApplied,
      formatNodeFaults(r.faults),
      r.restarts,
      lastExit(r),
    ]),
  );
}

const FAULT_ACTIONS: ReadonlySet<Action> = new Set(['isolate', 'cut', 'slow', 'heal']);

function parseMs(word: string): number {
  if (!/^\d{1,5}$/.test(word) || Number(word) > MAX_SLOW_MS) throw new UsageError(`ctl slow: ms must be an integer from 0 to ${MAX_SLOW_MS}, got ${JSON.stringify(word)}`);
  return Number(word);
}

/** "isolate 2: faults now 1<->2, 2<->3" and a warning naming nodes that did not confirm. */
function describeFaultEvent(e: FaultEvent): string {
  const warn = e.unconfirmed.length ? `warning: node(s) ${e.unconfirmed.join(', ')} did not confirm (down or busy); their peers enforce the cuts\n` : '';
  return `${e.action}: faults now ${describePlan(e.plan)}\n${warn}`;
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
  usage:
    'raftkv ctl status\n' +
    '       raftkv ctl kill <id>|leader     (SIGKILL, as a crash)\n' +
    '       raftkv ctl restart <id>         (start a stopped or killed node; kills it first if up)\n' +
    '       raftkv ctl stop <id>            (SIGTERM, clean stop)\n' +
    '       raftkv ctl snapshot <id>|all    (take a snapshot now and compact the log)\n' +
    '       raftkv ctl shutdown             (stop every node and the supervisor)\n' +
    '       raftkv ctl add [--learner] [--host H]  (start a new node on free ports of H, add it as a learner, promote it once caught up; prints its id)\n' +
    '       raftkv ctl remove <id>          (remove a member from the cluster, then stop its process for good)\n' +
    '       raftkv ctl transfer <id>        (move leadership to a member)\n' +
    '       raftkv ctl isolate <id>|leader  (cut a node off from every other member, both ways)\n' +
    '       raftkv ctl cut <a> <b> [--one-way]  (lose messages between a and b; only a -> b with --one-way)\n' +
    '       raftkv ctl slow <id> <ms>       (delay all peer traffic of a node, both ways; 0 removes it)\n' +
    '       raftkv ctl heal [<id>]          (remove every fault, or those involving one node)',
  flags: [
    { name: 'config', type: 'string', valueName: 'F', help: `cluster file whose dataDir holds the socket (default ./${DEFAULT_CONFIG_FILE})` },
    { name: 'data-dir', type: 'string', valueName: 'D', help: `data directory of the running cluster (the socket is D/${CONTROL_SOCKET_NAME})` },
    { name: 'socket', type: 'string', valueName: 'PATH', help: 'the control socket itself' },
    { name: 'one-way', type: 'boolean', help: 'cut: only messages from a to b are lost' },
    { name: 'learner', type: 'boolean', help: 'add: keep the new member a learner (no vote) instead of promoting it' },
    { name: 'host', type: 'string', valueName: 'H', help: "add: the new node's host, an address of this machine the others reach it by (default the first node's host)" },
    { name: 'json', type: 'boolean', help: 'print the reply as JSON' },
  ],
  async run(args, io) {
    const [action, ...rest] = expectPositionals(args, 1, 4, 'an action: status, kill <id|leader>, restart <id>, stop <id>, snapshot <id|all>, shutdown, add, remove <id>, transfer <id>, isolate <id|leader>, cut <a> <b>, slow <id> <ms>, heal [<id>]');
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`ctl: unknown action ${JSON.stringify(action)} (expected ${ACTIONS.join(', ')})`);
    }
    const act = action as Action;
    const arity: Record<Action, [number, number]> = { status: [0, 0], shutdown: [0, 0], kill: [1, 1], restart: [1, 1], stop: [1, 1], snapshot: [1, 1], isolate: [1, 1], cut: [2, 2], slow: [2, 2], heal: [0, 1], add: [0, 0], remove: [1, 1], transfer: [1, 1] };
    const [min, max] = arity[act];
    if (rest.length < min) throw new UsageError(`ctl ${act}: missing ${act === 'cut' ? 'node ids <a> <b>' : act === 'slow' ? '<id> <ms>' : `node id${act === 'kill' || act === 'isolate' ? ' (or "leader")' : ''}`}`);
    if (rest.length > max) throw new UsageError(max === 0 ? `ctl ${act}: takes no argument, got ${JSON.stringify(rest[0])}` : `ctl ${act}: too many arguments, got ${JSON.stringify(rest.slice(max))} extra`);
    if (boolFlag(args, 'one-way') && act !== 'cut') throw new UsageError(`ctl ${act}: --one-way only goes with cut`);
    if (boolFlag(args, 'learner') && act !== 'add') throw new UsageError(`ctl ${act}: --learner only goes with add`);
    const host = stringFlag(args, 'host');
    if (host !== undefined && act !== 'add') throw new UsageError(`ctl ${act}: --host only goes with add`);
    if (host !== undefined && hostError(host)) throw new UsageError(`ctl add: --host: ${hostError(host)}, got ${JSON.stringify(host)}`);
    const needsId = act === 'kill' || act === 'restart' || act === 'stop';
    const target =
      (act === 'kill' || act === 'isolate') && rest[0] === 'leader' ? 'leader' : act === 'snapshot' && rest[0] === 'all' ? 'all' : rest.length > 0 && act !== 'slow' ? parseNodeId(rest[0]!, act) : null;
    const ms = act === 'slow' ? parseMs(rest[1]!) : 0;

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
        case 'snapshot': {
          const rows = await ctl.snapshot(target as number | 'all');
          if (!boolFlag(args, 'json')) {
            for (const r of rows) io.out(r.error ? `node ${r.id}: snapshot failed: ${r.error}\n` : `node ${r.id}: snapshot at index ${r.index} (term ${r.term})\n`);
          }
          if (boolFlag(args, 'json')) io.out(`${JSON.stringify(rows)}\n`);
          return rows.some((r) => r.error) ? EXIT_FAILED : EXIT_OK;
        }
        case 'isolate':
          result = await ctl.isolate(target as number | 'leader');
          break;
        case 'cut':
          result = await ctl.cut(target as number, parseNodeId(rest[1]!, act), boolFlag(args, 'one-way'));
          break;
        case 'slow':
          result = await ctl.slow(parseNodeId(rest[0]!, act), ms);
          break;
        case 'heal':
          result = await ctl.heal(target === null ? undefined : (target as number));
          break;
        case 'add': {
          const added = await ctl.add({ learner: boolFlag(args, 'learner'), ...(host === undefined ? {} : { host }) });
          result = added;
          // The id alone on stdout, so scripts can take it: id=$(raftkv ctl add).
          if (!boolFlag(args, 'json')) {
            io.out(`${added.id}\n`);
            const t = added.timings;
            const steps = `process started ${t.startedMs} ms, learner added ${t.addedMs} ms, caught up ${t.caughtUpMs} ms${t.promotedMs === null ? '' : `, promoted ${t.promotedMs} ms`}`;
            io.err(`node ${added.id} (client ${added.member.host}:${added.member.port}, peer ${added.member.peerPort}) is a ${added.role} after ${t.promotedMs ?? t.caughtUpMs} ms (${steps})\n`);
          }
          break;
        }
        case 'remove':
          await ctl.remove(target as number);
          result = null;
          if (!boolFlag(args, 'json')) io.out(`node ${target} removed from the cluster and stopped\n`);
          break;
        case 'transfer': {
          const moved = await ctl.transfer(target as number);
          result = moved;
          if (!boolFlag(args, 'json')) io.out(`node ${moved.leader} is the leader (${moved.ms} ms)\n`);
          break;
        }
        case 'shutdown':
          await ctl.shutdown();
          result = null;
          if (!boolFlag(args, 'json')) io.out('supervisor is shutting down\n');
          break;
      }
      if (boolFlag(args, 'json')) io.out(`${JSON.stringify(result)}\n`);
      else if (needsId) io.out(`${describeNode(result as SupervisedNode)}\n`);
      else if (FAULT_ACTIONS.has(act)) io.out(describeFaultEvent(result as FaultEvent));
      return EXIT_OK;
    } finally {
      await ctl.close();
    }
  },
};
