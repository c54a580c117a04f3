/**
 * `raftkv node --id N [--config F]`: one node in the foreground, until SIGTERM/SIGINT. The node
 * module is loaded only here, so client commands do not pay for it.
 */
import { resolve } from 'node:path';
import { expectPositionals, intFlag, stringFlag, UsageError } from '../args.js';
import { DEFAULT_CONFIG_FILE } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';

export const nodeCommand: Command = {
  name: 'node',
  summary: 'run one node in the foreground',
  usage: 'raftkv node --id N [--config F]',
  flags: [
    { name: 'id', type: 'int', valueName: 'N', min: 1, help: "this node's id in the cluster file (required)" },
    { name: 'config', type: 'string', valueName: 'F', help: `cluster file (default ./${DEFAULT_CONFIG_FILE})` },
  ],
  notes: 'Logs go to <logDir>/node-<id>.log; SIGTERM or Ctrl-C stops the node cleanly.',
  async run(args, io) {
    expectPositionals(args, 0, 0, 'no arguments (flags only)');
    const id = intFlag(args, 'id');
    if (id === undefined) throw new UsageError('--id: required (which node of the cluster file to run)');
    const configPath = resolve(io.cwd, stringFlag(args, 'config') ?? DEFAULT_CONFIG_FILE);
    const { runNode } = await import('../../node/node-main.js');
    await runNode({ id, configPath });
    return EXIT_OK;
  },
};
