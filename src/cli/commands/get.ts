/** `raftkv get KEY`: prints the value, or `(nil)` if the key is absent (as redis-cli does). */
import { expectPositionals } from '../args.js';
import { CLIENT_FLAGS, withClient } from '../client-target.js';
import { EXIT_OK, type Command } from '../command.js';

export const getCommand: Command = {
  usage: 'raftkv get KEY',
  flags: CLIENT_FLAGS,
  async run(args, io) {
    const [key] = expectPositionals(args, 1, 1, 'KEY');
    const value = await withClient('get', args, io, (client) => client.get(key));
    io.out(`${value ?? '(nil)'}\n`);
    return EXIT_OK;
  },
};
