/**
 * `raftkv node --id N [--config F]`: one node of the cluster file in the foreground, until
 * SIGTERM/SIGINT. `raftkv node --id N --join host:port --host H --port P --peer-port Q
 * [--data-dir D] [--config F]`: a new node that asks the member at host:port to add it (as a
 * learner, promoted once caught up). The node module is loaded only here, so client commands do
 * not pay for it.
 */
import { resolve } from 'node:path';
import { expectPositionals, intFlag, stringFlag, UsageError } from '../args.js';
import { DEFAULT_CONFIG_FILE, parseNodeList } from '../client-target.js';
import { addressError } from '../../protocol/membership-validate.js';
import { EXIT_OK, type Command } from '../command.js';

export const nodeCommand: Command = {
  usage: 'raftkv node --id N [--config F] | raftkv node --id N --join HOST:PORT --host H --port P --peer-port Q [--data-dir D] [--config F]',
  flags: [
    { name: 'id', type: 'int', valueName: 'N', min: 1, help: "this node's id (required)" },
    { name: 'config', type: 'string', valueName: 'F', help: `cluster file (default ./${DEFAULT_CONFIG_FILE}; with --join: timing, security and directories only)` },
    { name: 'join', type: 'string', valueName: 'HOST:PORT', help: 'join a running cluster through the member with this client address' },
    { name: 'host', type: 'string', valueName: 'H', help: '--join: the host the others reach this node at' },
    { name: 'port', type: 'int', valueName: 'P', min: 1, max: 65535, help: '--join: client port' },
    { name: 'peer-port', type: 'int', valueName: 'Q', min: 1, max: 65535, help: '--join: Raft peer port' },
    { name: 'data-dir', type: 'string', valueName: 'D', help: '--join: data directory (default: the cluster file\'s, else ./data)' },
  ],
  notes: 'Logs go to <logDir>/node-<id>.log; SIGTERM or Ctrl-C stops the node cleanly.',
  async run(args, io) {
    expectPositionals(args, 0, 0, 'no arguments (flags only)');
    const id = intFlag(args, 'id');
    if (id === undefined) throw new UsageError('--id: required (which node of the cluster file to run)');
    const joinFlag = stringFlag(args, 'join');
    const configFlag = stringFlag(args, 'config');
    const { runNode } = await import('../../node/node-main.js');
    if (joinFlag === undefined) {
      for (const f of ['host', 'port', 'peer-port', 'data-dir']) if (args.flags[f] !== undefined) throw new UsageError(`--${f} goes with --join`);
      await runNode({ id, configPath: resolve(io.cwd, configFlag ?? DEFAULT_CONFIG_FILE) });
      return EXIT_OK;
    }
    if (joinFlag.includes(',')) throw new UsageError(`--join: ${JSON.stringify(joinFlag)} names more than one member; give one host:port`);
    let seed: { host: string; port: number };
    try {
      seed = parseNodeList(joinFlag)[0]!;
    } catch {
      throw new UsageError(`--join: ${JSON.stringify(joinFlag)} is not host:port (a member's client address, port 1..65535)`);
    }
    const host = stringFlag(args, 'host');
    const port = intFlag(args, 'port');
    const peerPort = intFlag(args, 'peer-port');
    if (host === undefined || port === undefined || peerPort === undefined) throw new UsageError('--join needs --host, --port and --peer-port (where the others reach this node)');
    const bad = addressError({ host, port, peerPort });
    if (bad) throw new UsageError(`--host/--port/--peer-port: ${bad.replace(/^address\./, '')}`);
    const dataDir = stringFlag(args, 'data-dir');
    await runNode({
      id,
      ...(configFlag === undefined ? {} : { configPath: resolve(io.cwd, configFlag) }),
      join: { seed: { host: seed.host, port: seed.port }, host, port, peerPort, ...(dataDir === undefined ? {} : { dataDir: resolve(io.cwd, dataDir) }) },
    });
    return EXIT_OK;
  },
};
